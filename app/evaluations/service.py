"""Evaluations of a unit's period (a year, a quarter, a term): the unit's self-assessment, the
superior's proposal and decision, the cap on excellent grades among a superior's children, and
a suggested grade with its reasons.

The rules are those in force on the period's last day (app/rules/evaluation.py). Under
Regulation 366-QĐ/TW a step may carry points (the self-assessment: a score per criterion of
the criteria set in force, with evidence; the proposal and the decision: a total), and its
grade is then derived from them, the period's tasks and the disciplines of its subordinate
organisations and leadership members (app/evaluations/grading.py). A step without points takes
the grade as given, as every step did before that regulation.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.access.scope import REPORT_ROLES, Scope
from app.approvals.locks import require_unlocked
from app.audit.service import audited
from app.commitments.workflow import FINISHED
from app.core import clock, periods
from app.core.config import settings
from app.core.errors import ConflictError, InvalidValueError
from app.core.i18n import t
from app.core.pagination import PageParams, paginate
from app.disciplines.counts import disciplined_in
from app.evaluations import criteria
from app.evaluations.grading import Graded, Tasks, grade_by_points
from app.evaluations.periods import Period
from app.evaluations.schemas import (
    CapIn,
    CapPublic,
    CapUpdate,
    CriterionPoints,
    GradeIn,
    ScoreIn,
    SelfAssessmentIn,
    SelfAssessmentUpdate,
    Suggestion,
    TasksIn,
    TasksPublic,
)
from app.models import (
    Commitment,
    CommitmentEvent,
    CommitmentStatus,
    CriterionMeasure,
    Evaluation,
    EvaluationStatus,
    ExcellenceCap,
    Grade,
    PeriodKind,
    Unit,
)
from app.recruitment.rollup import recruitment_figures
from app.recruitment.schemas import RecruitmentFigures
from app.rules.core import RuleSet
from app.rules.evaluation import POINTS_366
from app.rules.registry import evaluation_rules
from app.tree.closure import (
    children_ids,
    open_during,
    parent_id_on,
    structure_day,
    subtree_ids,
)
from app.tree.holdings import require_open
from app.tree.versions import Named


@dataclass(frozen=True)
class EvaluationFilters:
    root_id: int | None = None
    as_of: date | None = None
    unit_id: int | None = None
    year: int | None = None
    status: EvaluationStatus | None = None
    period_kind: PeriodKind | None = None


def list_evaluations(
    session: Session, *, scope: Scope, params: PageParams, filters: EvaluationFilters
) -> dict[str, Any]:
    statement = select(Evaluation).where(scope.covers(Evaluation.unit_id, Evaluation.year))
    if filters.root_id is not None:
        statement = statement.where(
            col(Evaluation.unit_id).in_(subtree_ids(filters.root_id, filters.as_of))
        )
    equal = {
        Evaluation.unit_id: filters.unit_id,
        Evaluation.year: filters.year,
        Evaluation.status: filters.status,
        Evaluation.period_kind: filters.period_kind,
    }
    for column, value in equal.items():
        if value is not None:
            statement = statement.where(col(column) == value)
    order = (col(Evaluation.year), col(Evaluation.unit_id), col(Evaluation.period_end))
    return paginate(session, statement.order_by(*order, col(Evaluation.id)), params, plain=True)


def _tree_day(period_end: date) -> date:
    """The day whose tree a period is read under: its last, or today if sooner."""
    return min(period_end, clock.today())


def _period_of(evaluation: Evaluation) -> Period:
    from_year = evaluation.period_start.year if evaluation.period_kind == PeriodKind.term else None
    quarter = (
        (evaluation.period_start.month - 1) // 3 + 1
        if evaluation.period_kind == PeriodKind.quarter
        else None
    )
    return Period(evaluation.period_kind, evaluation.year, quarter, from_year)


def _require_points_rules(rules: RuleSet, period: Period, field: str) -> None:
    if rules.code != POINTS_366:
        raise InvalidValueError(
            field,
            t(
                "The {key} period ends before Regulation 366-QĐ/TW: its evaluation keeps the "
                "rules of its day ({code}), which grade without points.",
                key=period.key,
                code=rules.code,
            ),
        )


def _scored(
    session: Session, period: Period, scores_in: list[ScoreIn]
) -> tuple[int | None, list[dict[str, Any]], float]:
    """The scores checked against the criteria set in force for the period: one per
    criterion, none over its points (422, naming the score). With each criterion's name and
    points as the set has them, so the evaluation keeps them whatever later versions say."""
    stored, criteria_set = criteria.in_force(session, period.year)
    known = {c.code: c for c in criteria_set.criteria}
    seen: set[str] = set()
    scores: list[dict[str, Any]] = []
    for i, score in enumerate(scores_in):
        criterion = known.get(score.criterion)
        if criterion is None:
            raise InvalidValueError(
                "scores",
                t(
                    "The criteria set of {key} ({name}) has no criterion {criterion!r}; it has "
                    "{known}.",
                    key=period.key,
                    name=criteria_set.name,
                    criterion=score.criterion,
                    known=known,
                ),
                path=(i, "criterion"),
            )
        if score.criterion in seen:
            raise InvalidValueError(
                "scores",
                t("Criterion {criterion!r} is scored twice.", criterion=score.criterion),
                path=(i, "criterion"),
            )
        seen.add(score.criterion)
        if score.points > criterion.max_points:
            raise InvalidValueError(
                "scores",
                t(
                    "Criterion {criterion!r} is worth {max_points} points at most, not {points:g}.",
                    criterion=score.criterion,
                    max_points=criterion.max_points,
                    points=score.points,
                ),
                path=(i, "points"),
            )
        scores.append(
            {
                "criterion": criterion.code,
                "name": criterion.name,
                "max_points": criterion.max_points,
                "points": score.points,
                "evidence": score.evidence,
                "links": score.links,
            }
        )
    missing = [code for code in known if code not in seen]
    if missing:
        raise InvalidValueError(
            "scores", t("Score every criterion: {missing} missing.", missing=missing)
        )
    total = round(sum(score.points for score in scores_in), 2)
    return (stored.id if stored is not None else None), scores, total


def _tasks_columns(tasks: TasksIn) -> dict[str, int]:
    return {
        "tasks_total": tasks.total,
        "tasks_on_time": tasks.on_time,
        "tasks_exceeded": tasks.exceeded,
        "tasks_behind": tasks.behind,
    }


def _stored_tasks(evaluation: Evaluation) -> Tasks | None:
    if evaluation.tasks_total is None:
        return None
    return Tasks(
        evaluation.tasks_total,
        evaluation.tasks_on_time or 0,
        evaluation.tasks_exceeded or 0,
        evaluation.tasks_behind or 0,
    )


def _graded(
    session: Session,
    *,
    unit_id: int,
    period: Period,
    rules: RuleSet,
    points: float,
    tasks: Tasks | None,
    given: Grade | None,
) -> Graded:
    """The grade the points earn, with the tasks and the period's disciplines counted now (the
    caller holds the unit's line, which every discipline below it or of its leaders locks too);
    409 when the caller gave another grade."""
    if tasks is None:
        raise InvalidValueError(
            "tasks", t("Grading by points needs the period's tasks (Regulation 366-QĐ/TW).")
        )
    disciplined = disciplined_in(
        session,
        unit_id=unit_id,
        start=period.start,
        end=period.end,
        tree_day=_tree_day(period.end),
    )
    graded = grade_by_points(rules, points=points, tasks=tasks, disciplined=disciplined.total)
    if given is not None and given != graded.grade:
        raise ConflictError(
            t(
                "{points:g} points give {grade} ({label}), not {given}: {reasons}",
                points=points,
                grade=graded.grade,
                label=graded.grade.label,
                given=given,
                reasons=" ".join(graded.reasons),
            )
        )
    return graded


def _require_unlocked(session: Session, evaluation: Evaluation) -> None:
    """An evaluation is a figure of its unit's period (app/approvals/locks.py)."""
    require_unlocked(
        session,
        unit_id=evaluation.unit_id,
        first=evaluation.period_start,
        last=evaluation.period_end,
    )


