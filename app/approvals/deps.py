from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader
from app.core.i18n import t
from app.models import Approval, LockException

ApprovalDep = Annotated[Approval, Depends(loader("approval_id", in_scope(Approval, t("Approval"))))]
LockExceptionDep = Annotated[
    LockException,
    Depends(loader("exception_id", in_scope(LockException, t("LockException")))),
]
