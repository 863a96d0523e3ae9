"""Every table of the service. Domain packages import from here, never the reverse."""

from app.models.audit import AuditEvent, IdempotencyRecord
from app.models.auth import (
    USERNAME_MAX_LENGTH,
    USERNAME_PATTERN,
    ApiKey,
    Grant,
    GrantBase,
    Role,
    SignInFailure,
    User,
    UserBase,
)
from app.models.base import MAX_ID, TimestampMixin, UTCDateTime, utcnow
from app.models.commitment import Commitment, CommitmentBase, CommitmentEvent, ProgressUpdate
from app.models.directive import Directive, DirectiveBase
from app.models.enums import (
    POST_UNIT_KINDS,
    CommitmentAction,
    CommitmentCategory,
    CommitmentKind,
    CommitmentStatus,
    Post,
    UnitKind,
)
from app.models.person import (
    AreaOfCharge,
    AreaOfChargeBase,
    Person,
    PersonBase,
    Position,
    PositionBase,
    TermBase,
)
from app.models.unit import CODE_PATTERN, Unit, UnitBase, UnitClosure

__all__ = [
    "CODE_PATTERN",
    "MAX_ID",
    "POST_UNIT_KINDS",
    "USERNAME_MAX_LENGTH",
    "USERNAME_PATTERN",
    "ApiKey",
    "AreaOfCharge",
    "AreaOfChargeBase",
    "AuditEvent",
    "Commitment",
    "CommitmentAction",
    "CommitmentBase",
    "CommitmentCategory",
    "CommitmentEvent",
    "CommitmentKind",
    "CommitmentStatus",
    "Directive",
    "DirectiveBase",
    "Grant",
    "GrantBase",
    "IdempotencyRecord",
    "Person",
    "PersonBase",
    "Position",
    "PositionBase",
    "Post",
    "ProgressUpdate",
    "Role",
    "SignInFailure",
    "TermBase",
    "TimestampMixin",
    "UTCDateTime",
    "Unit",
    "UnitBase",
    "UnitClosure",
    "UnitKind",
    "User",
    "UserBase",
    "utcnow",
]