def self_assess(session: Session, *, scope: Scope, assessment_in: SelfAssessmentIn) -> Evaluation:
    scope.named_unit(assessment_in.unit_id)
    scope.require_write(assessment_in.unit_id, t("assess this unit"))
    period = assessment_in.period()
    rules = evaluation_rules(period.end)
    if assessment_in.scores is None and assessment_in.grade is None:
        raise InvalidValueError("grade", t("Give the grade, or (Regulation 366-QĐ/TW) the scores."))
    if assessment_in.scores is not None:
        _require_points_rules(rules, period, "scores")
        if assessment_in.tasks is None:
            raise InvalidValueError("tasks", t("Scores come with the period's tasks."))
    evaluation = Evaluation(
        unit_id=assessment_in.unit_id,
        year=period.year,
        period_kind=period.kind,
        period=period.key,
        period_start=period.start,
        period_end=period.end,
        status=EvaluationStatus.self_assessed,
        self_grade=assessment_in.grade or Grade.not_completed,
        self_note=assessment_in.note,
        self_assessed_by=scope.principal.name,
    )
    if assessment_in.tasks is not None:
        for key, value in _tasks_columns(assessment_in.tasks).items():
            setattr(evaluation, key, value)
    with audited(
        session, scope=scope, action="create", entity=evaluation, lines=[evaluation.unit_id]
    ):
        _require_unlocked(session, evaluation)
        require_open(
            session,
            evaluation.unit_id,
            on=period.start,
            what=t("evaluation of {key}", key=period.key),
        )
        existing = session.execute(
            select(col(Evaluation.id)).where(
                col(Evaluation.unit_id) == assessment_in.unit_id,
                col(Evaluation.period) == period.key,
            )
        ).scalar()
        if existing is not None:
            raise ConflictError(
                t(
                    "Unit {unit_id} already has evaluation {existing} for {key}.",
                    unit_id=assessment_in.unit_id,
                    existing=existing,
                    key=period.key,
                )
            )
        if assessment_in.scores is not None:
            set_id, scores, points = _scored(session, period, assessment_in.scores)
            graded = _graded(
                session,
                unit_id=evaluation.unit_id,
                period=period,
                rules=rules,
                points=points,
                tasks=_stored_tasks(evaluation),
                given=assessment_in.grade,
            )
            evaluation.criteria_set_id = set_id
            evaluation.scores = scores
            evaluation.self_points = points
            evaluation.self_grade = graded.grade
            evaluation.grade_reasons = graded.reasons
        session.add(evaluation)
    return evaluation


