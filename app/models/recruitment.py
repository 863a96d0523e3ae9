from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TimestampMixin, UTCDateTime, enum_column, utcnow
from app.models.enums import CandidateAction, CandidateStage, Sex, Structure


class RecruitmentTarget(TimestampMixin, table=True):
    """A unit's admission target for a year, assigned by its parent."""

    __tablename__ = "recruitment_target"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int = Field(index=True)
    target: int
    note: str | None = Field(default=None, max_length=1000)


class CandidateBase(SQLModel):
    full_name: str = Field(min_length=1, max_length=255)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    birth_date: date | None = Field(
        default=None,
        description="Needed for the age rule, counted in months when the cell considers the "
        "admission (18 to 60, app/rules/admission.py); its year is the birth year.",
    )
    sex: Sex | None = Field(default=None, sa_type=enum_column(Sex))
    occupation: str | None = Field(default=None, max_length=255)
    helper_person_id: int | None = Field(
        default=None,
        foreign_key="person.id",
        index=True,
        description="The party member assigned to help the candidate.",
    )
    in_charge_person_id: int | None = Field(
        default=None,
        foreign_key="person.id",
        index=True,
        description="The committee member in charge who follows the candidate.",
    )
    note: str | None = Field(default=None, max_length=5000)


# The dates a candidate's steps set, in pipeline order (dropping may follow any of them): the
# pipeline's rules (app/recruitment/workflow.py) and a closed unit's rules (app/tree/holdings.py)
# read the same list.
CANDIDATE_STEP_DATES = (
    "source_since",
    "course_completed_on",
    "course_renewed_on",
    "applied_on",
    "verified_on",
    "proposed_on",
    "last_failed_vote_on",
    "admitted_on",
    "ceremony_on",
    "official_on",
    "recognition_proposed_on",
    "recognised_on",
)


class Candidate(CandidateBase, TimestampMixin, table=True):
    """One person on the way to party membership in a unit (normally a party cell).

    The stage dates are the candidate's history; the due dates are derived from them (working
    days follow Vietnam's public holidays) and stored so that alerts filter in SQL.
    """

    __table_args__ = (
        # The list's order: a page is read off the index, not sorted.
        sa.Index("ix_candidate_search_key_id", "search_key", "id"),
        # Reports count the alerts and the admissions an outcome covers from these alone.
        sa.Index(
            "ix_candidate_alerts",
            "stage",
            "unit_id",
            "ceremony_on",
            "ceremony_due_on",
            "recognition_due_on",
        ),
        sa.Index("ix_candidate_unit_id_admitted_on", "unit_id", "admitted_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    stage: CandidateStage = Field(sa_type=enum_column(CandidateStage))
    search_key: str = Field(max_length=300)
    source_since: date
    course_completed_on: date | None = None
    course_renewed_on: date | None = Field(
        default=None, description="The last time the course was taken again, if ever."
    )
    course_valid_until: date | None = None
    applied_on: date | None = None
    verified_on: date | None = None
    # The cell's resolution proposing the admission, and the competent committee's deadline.
    proposed_on: date | None = None
    decision_due_on: date | None = None
    over_60_decision: str | None = Field(default=None, max_length=100)
    # Votes of the cell without the two thirds needed, on the current question (admission,
    # then recognition); at the rule's count the case goes to the superior committee.
    failed_votes: int = Field(default=0)
    last_failed_vote_on: date | None = None
    referred_on: date | None = None
    admitted_on: date | None = Field(default=None, index=True)
    decision_number: str | None = Field(default=None, max_length=100)
    ceremony_due_on: date | None = None
    ceremony_on: date | None = None
    probation_ends_on: date | None = None
    # The deadline of the next recognition step: the cell's proposal, then the committee's.
    recognition_due_on: date | None = None
    recognition_proposed_on: date | None = None
    recognised_on: date | None = None
    official_on: date | None = None
    dropped_on: date | None = None
    dropped_from: CandidateStage | None = Field(default=None, sa_type=enum_column(CandidateStage))
    drop_reason: str | None = Field(default=None, max_length=2000)


class CandidateEvent(SQLModel, table=True):
    """One step of a candidate's pipeline, as taken."""

    __tablename__ = "candidate_event"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    action: CandidateAction = Field(sa_type=enum_column(CandidateAction))
    from_stage: CandidateStage = Field(sa_type=enum_column(CandidateStage))
    to_stage: CandidateStage = Field(sa_type=enum_column(CandidateStage))
    on: date
    note: str | None = Field(default=None, max_length=5000)
    actor: str = Field(max_length=120)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RecruitmentOutcome(TimestampMixin, table=True):
    """Admissions of a unit over a period, reported as a count where no individual records
    exist (history, imports)."""

    __tablename__ = "recruitment_outcome"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period_start: date
    period_end: date
    admitted: int
    replaces_individual: bool = Field(default=False)
    source: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=5000)


class CandidateFlow(SQLModel, table=True):
    """Candidates entering and leaving (exiting) a stage during a year, over a unit's whole subtree:
    in the tree of that year (of its last day; of today for the current year, app/tree/closure.py),
    and in the tree of today.

    Kept by the write paths (app/recruitment/flows.py) so that reports read a few rows per unit
    instead of scanning every candidate below it.
    """

    __tablename__ = "candidate_flow"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    # The tree the row sums the subtree in: that of its year (`as_of`), or today's (`current`,
    # where a closed unit hangs under the unit that carries its history on).
    structure: Structure = Field(sa_type=enum_column(Structure), primary_key=True)
    stage: CandidateStage = Field(sa_type=enum_column(CandidateStage), primary_key=True)
    year: int = Field(primary_key=True)
    entered: int = Field(default=0)
    exited: int = Field(default=0)
    # Candidates at the stage that a change of the tree brought into (+) or took out of (-) the
    # subtree at the start of the year: stock at the end of a year = the sum over the years up
    # to it of entered - exited + carried (app/tree/sums.py).
    carried: int = Field(default=0)


class CandidateDue(SQLModel, table=True):
    """Candidates with a step due over a unit's whole subtree in the tree of today, by the last
    day of their earliest step still due: the committee's admission decision once the cell
    proposed it; after the admission, the ceremony's while none is recorded, else the
    recognition's next step. A candidate is overdue from the day after, until that step is
    taken (or the candidate leaves the stage), so the alerts overdue today are the sum over the
    days before today: a few rows per unit, where counting them on the candidates meant reading
    every admitted candidate below it (bench/RESULTS.md).

    Kept by the write paths with the flows (app/recruitment/dues.py)."""

    __tablename__ = "candidate_due"
    __table_args__ = (
        # A report sums a unit's days before today from the index alone: a unit's rows lie
        # scattered over the table (a province's 9,000 rows over 3,900 pages: 15 ms of 90).
        sa.Index("ix_candidate_due_sums", "unit_id", "due_on", "candidates"),
    )

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    due_on: date = Field(primary_key=True)
    candidates: int = Field(default=0)
