"""The commitment state machine as data: the API serves it, so clients draw buttons from it."""

from dataclasses import dataclass

from app.models import CommitmentAction as A
from app.models import CommitmentStatus as S
from app.models.base import LabelledEnum


class Side(LabelledEnum):
    """Whose managers take an action: the committing unit's, or the superior's it is registered
    with."""

    unit = "unit", "Đơn vị đăng ký"
    superior = "superior", "Cấp ủy cấp trên"


@dataclass(frozen=True)
class Transition:
    action: A
    sources: tuple[S, ...]
    target: S
    side: Side
    requires: tuple[str, ...] = ()


TRANSITIONS: dict[A, Transition] = {
    t.action: t
    for t in (
        Transition(A.register, (S.draft,), S.registered, Side.unit),
        Transition(A.accept, (S.registered,), S.accepted, Side.superior),
        Transition(A.return_, (S.registered,), S.draft, Side.superior, ("note",)),
        Transition(A.start, (S.accepted,), S.in_progress, Side.unit),
        Transition(A.complete, (S.in_progress,), S.completed, Side.unit, ("result_summary",)),
        Transition(
            A.report_not_completed,
            (S.in_progress,),
            S.not_completed,
            Side.unit,
            ("result_summary",),
        ),
        Transition(A.escalate, (S.in_progress,), S.escalated, Side.unit, ("escalated_to",)),
        Transition(A.cancel, (S.draft, S.registered), S.cancelled, Side.unit),
    )
}

FINISHED = frozenset({S.completed, S.not_completed, S.escalated, S.cancelled})
EDITABLE = frozenset({S.draft})
ACCEPTS_PROGRESS = frozenset({S.accepted, S.in_progress})


def allowed_actions(status: S) -> list[A]:
    return [t.action for t in TRANSITIONS.values() if status in t.sources]


def describe() -> str:
    """The workflow as a Markdown table, for the OpenAPI description."""
    rows = [
        f"| `{t.action.value}` | {', '.join(f'`{s.value}`' for s in t.sources)} | "
        f"`{t.target.value}` | {t.side.value} | {', '.join(t.requires) or '—'} |"
        for t in TRANSITIONS.values()
    ]
    header = "| action | from | to | taken by managers of | requires |\n|---|---|---|---|---|"
    return "\n".join([header, *rows])