def _save(
    session: Session, scope: Scope, evaluation: Evaluation, action: str, changes: dict[str, Any]
) -> Evaluation:
    with audited(
        session, scope=scope, action=action, entity=evaluation, lines=[evaluation.unit_id]
    ):
        _require_unlocked(session, evaluation)
        evaluation.apply(changes)
    return evaluation


def update_self_assessment(
    session: Session, *, scope: Scope, evaluation: Evaluation, update_in: SelfAssessmentUpdate
) -> Evaluation:
    """The grade and note as before; under Regulation 366-QĐ/TW the scores and the tasks too,
    and a self-assessment with scores has the grade they give."""
    scope.require_write(evaluation.unit_id, t("assess this unit"))
    if evaluation.status != EvaluationStatus.self_assessed:
        raise ConflictError(t("The superior has taken the evaluation up: it no longer changes."))
    sent = update_in.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "note" in sent:
        changes["self_note"] = sent["note"]
    if "grade" in sent:
        changes["self_grade"] = update_in.grade
    if update_in.tasks is not None:
        changes |= _tasks_columns(update_in.tasks)
    period = _period_of(evaluation)
    rules = evaluation_rules(period.end)
    if update_in.scores is not None or update_in.tasks is not None:
        _require_points_rules(rules, period, "scores" if update_in.scores is not None else "tasks")
    with audited(
        session, scope=scope, action="update", entity=evaluation, lines=[evaluation.unit_id]
    ):
        _require_unlocked(session, evaluation)
        rescored = update_in.scores is not None or (
            evaluation.scores is not None and ("tasks" in sent or "grade" in sent)
        )
        if rescored:
            if update_in.scores is not None:
                set_id, scores, points = _scored(session, period, update_in.scores)
                changes |= {"criteria_set_id": set_id, "scores": scores}
            else:
                points = evaluation.self_points or 0.0
            tasks = (
                Tasks(**update_in.tasks.model_dump())
                if update_in.tasks is not None
                else _stored_tasks(evaluation)
            )
            graded = _graded(
                session,
                unit_id=evaluation.unit_id,
                period=period,
                rules=rules,
                points=points,
                tasks=tasks,
                given=update_in.grade if "grade" in sent else None,
            )
            changes |= {
                "self_points": points,
                "self_grade": graded.grade,
                "grade_reasons": graded.reasons,
            }
        evaluation.apply(changes)
    return evaluation


