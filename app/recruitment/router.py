from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access.deps import IfMatch, ScopeDep
from app.core.db import SessionDep, SnapshotSessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.periods import PeriodDep, PeriodFilter
from app.core.schemas import (
    IdQuery,
    RequiredIdQuery,
    RequiredYearQuery,
    RootAsOfQuery,
    SearchQuery,
    StructureQuery,
    YearQuery,
)
from app.idempotency import IDEMPOTENT
from app.models import (
    MAX_ID,
    Candidate,
    CandidateAlert,
    CandidateEvent,
    CandidateStage,
    RecruitmentOutcome,
    RecruitmentTarget,
    Structure,
)
from app.recruitment import candidates, outcomes, targets
from app.recruitment.candidates import CandidateFilters
from app.recruitment.deps import CandidateDep, OutcomeDep, TargetDep
from app.recruitment.outcomes import OutcomeFilters
from app.recruitment.rollup import unit_progress
from app.recruitment.schemas import (
    AllocationIn,
    AllocationPublic,
    CandidateCreate,
    CandidateEventPublic,
    CandidatePublic,
    CandidateStep,
    CandidateTransitionIn,
    CandidateUpdate,
    OutcomeCreate,
    OutcomePublic,
    OutcomeUpdate,
    TargetCreate,
    TargetPublic,
    TargetUpdate,
    UnitRecruitment,
)
from app.recruitment.targets import TargetFilters
from app.recruitment.workflow import STEPS, describe
from app.units.deps import UnitDep

router = APIRouter(prefix="/recruitment", tags=["recruitment"])
progress = APIRouter(prefix="/units", tags=["recruitment"])

# --- targets --------------------------------------------------------------------------------


async def target_filters(
    root_id: IdQuery = None,
    as_of: RootAsOfQuery = None,
    unit_id: IdQuery = None,
    parent_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="Only the targets of this unit's direct children."),
    ] = None,
    year: YearQuery = None,
) -> TargetFilters:
    return TargetFilters(
        root_id=root_id, as_of=as_of, unit_id=unit_id, parent_id=parent_id, year=year
    )


def _one_target(session: SessionDep, response: Response, target: RecruitmentTarget) -> Any:
    with_etag(response, target)
    return targets.publish(session, [target])[0]


@router.get("/targets", response_model=Page[TargetPublic], summary="List admission targets")
def list_targets(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    filters: Annotated[TargetFilters, Depends(target_filters)],
) -> Any:
    """Targets of the units in the caller's scope, by year then unit. Each shows the sum its
    unit's children were allocated for the same year, and the gap."""
    return targets.list_targets(session, scope=scope, params=page, filters=filters)


@router.post(
    "/targets",
    response_model=TargetPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Assign a unit's target for a year",
    responses=problem_responses(403, 409),
)
def create_target(
    session: SessionDep,
    scope: ScopeDep,
    target_in: TargetCreate,
    request: Request,
    response: Response,
) -> Any:
    """By a manager of the unit's parent; one per unit and year (409 on a second)."""
    target = targets.create_target(session, scope=scope, target_in=target_in)
    response.headers["Location"] = str(request.url_for("get_target", target_id=target.id))
    return _one_target(session, response, target)


@router.get(
    "/targets/{target_id:int}",
    response_model=TargetPublic,
    summary="Get a target",
    responses=problem_responses(404),
)
def get_target(session: SessionDep, target: TargetDep, response: Response) -> Any:
    """With the sum allocated to the unit's children for the same year, and the gap."""
    return _one_target(session, response, target)


@router.patch(
    "/targets/{target_id:int}",
    response_model=TargetPublic,
    summary="Change a target",
    responses=problem_responses(403, 404, 412),
)
def update_target(
    session: SessionDep,
    scope: ScopeDep,
    target: TargetDep,
    if_match: IfMatch,
    target_in: TargetUpdate,
    response: Response,
) -> Any:
    """The number or the note, by a manager of the unit's parent."""
    check_if_match(target, if_match)
    updated = targets.update_target(session, scope=scope, target=target, target_in=target_in)
    return _one_target(session, response, updated)


@router.delete(
    "/targets/{target_id:int}",
    status_code=204,
    summary="Withdraw a target",
    responses=problem_responses(403, 404, 412),
)
def delete_target(
    session: SessionDep, scope: ScopeDep, target: TargetDep, if_match: IfMatch
) -> None:
    """By a manager of the unit's parent; nothing else refers to a target."""
    check_if_match(target, if_match)
    targets.delete_target(session, scope=scope, target=target)


@router.get(
    "/allocations",
    response_model=AllocationPublic,
    summary="A parent's target next to its children's",
    responses=problem_responses(404),
)
def get_allocation(
    session: SessionDep,
    scope: ScopeDep,
    parent_id: RequiredIdQuery,
    year: RequiredYearQuery,
) -> AllocationPublic:
    """The parent's own target for the year, each direct child's, their sum and the gap."""
    return targets.get_allocation(session, scope=scope, parent_id=parent_id, year=year)


