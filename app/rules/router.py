from typing import Annotated

from fastapi import APIRouter, Query

from app.core.errors import NotFoundError, problem_responses
from app.core.i18n import t
from app.core.schemas import DateQuery
from app.rules.core import RuleDomain
from app.rules.registry import RULE_SETS, rule_sets
from app.rules.schemas import RuleSetPublic

router = APIRouter(prefix="/rules", tags=["rules"])


@router.get("", response_model=list[RuleSetPublic], summary="The rule sets, with their sources")
async def list_rule_sets(
    domain: RuleDomain | None = None,
    on: Annotated[DateQuery, Query(description="Only the sets in force on this day.")] = None,
) -> list[RuleSetPublic]:
    """Every rule set the service computes deadlines, alerts and grades under: the documents it
    implements, the days it is in force and each rule's value and source. Values the sources
    leave unverified are settings, marked `verified: false`."""
    return [RuleSetPublic.of(rule_set) for rule_set in rule_sets(domain, on)]


@router.get(
    "/{code}",
    response_model=RuleSetPublic,
    summary="One rule set",
    responses=problem_responses(404),
)
async def get_rule_set(code: str) -> RuleSetPublic:
    """The rule set of that code (e.g. `admission-2025`, or the `rule_set` an evaluation or a
    suggestion names), with its sources and values."""
    for rule_set in RULE_SETS:
        if rule_set.code == code:
            return RuleSetPublic.of(rule_set)
    raise NotFoundError(t("No rule set is called {code!r}.", code=code))