def _superior_of(session: Session, evaluation: Evaluation) -> int | None:
    """The unit above in the tree of the evaluated period (app/tree): it proposes and decides."""
    on = _tree_day(evaluation.period_end)
    return session.execute(parent_id_on(evaluation.unit_id, on)).scalar_one_or_none()


def _step(
    session: Session, evaluation: Evaluation, grade_in: GradeIn, prefix: str
) -> dict[str, Any]:
    """The grade, points and tasks of a proposal or a decision. Checked inside the caller's
    `audited` block: the disciplines counted are those committed before the unit's line lock."""
    period = _period_of(evaluation)
    changes: dict[str, Any] = {}
    if grade_in.tasks is not None:
        changes |= _tasks_columns(grade_in.tasks)
    if grade_in.points is None:
        if grade_in.grade is None:
            raise InvalidValueError("grade", t("Give the grade, or (Regulation 366-QĐ/TW) points."))
        return changes | {f"{prefix}_grade": grade_in.grade, f"{prefix}_points": None}
    rules = evaluation_rules(period.end)
    _require_points_rules(rules, period, "points")
    tasks = (
        Tasks(**grade_in.tasks.model_dump())
        if grade_in.tasks is not None
        else _stored_tasks(evaluation)
    )
    graded = _graded(
        session,
        unit_id=evaluation.unit_id,
        period=period,
        rules=rules,
        points=grade_in.points,
        tasks=tasks,
        given=grade_in.grade,
    )
    return changes | {
        f"{prefix}_grade": graded.grade,
        f"{prefix}_points": grade_in.points,
        "grade_reasons": graded.reasons,
    }


def propose(
    session: Session, *, scope: Scope, evaluation: Evaluation, grade_in: GradeIn
) -> Evaluation:
    """By the superior's managers or reporters (its organisation staff), until decided."""
    scope.require_write(
        _superior_of(session, evaluation), t("propose this unit's grade"), REPORT_ROLES
    )
    if evaluation.status == EvaluationStatus.decided:
        raise ConflictError(t("The evaluation is decided."))
    with audited(
        session, scope=scope, action="propose", entity=evaluation, lines=[evaluation.unit_id]
    ):
        _require_unlocked(session, evaluation)
        changes = _step(session, evaluation, grade_in, "proposed")
        evaluation.apply(
            changes
            | {
                "status": EvaluationStatus.proposed,
                "proposal_note": grade_in.note,
                "proposed_by": scope.principal.name,
            }
        )
    return evaluation


def _children_during(session: Session, parent_id: int, year: int) -> int:
    """The units below `parent_id` in the year's tree that were open during the year."""
    return (
        session.scalar(
            select(func.count()).where(
                col(Unit.id).in_(children_ids(parent_id, structure_day(year))),
                open_during(date(year, 1, 1), date(year, 12, 31)),
            )
        )
        or 0
    )


def _decided_among_children(
    session: Session,
    parent_id: int,
    year: int,
    grades: tuple[Grade, ...],
    *,
    besides: int | None = None,
) -> int:
    """Yearly evaluations of the children decided with one of `grades` (a cap is per year)."""
    children = children_ids(parent_id, structure_day(year))
    return (
        session.scalar(
            select(func.count()).where(
                col(Evaluation.unit_id).in_(children),
                col(Evaluation.year) == year,
                col(Evaluation.period_kind) == PeriodKind.year,
                col(Evaluation.decided_grade).in_(grades),
                col(Evaluation.id) != (besides or 0),
            )
        )
        or 0
    )


GOOD_OR_BETTER = (Grade.excellent, Grade.good)


def _excellent_among_children(
    session: Session, parent_id: int, year: int, *, besides: int | None = None
) -> int:
    return _decided_among_children(session, parent_id, year, (Grade.excellent,), besides=besides)


def _max_excellent(max_percent: int, base: int) -> int:
    return max_percent * base // 100


def _cap_base(session: Session, parent_id: int, year: int) -> tuple[bool, int]:
    """What a cap's percentage is of: (True, children rated good or better) under Regulation
    366-QĐ/TW ("20% of those rated good", unverified for party organisations, FACTS-2025.md),
    (False, the children open during the year) before it, as the service always counted."""
    if evaluation_rules(date(year, 12, 31)).code == POINTS_366:
        return True, _decided_among_children(session, parent_id, year, GOOD_OR_BETTER)
    return False, _children_during(session, parent_id, year)