@router.post(
    "/allocations",
    response_model=AllocationPublic,
    dependencies=[IDEMPOTENT],
    summary="Allocate targets to several children at once",
    responses=problem_responses(403),
)
def allocate(session: SessionDep, scope: ScopeDep, allocation_in: AllocationIn) -> AllocationPublic:
    """By a manager of the parent: creates or changes the year's target of each listed direct
    child in one transaction. If any row is wrong (not a direct child, closed, listed twice),
    nothing is written and the problem's `errors` lists every bad row."""
    return targets.allocate(session, scope=scope, allocation_in=allocation_in)


# --- candidates -----------------------------------------------------------------------------


async def candidate_filters(
    root_id: IdQuery = None,
    as_of: RootAsOfQuery = None,
    unit_id: IdQuery = None,
    stage: CandidateStage | None = None,
    alert: Annotated[
        CandidateAlert | None, Query(description="Only candidates with this alert today.")
    ] = None,
    in_charge_person_id: IdQuery = None,
    q: SearchQuery = None,
) -> CandidateFilters:
    return CandidateFilters(
        root_id=root_id,
        as_of=as_of,
        unit_id=unit_id,
        stage=stage,
        alert=alert,
        in_charge_person_id=in_charge_person_id,
        q=q,
    )


def _one_candidate(session: SessionDep, response: Response, candidate: Candidate) -> Any:
    with_etag(response, candidate)
    return candidates.publish(session, candidate)


@router.get(
    "/candidates/workflow",
    response_model=list[CandidateStep],
    summary="The admission pipeline, as data",
)
def candidate_workflow() -> list[CandidateStep]:
    """Every action, the stages it applies to, the stage it leads to, the date it sets and what
    it requires; clients draw their buttons from this."""
    return [
        CandidateStep(
            action=s.action,
            action_label=s.action.label,
            from_stages=list(s.sources),
            to_stage=s.target,
            sets=s.date_field,
            requires=list(s.requires),
        )
        for s in STEPS.values()
    ]


@router.get("/candidates", response_model=Page[CandidatePublic], summary="List candidates")
def list_candidates(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    filters: Annotated[CandidateFilters, Depends(candidate_filters)],
) -> Any:
    """Personal data: only candidates of units the caller's grants cover, by name. `alert`
    keeps those with a deadline due or passed today; `q` searches names without accents."""
    return candidates.list_candidates(session, scope=scope, params=page, filters=filters)


@router.post(
    "/candidates",
    response_model=CandidatePublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Start following a candidate",
    responses=problem_responses(403, 409),
)
def create_candidate(
    session: SessionDep,
    scope: ScopeDep,
    candidate_in: CandidateCreate,
    request: Request,
    response: Response,
) -> Any:
    """A source (quần chúng ưu tú) of a unit, by its managers or reporters. The committee member
    in charge must be in charge of the unit or sit in a committee above it (409 otherwise)."""
    candidate = candidates.create_candidate(session, scope=scope, candidate_in=candidate_in)
    response.headers["Location"] = str(request.url_for("get_candidate", candidate_id=candidate.id))
    return _one_candidate(session, response, candidate)


@router.get(
    "/candidates/{candidate_id:int}",
    response_model=CandidatePublic,
    summary="Get a candidate",
    responses=problem_responses(404),
)
def get_candidate(session: SessionDep, candidate: CandidateDep, response: Response) -> Any:
    """With the statutory dates derived from the stage dates, and today's alerts."""
    return _one_candidate(session, response, candidate)


@router.patch(
    "/candidates/{candidate_id:int}",
    response_model=CandidatePublic,
    summary="Change a candidate's details",
    responses=problem_responses(403, 404, 409, 412),
)
def update_candidate(
    session: SessionDep,
    scope: ScopeDep,
    candidate: CandidateDep,
    if_match: IfMatch,
    candidate_in: CandidateUpdate,
    response: Response,
) -> Any:
    """Personal details and who follows them; the stage moves through `/transitions`."""
    check_if_match(candidate, if_match)
    updated = candidates.update_candidate(
        session, scope=scope, candidate=candidate, candidate_in=candidate_in
    )
    return _one_candidate(session, response, updated)


@router.post(
    "/candidates/{candidate_id:int}/transitions",
    response_model=CandidatePublic,
    dependencies=[IDEMPOTENT],
    summary="Move a candidate along the pipeline",
    description="Stages are not skipped (409 naming the allowed actions). The step's date may "
    "not lie in the future (422) nor before the candidate's last step (409); applying after "
    "the course certificate expired (5 years) is 409; recognition needs the ceremony held and "
    "the 12 months of probation over (409). Admitting derives the ceremony deadline (30 "
    "working days), the end of probation (12 months) and the recognition deadline (30 working "
    "days after), on Vietnam's working days.\n\n" + describe(),
    responses=problem_responses(403, 404, 409, 412),
)
def candidate_transition(
    session: SessionDep,
    scope: ScopeDep,
    candidate: CandidateDep,
    if_match: IfMatch,
    step_in: CandidateTransitionIn,
    response: Response,
) -> Any:
    check_if_match(candidate, if_match)
    moved = candidates.transition(session, scope=scope, candidate=candidate, step_in=step_in)
    return _one_candidate(session, response, moved)


