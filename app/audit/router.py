from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.access.deps import ScopeDep
from app.audit import service
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageDep
from app.core.periods import PeriodQuery, not_both, period_param
from app.core.schemas import IdQuery, TimeQuery

router = APIRouter(prefix="/audit-events", tags=["audit"], responses=problem_responses(401))


class AuditEventPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    user_id: int | None
    api_key_id: int | None
    action: str
    entity_type: str
    entity_id: int
    unit_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


@router.get("", response_model=Page[AuditEventPublic], summary="List audit events")
def list_events(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    entity_type: Annotated[
        str | None, Query(max_length=40, pattern=r"^[a-z_]+$", description="E.g. `unit`.")
    ] = None,
    entity_id: IdQuery = None,
    actor: Annotated[
        str | None,
        Query(
            max_length=120,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description="Username or `key:<prefix>`.",
        ),
    ] = None,
    since: Annotated[
        TimeQuery, Query(description="From this time (inclusive), with its offset.")
    ] = None,
    until: Annotated[TimeQuery, Query(description="Before this time, with its offset.")] = None,
    period: PeriodQuery = None,
) -> Any:
    """Who changed what and when, with the record before and after, newest first. Each caller
    sees the events of the units in its scope (grants and keys on those units included); changes
    to user accounts themselves are for admins. `period` (days in Vietnam) replaces `since`
    and `until`."""
    not_both(period, since=since, until=until)
    chosen = period_param(period)
    if chosen is not None:
        since, until = chosen.times()
    return service.list_events(
        session,
        scope=scope,
        params=page,
        entity_type=entity_type,
        entity_id=entity_id,
        actor=actor,
        since=since,
        until=until,
    )