def _find_cap(session: Session, parent_id: int, year: int) -> ExcellenceCap | None:
    return session.execute(
        select(ExcellenceCap).where(
            col(ExcellenceCap.unit_id) == parent_id, col(ExcellenceCap.year) == year
        )
    ).scalar_one_or_none()


def _check_decision_cap(
    session: Session, evaluation: Evaluation, parent_id: int | None, grade: Grade
) -> None:
    """An excellent yearly grade must fit the superior's cap for the year: the one it recorded,
    else under Regulation 366-QĐ/TW the default of `CAMKET_EVALUATION_EXCELLENT_CAP_PERCENT`
    (before it, no recorded cap, no limit). Counted with this decision among those rated good
    or better."""
    if parent_id is None or grade != Grade.excellent:
        return
    if evaluation.period_kind != PeriodKind.year:
        return
    year = evaluation.year
    cap = _find_cap(session, parent_id, year)
    by_rating, base = _cap_base(session, parent_id, year)
    if cap is None and not by_rating:
        return
    max_percent = cap.max_percent if cap is not None else settings.evaluation_excellent_cap_percent
    if by_rating:
        base = (
            _decided_among_children(session, parent_id, year, GOOD_OR_BETTER, besides=evaluation.id)
            + 1
        )
    allowed = _max_excellent(max_percent, base)
    taken = _excellent_among_children(session, parent_id, year, besides=evaluation.id)
    if taken + 1 > allowed:
        of = t("of those rated good or better") if by_rating else t("of its children")
        recorded = (
            t("cap {id}", id=cap.id) if cap is not None else t("the default cap (unverified)")
        )
        raise ConflictError(
            t(
                "Unit {parent_id} caps excellent grades at {max_percent}% {of} in {year} "
                "({recorded}: {allowed} of {base}); {taken} already hold one. Under Regulation "
                "366-QĐ/TW decide the good grades first.",
                parent_id=parent_id,
                max_percent=max_percent,
                of=of,
                year=year,
                recorded=recorded,
                allowed=allowed,
                base=base,
                taken=taken,
            )
        )


def decide(
    session: Session, *, scope: Scope, evaluation: Evaluation, grade_in: GradeIn
) -> Evaluation:
    """By the superior's managers, once proposed; an excellent grade must fit the superior's cap."""
    parent_id = _superior_of(session, evaluation)
    scope.require_write(parent_id, t("decide this unit's grade"))
    if evaluation.status != EvaluationStatus.proposed:
        raise ConflictError(
            t("The evaluation is {status}: it is decided once proposed.", status=evaluation.status)
        )
    # The line holds the superior: concurrent decisions under one cap count each other.
    with audited(
        session, scope=scope, action="decide", entity=evaluation, lines=[evaluation.unit_id]
    ):
        _require_unlocked(session, evaluation)
        changes = _step(session, evaluation, grade_in, "decided")
        _check_decision_cap(session, evaluation, parent_id, changes["decided_grade"])
        evaluation.apply(
            changes
            | {
                "status": EvaluationStatus.decided,
                "decision_note": grade_in.note,
                "decided_by": scope.principal.name,
            }
        )
    return evaluation


# --- caps -----------------------------------------------------------------------------------


def publish_cap(session: Session, cap: ExcellenceCap) -> CapPublic:
    children = _children_during(session, cap.unit_id, cap.year)
    rated = _decided_among_children(session, cap.unit_id, cap.year, GOOD_OR_BETTER)
    _, base = _cap_base(session, cap.unit_id, cap.year)
    return CapPublic(
        id=cap.id,
        unit_id=cap.unit_id,
        year=cap.year,
        max_percent=cap.max_percent,
        rule_set=evaluation_rules(date(cap.year, 12, 31)).code,
        children=children,
        rated_good_or_better=rated,
        max_excellent=_max_excellent(cap.max_percent, base),
        excellent=_excellent_among_children(session, cap.unit_id, cap.year),
    )