@router.get(
    "/candidates/{candidate_id:int}/history",
    response_model=list[CandidateEventPublic],
    summary="A candidate's steps",
    responses=problem_responses(404),
)
def candidate_history(session: SessionDep, candidate: CandidateDep) -> list[CandidateEvent]:
    """Oldest first, with the day of each step, who recorded it and the note."""
    return candidates.list_history(session, candidate=candidate)


# --- outcomes -------------------------------------------------------------------------------


async def outcome_filters(
    period: PeriodFilter,
    root_id: IdQuery = None,
    as_of: RootAsOfQuery = None,
    unit_id: IdQuery = None,
) -> OutcomeFilters:
    """Outcomes whose period touches the year `year` or the period `period`."""
    return OutcomeFilters(root_id=root_id, as_of=as_of, unit_id=unit_id, period=period)


@router.get("/outcomes", response_model=Page[OutcomePublic], summary="List reported admissions")
def list_outcomes(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    filters: Annotated[OutcomeFilters, Depends(outcome_filters)],
) -> Any:
    """Outcomes of the units in the caller's scope, by period."""
    return outcomes.list_outcomes(session, scope=scope, params=page, filters=filters)


@router.post(
    "/outcomes",
    response_model=OutcomePublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Report admissions as a count",
    responses=problem_responses(403, 409),
)
def create_outcome(
    session: SessionDep,
    scope: ScopeDep,
    outcome_in: OutcomeCreate,
    request: Request,
    response: Response,
) -> RecruitmentOutcome:
    """Admissions of a unit over a period where no individual records exist. 409 when it
    overlaps another outcome of the same line of units, or individual admissions of the unit's
    subtree unless `replaces_individual` says it stands for them."""
    outcome = outcomes.create_outcome(session, scope=scope, outcome_in=outcome_in)
    response.headers["Location"] = str(request.url_for("get_outcome", outcome_id=outcome.id))
    return with_etag(response, outcome)


@router.get(
    "/outcomes/{outcome_id:int}",
    response_model=OutcomePublic,
    summary="Get a reported outcome",
    responses=problem_responses(404),
)
async def get_outcome(outcome: OutcomeDep, response: Response) -> RecruitmentOutcome:
    """A count of admissions for a unit and a period."""
    return with_etag(response, outcome)


@router.patch(
    "/outcomes/{outcome_id:int}",
    response_model=OutcomePublic,
    summary="Correct a reported outcome",
    responses=problem_responses(403, 404, 409, 412),
)
def update_outcome(
    session: SessionDep,
    scope: ScopeDep,
    outcome: OutcomeDep,
    if_match: IfMatch,
    outcome_in: OutcomeUpdate,
    response: Response,
) -> RecruitmentOutcome:
    """The same overlap rules as on creation (409)."""
    check_if_match(outcome, if_match)
    updated = outcomes.update_outcome(session, scope=scope, outcome=outcome, outcome_in=outcome_in)
    return with_etag(response, updated)


@router.delete(
    "/outcomes/{outcome_id:int}",
    status_code=204,
    summary="Withdraw a reported outcome",
    responses=problem_responses(403, 404, 412),
)
def delete_outcome(
    session: SessionDep, scope: ScopeDep, outcome: OutcomeDep, if_match: IfMatch
) -> None:
    """A mistaken report, by the unit's managers or reporters; audited like every write."""
    check_if_match(outcome, if_match)
    outcomes.delete_outcome(session, scope=scope, outcome=outcome)


# --- progress of a unit ---------------------------------------------------------------------


@progress.get(
    "/{unit_id:int}/recruitment",
    response_model=UnitRecruitment,
    summary="Recruitment progress of a unit and each child",
    responses=problem_responses(404),
)
def unit_recruitment(
    session: SnapshotSessionDep,
    scope: ScopeDep,
    unit: UnitDep,
    period: PeriodDep,
    structure: StructureQuery = Structure.as_of,
) -> UnitRecruitment:
    """Target (the unit's own, summed over the years), admissions (individual and reported
    counts, each figure over the unit's whole subtree), achievement, candidates by stage at the
    end of the period and overdue alerts today, for the unit and each direct child. The period
    (`period`, or `from_year` to `to_year`) defaults to the current year; the target is shown
    for whole years only. Counts only: no personal data."""
    return unit_progress(session, unit=unit, period=period, structure=structure)
