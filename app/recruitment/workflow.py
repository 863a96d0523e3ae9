"""The admission pipeline as data: which action moves a candidate from which stage to which,
the date field it sets and what it requires. The API serves it so clients draw buttons from it."""

from dataclasses import dataclass

from app.models import CANDIDATE_STEP_DATES
from app.models import CandidateAction as A
from app.models import CandidateStage as S

# The dates a candidate's steps set, in pipeline order: a new step may not date before any of them.
STEP_DATES = CANDIDATE_STEP_DATES


@dataclass(frozen=True)
class Step:
    action: A
    sources: tuple[S, ...]
    target: S | None  # None: a dated step within the stage the candidate is at
    date_field: str
    requires: tuple[str, ...] = ()

    def stage_after(self, stage: S) -> S:
        return self.target or stage


BEFORE_OFFICIAL = (S.source, S.awareness_course, S.applied, S.verified, S.admitted)

STEPS: dict[A, Step] = {
    s.action: s
    for s in (
        # Taking the course again renews a certificate that expired before the application: the
        # first date stays (it dates the stage), the new one goes to `course_renewed_on`.
        Step(
            A.complete_course,
            (S.source, S.awareness_course),
            S.awareness_course,
            "course_completed_on",
        ),
        Step(A.apply, (S.awareness_course,), S.applied, "applied_on"),
        Step(A.verify, (S.applied,), S.verified, "verified_on"),
        # The cell's resolution proposing the admission starts the committee's 60 working days;
        # the age rule is checked on it (app/rules/admission.py).
        Step(A.propose, (S.verified,), S.verified, "proposed_on"),
        # A vote of the cell without two thirds, on the admission or on the recognition.
        Step(A.record_failed_vote, (S.verified, S.admitted), None, "last_failed_vote_on"),
        Step(A.admit, (S.verified,), S.admitted, "admitted_on", ("decision_number",)),
        # The ceremony is a dated step within the admitted stage, not a stage of its own.
        Step(A.hold_ceremony, (S.admitted,), S.admitted, "ceremony_on"),
        Step(A.propose_recognition, (S.admitted,), S.admitted, "recognition_proposed_on"),
        # The committee's decision, dated `recognised_on`; the member is official from the end
        # of probation however late it comes (Guidance 06-HD/TW, FACTS-2025.md).
        Step(A.recognise, (S.admitted,), S.official, "recognised_on"),
        Step(A.drop, BEFORE_OFFICIAL, S.dropped, "dropped_on", ("reason",)),
    )
}


def allowed_actions(stage: S) -> list[A]:
    return [s.action for s in STEPS.values() if stage in s.sources]


def describe() -> str:
    """The pipeline as a Markdown table, for the OpenAPI description."""
    rows = [
        f"| `{s.action.value}` | {', '.join(f'`{x.value}`' for x in s.sources)} | "
        f"{f'`{s.target.value}`' if s.target else '(stays)'} | `{s.date_field}` | "
        f"{', '.join(s.requires) or '—'} |"
        for s in STEPS.values()
    ]
    header = "| action | from | to | sets | requires |\n|---|---|---|---|---|"
    return header + "\n" + "\n".join(rows)