def list_caps(
    session: Session, *, scope: Scope, params: PageParams, unit_id: int | None, year: int | None
) -> dict[str, Any]:
    statement = select(ExcellenceCap).where(scope.covers(ExcellenceCap.unit_id, ExcellenceCap.year))
    if unit_id is not None:
        statement = statement.where(col(ExcellenceCap.unit_id) == unit_id)
    if year is not None:
        statement = statement.where(col(ExcellenceCap.year) == year)
    order = (col(ExcellenceCap.year), col(ExcellenceCap.unit_id))
    page = paginate(session, statement.order_by(*order), params)
    # Two counts per cap: caps are one per superior and year, so a page holds few.
    page["items"] = [publish_cap(session, cap) for cap in page["items"]]
    return page


def _check_cap(session: Session, cap: ExcellenceCap) -> None:
    taken = _excellent_among_children(session, cap.unit_id, cap.year)
    by_rating, base = _cap_base(session, cap.unit_id, cap.year)
    allowed = _max_excellent(cap.max_percent, base)
    if taken > allowed:
        of = (
            t("{base} rated good or better", base=base)
            if by_rating
            else t("{base} children", base=base)
        )
        raise ConflictError(
            t(
                "{taken} of unit {unit_id}'s children already hold an excellent grade for "
                "{year}; a cap of {max_percent}% of {of} allows {allowed}.",
                taken=taken,
                unit_id=cap.unit_id,
                year=cap.year,
                max_percent=cap.max_percent,
                of=of,
                allowed=allowed,
            )
        )


def create_cap(session: Session, *, scope: Scope, cap_in: CapIn) -> ExcellenceCap:
    scope.named_unit(cap_in.unit_id)
    scope.require_write(cap_in.unit_id, t("cap the grades of this unit's children"))
    # The default is the unverified cap of Regulation 366-QĐ/TW (app/rules/evaluation.py).
    cap = ExcellenceCap.model_validate(
        cap_in,
        update={
            "max_percent": settings.evaluation_excellent_cap_percent
            if cap_in.max_percent is None
            else cap_in.max_percent
        },
    )
    with audited(session, scope=scope, action="create", entity=cap, lines=[cap.unit_id]):
        existing = _find_cap(session, cap_in.unit_id, cap_in.year)
        if existing is not None:
            raise ConflictError(
                t(
                    "Unit {unit_id} already has cap {id} for {year}: change it.",
                    unit_id=cap_in.unit_id,
                    id=existing.id,
                    year=cap_in.year,
                )
            )
        _check_cap(session, cap)
        session.add(cap)
    return cap


def update_cap(
    session: Session, *, scope: Scope, cap: ExcellenceCap, cap_in: CapUpdate
) -> ExcellenceCap:
    scope.require_write(cap.unit_id, t("cap the grades of this unit's children"))
    with audited(session, scope=scope, action="update", entity=cap, lines=[cap.unit_id]):
        if cap.apply(cap_in.model_dump(exclude_unset=True)):
            _check_cap(session, cap)
    return cap


# --- suggestion -----------------------------------------------------------------------------


def _commitment_tasks(
    session: Session, unit_id: int, period: Period
) -> tuple[list[CommitmentStatus], Tasks]:
    """The unit's own commitments of the period's years (cancelled ones aside), and as tasks:
    done on time (completed by the deadline, or by the end of its year without one), behind
    schedule (not completed, completed late, or still unfinished after its deadline, today).
    Whether a task exceeded its requirements is not recorded:
    none here."""
    completed_at = (
        select(func.max(CommitmentEvent.at))
        .where(
            col(CommitmentEvent.commitment_id) == Commitment.id,
            col(CommitmentEvent.to_status) == CommitmentStatus.completed,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(col(Commitment.status), col(Commitment.year), col(Commitment.deadline), completed_at)
        .where(
            col(Commitment.unit_id) == unit_id,
            col(Commitment.year).between(period.first_year, period.year),
            col(Commitment.status) != CommitmentStatus.cancelled,
        )
        .order_by(col(Commitment.id))
    ).all()
    today = clock.today()
    statuses, on_time, behind = [], 0, 0
    for status, year, deadline, done_at in rows:
        statuses.append(status)
        due = deadline or date(year, 12, 31)
        if status == CommitmentStatus.completed:
            if done_at is None or done_at.date() <= due:
                on_time += 1
            else:
                behind += 1
        elif status == CommitmentStatus.not_completed or (status not in FINISHED and due < today):
            behind += 1
    return statuses, Tasks(len(statuses), on_time, 0, behind)


def suggest(
    session: Session,
    *,
    unit: Unit,
    year: int,
    figures: RecruitmentFigures | None = None,
    period: Period | None = None,
) -> Suggestion:
    """Under the rules in force on the period's last day (app/rules/evaluation.py). Before
    Regulation 366-QĐ/TW, the rule of the service then, in order: a commitment not completed,
    or a recruitment achievement under the `completed` threshold, gives *not completed*; the
    `excellent` threshold with every commitment completed (at least one) gives *excellent*;
    the `good` threshold (or no target) with no commitment unfinished gives *good*; anything
    else *completed*. Under it, the points of the criteria set in force and the grade they give
    (`_suggest_points`)."""
    period = period or Period(PeriodKind.year, year)
    rules = evaluation_rules(period.end)
    assert unit.id is not None
    if figures is None:
        named = Named(unit.id, unit.code, unit.name, unit.parent_id)
        (figures,) = recruitment_figures(
            session, units=[named], period=periods.Period.years(period.first_year, period.year)
        )
    # The thresholds compare the exact ratio: 49.96% is under 50% even if shown as 50%. A
    # target of 0 is met by definition.
    target = figures.target
    achievement = None if target is None else (100 * figures.admitted / target if target else 100.0)
    statuses, tasks = _commitment_tasks(session, unit.id, period)
    completed = statuses.count(CommitmentStatus.completed)
    failed = statuses.count(CommitmentStatus.not_completed)
    unfinished = sum(1 for s in statuses if s not in FINISHED)
    # The reasons are read by the committees themselves, and exported: in Vietnamese.
    reasons = []
    years = f"năm {year}" if period.first_year == year else f"{period.first_year}–{year}"
    if achievement is None:
        reasons.append(
            f"{years.capitalize()} không có chỉ tiêu kết nạp đảng viên: không tính tiêu chí này."
        )
    elif target == 0:
        reasons.append(f"Chỉ tiêu kết nạp {years} là 0: coi như đạt chỉ tiêu.")
    else:
        reasons.append(
            f"Kết nạp {figures.admitted}/{figures.target} đảng viên theo chỉ tiêu "
            f"(đạt {figures.achievement_percent:g}%)."
        )
    reasons.append(
        f"Cam kết (không tính cam kết đã hủy): {len(statuses)}, {completed} hoàn thành, "
        f"{failed} không hoàn thành, {unfinished} chưa kết thúc."
    )
    parts = [min(achievement, 100.0)] if achievement is not None else []
    if statuses:
        parts.append(100 * completed / len(statuses))
    suggestion = Suggestion(
        unit_id=unit.id,
        year=year,
        period_kind=period.kind,
        period=period.key,
        rule_set=rules.code,
        grade=Grade.not_completed,
        grade_label=Grade.not_completed.label,
        score=round(sum(parts) / len(parts), 1) if parts else None,
        achievement_percent=figures.achievement_percent,
        commitments=len(statuses),
        commitments_completed=completed,
        reasons=reasons,
    )
    if rules.code == POINTS_366:
        return _suggest_points(
            session,
            suggestion,
            unit_id=unit.id,
            period=period,
            rules=rules,
            figures=figures,
            achievement=achievement,
            tasks=tasks,
        )
    s = settings
    if failed:
        grade = Grade.not_completed
        reasons.append("Có cam kết không hoàn thành.")
    elif achievement is not None and achievement < s.grade_completed_min_achievement:
        grade = Grade.not_completed
        reasons.append(f"Tỷ lệ đạt chỉ tiêu dưới {s.grade_completed_min_achievement:g}%.")
    elif (
        achievement is not None
        and achievement >= s.grade_excellent_min_achievement
        and statuses
        and completed == len(statuses)
    ):
        grade = Grade.excellent
        reasons.append(
            f"Đạt chỉ tiêu (từ {s.grade_excellent_min_achievement:g}%) và hoàn thành mọi cam kết."
        )
    elif (achievement is None or achievement >= s.grade_good_min_achievement) and not unfinished:
        grade = Grade.good
        reasons.append(
            f"Tỷ lệ đạt chỉ tiêu từ {s.grade_good_min_achievement:g}% (hoặc không có chỉ tiêu) "
            "và không còn cam kết chưa kết thúc."
        )
    else:
        grade = Grade.completed
        reasons.append("Chưa đủ điều kiện xếp loại xuất sắc hoặc tốt.")
    return suggestion.model_copy(
        update={"grade": grade, "grade_label": grade.label, "reasons": reasons}
    )


def _suggest_points(
    session: Session,
    suggestion: Suggestion,
    *,
    unit_id: int,
    period: Period,
    rules: RuleSet,
    figures: RecruitmentFigures,
    achievement: float | None,
    tasks: Tasks,
) -> Suggestion:
    """Regulation 366-QĐ/TW: each criterion of the set in force, measured ones from the
    figures (recruitment achievement, capped at 100%; the share of commitments completed on
    time), the others from the unit's self-assessment of the period, or 0 until it scores
    them (the suggestion is then a floor). The share of tasks exceeding requirements is the
    unit's own figure, which Cam Kết does not measure."""
    _, criteria_set = criteria.in_force(session, period.year)
    own = session.execute(
        select(Evaluation).where(
            col(Evaluation.unit_id) == unit_id, col(Evaluation.period) == period.key
        )
    ).scalar_one_or_none()
    own_scores = {s["criterion"]: s for s in (own.scores or [])} if own is not None else {}
    exceeded = min(own.tasks_exceeded or 0, tasks.total) if own is not None else 0
    tasks = Tasks(tasks.total, tasks.on_time, exceeded, tasks.behind)
    lines, unscored = [], False
    for criterion in criteria_set.criteria:
        points: float | None = None
        figures_of: dict[str, Any] = {}
        top = criterion.max_points
        if criterion.measure == CriterionMeasure.recruitment_achievement:
            figures_of = {
                "target": figures.target,
                "admitted": figures.admitted,
                "achievement_percent": figures.achievement_percent,
            }
            if achievement is None:
                reason = "Không có chỉ tiêu kết nạp: không đo được."
            else:
                points = round(top * min(achievement, 100.0) / 100, 2)
                reason = (
                    f"Kết nạp {figures.admitted}/{figures.target}: {points:g}/{top} điểm "
                    "(tỷ lệ đạt chỉ tiêu, tối đa 100%)."
                )
        elif criterion.measure == CriterionMeasure.commitments_on_time:
            figures_of = {
                "commitments": tasks.total,
                "on_time": tasks.on_time,
                "behind": tasks.behind,
            }
            if not tasks.total:
                reason = "Không có cam kết trong kỳ: không đo được."
            else:
                points = round(top * tasks.on_time / tasks.total, 2)
                reason = (
                    f"Cam kết hoàn thành đúng hạn {tasks.on_time}/{tasks.total}: "
                    f"{points:g}/{top} điểm."
                )
        else:
            reason = "Tiêu chí do cấp ủy chấm."
        if points is None and criterion.code in own_scores:
            points = float(own_scores[criterion.code]["points"])
            reason += f" Theo điểm tự chấm của đơn vị: {points:g}/{top}."
        elif points is None:
            unscored = True
            reason += " Chưa có điểm: tính 0."
        lines.append(
            CriterionPoints(
                criterion=criterion.code,
                name=criterion.name,
                max_points=top,
                points=points,
                measure=criterion.measure,
                figures=figures_of,
                reason=reason,
            )
        )
    total = round(sum(line.points or 0 for line in lines), 2)
    disciplined = disciplined_in(
        session, unit_id=unit_id, start=period.start, end=period.end, tree_day=_tree_day(period.end)
    )
    graded = grade_by_points(rules, points=total, tasks=tasks, disciplined=disciplined.total)
    reasons = [
        *suggestion.reasons,
        *(f"{line.name}: {line.reason}" for line in lines),
        f"Nhiệm vụ tính theo cam kết của {period.label}; tỷ lệ vượt yêu cầu theo số liệu "
        "tự đánh giá của đơn vị (Cam Kết không đo được).",
        *graded.reasons,
    ]
    if unscored:
        reasons.append("Có tiêu chí chưa có điểm (tính 0): mức gợi ý là mức thấp nhất.")
    return suggestion.model_copy(
        update={
            "grade": graded.grade,
            "grade_label": graded.grade.label,
            "points": total,
            "criteria_set_id": criteria_set.id,
            "criteria": lines,
            "tasks": TasksPublic(
                total=tasks.total,
                on_time=tasks.on_time,
                exceeded=tasks.exceeded,
                behind=tasks.behind,
            ),
            "disciplined": disciplined.total,
            "reasons": reasons,
        }
    )
