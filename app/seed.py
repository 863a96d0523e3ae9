"""Load the article's data from `seed_data/*.yaml` through the same services the API uses.

Idempotent: each record is looked up by its natural key, created when missing and updated when
the file differs, so the rules of the API hold for seeded data too.
"""

from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import SYSTEM, Scope
from app.auth import service as auth
from app.auth.schemas import UserCreate
from app.commitments import service as commitments
from app.commitments.schemas import CommitmentCreate, ProgressUpdateCreate, TransitionIn
from app.core import clock
from app.core.config import Environment, settings
from app.core.db import engine
from app.directives import service as directives
from app.directives.schemas import DirectiveCreate, DirectiveUpdate
from app.models import (
    Commitment,
    CommitmentAction,
    CommitmentStatus,
    Directive,
    Person,
    Position,
    ProgressUpdate,
    RecruitmentOutcome,
    Reorganisation,
    Unit,
    User,
)
from app.people import service as people
from app.people.schemas import PersonCreate, PositionCreate, PositionUpdate
from app.recruitment import outcomes
from app.recruitment.schemas import OutcomeCreate, OutcomeUpdate
from app.reorganisations import service as reorganisations
from app.reorganisations.schemas import ReorganisationCreate
from app.units import service as units
from app.units.schemas import UnitCreate, UnitUpdate

Counts = dict[str, tuple[int, int]]


def _read(directory: Path) -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.yaml")):
        for section, records in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            data.setdefault(section, []).extend(records or [])
    return data


def _changed(record: Any, wanted: dict[str, Any]) -> bool:
    return any(getattr(record, key) != value for key, value in wanted.items())


def _one(session: Session, statement: Any) -> Any:
    return session.execute(statement).scalars().first()


def _seed_directives(
    session: Session, scope: Scope, rows: list[dict[str, Any]], tally: Counter[str]
) -> None:
    for row in rows:
        directive_in = DirectiveCreate.model_validate(row)
        existing = _one(session, select(Directive).where(col(Directive.code) == directive_in.code))
        if existing is None:
            directives.create_directive(session, scope=scope, directive_in=directive_in)
            tally["created"] += 1
        elif _changed(existing, directive_in.model_dump()):
            update = DirectiveUpdate.model_validate(directive_in.model_dump())
            directives.update_directive(
                session, scope=scope, directive=existing, directive_in=update
            )
            tally["updated"] += 1


def _unit_id(session: Session, code: str) -> int:
    unit = _one(session, select(Unit).where(col(Unit.code) == code))
    if unit is None:
        raise ValueError(f"seed: unknown unit code {code!r}")
    assert unit.id is not None
    return int(unit.id)


def _seed_units(
    session: Session, scope: Scope, rows: list[dict[str, Any]], tally: Counter[str]
) -> None:
    for row in rows:  # parents are listed before their children
        fields = {k: v for k, v in row.items() if k != "parent"}
        parent = row.get("parent")
        fields["parent_id"] = _unit_id(session, parent) if parent else None
        unit_in = UnitCreate.model_validate(fields)
        existing = _one(session, select(Unit).where(col(Unit.code) == unit_in.code))
        if existing is None:
            units.create_unit(session, scope=scope, unit_in=unit_in)
            tally["created"] += 1
        # The file holds each unit as it was created: a place or a name a reorganisation gave it
        # since is not undone, and a closed unit is history.
        elif existing.valid_to is None and _changed(
            existing, unit_in.model_dump(exclude={"parent_id"})
        ):
            update = UnitUpdate.model_validate(unit_in.model_dump())
            units.update_unit(session, scope=scope, unit=existing, unit_in=update)
            tally["updated"] += 1


def _person(session: Session, full_name: str) -> Person | None:
    statement = select(Person).where(col(Person.full_name) == full_name).order_by(col(Person.id))
    person: Person | None = _one(session, statement)
    return person


def _seed_people(
    session: Session, scope: Scope, rows: list[dict[str, Any]], tally: Counter[str]
) -> None:
    for row in rows:
        person_in = PersonCreate.model_validate(row)
        if _person(session, person_in.full_name) is None:
            people.create_person(session, scope=scope, person_in=person_in)
            tally["created"] += 1


def _seed_positions(
    session: Session, scope: Scope, rows: list[dict[str, Any]], tally: Counter[str]
) -> None:
    for row in rows:
        person = _person(session, row["person"])
        if person is None:
            raise ValueError(f"seed: unknown person {row['person']!r}")
        fields = {k: v for k, v in row.items() if k not in {"person", "unit"}}
        position_in = PositionCreate.model_validate(
            {**fields, "person_id": person.id, "unit_id": _unit_id(session, row["unit"])}
        )
        existing = _one(
            session,
            select(Position).where(
                col(Position.person_id) == position_in.person_id,
                col(Position.unit_id) == position_in.unit_id,
                col(Position.post) == position_in.post,
            ),
        )
        if existing is None:
            people.create_term(session, Position, scope=scope, term_in=position_in)
            tally["created"] += 1
        # Only what the file says is compared: a post a reorganisation ended stays ended.
        elif _changed(existing, position_in.model_dump(exclude_unset=True)):
            update = PositionUpdate.model_validate(
                position_in.model_dump(exclude={"person_id", "unit_id"}, exclude_unset=True)
            )
            people.update_term(session, scope=scope, term=existing, term_in=update)
            tally["updated"] += 1


# The workflow actions that bring a new commitment to the status the seed gives.
PATH_TO_STATUS: dict[CommitmentStatus, list[CommitmentAction]] = {
    CommitmentStatus.draft: [],
    CommitmentStatus.registered: [CommitmentAction.register],
    CommitmentStatus.accepted: [CommitmentAction.register, CommitmentAction.accept],
    CommitmentStatus.in_progress: [
        CommitmentAction.register,
        CommitmentAction.accept,
        CommitmentAction.start,
    ],
}


def _seed_commitments(
    session: Session, scope: Scope, rows: list[dict[str, Any]], tally: Counter[str]
) -> None:
    for row in rows:
        directive = _one(session, select(Directive).where(col(Directive.code) == row["directive"]))
        if directive is None:
            raise ValueError(f"seed: unknown directive {row['directive']!r}")
        fields = {
            k: v
            for k, v in row.items()
            if k not in {"unit", "registered_with", "directive", "status", "progress_updates"}
        }
        commitment_in = CommitmentCreate.model_validate(
            {
                **fields,
                "unit_id": _unit_id(session, row["unit"]),
                "registered_with_id": _unit_id(session, row["registered_with"]),
                "directive_id": directive.id,
            }
        )
        commitment = _one(
            session,
            select(Commitment).where(
                col(Commitment.unit_id) == commitment_in.unit_id,
                col(Commitment.year) == commitment_in.year,
                col(Commitment.title) == commitment_in.title,
            ),
        )
        if commitment is None:
            commitment = commitments.create_commitment(
                session, scope=scope, commitment_in=commitment_in
            )
            for action in PATH_TO_STATUS[CommitmentStatus(row.get("status", "draft"))]:
                commitments.transition(
                    session,
                    scope=scope,
                    commitment=commitment,
                    transition_in=TransitionIn(action=action, note="Theo bài viết"),
                )
            tally["created"] += 1
        for update in row.get("progress_updates", []):
            update_in = ProgressUpdateCreate.model_validate(update)
            recorded = _one(
                session,
                select(ProgressUpdate).where(
                    col(ProgressUpdate.commitment_id) == commitment.id,
                    col(ProgressUpdate.note) == update_in.note,
                ),
            )
            if recorded is None:
                commitments.add_progress(
                    session, scope=scope, commitment=commitment, update_in=update_in
                )


def _seed_outcomes(
    session: Session, scope: Scope, rows: list[dict[str, Any]], tally: Counter[str]
) -> None:
    for row in rows:
        outcome_in = OutcomeCreate.model_validate(
            {
                **{k: v for k, v in row.items() if k != "unit"},
                "unit_id": _unit_id(session, row["unit"]),
            }
        )
        outcome = _one(
            session,
            select(RecruitmentOutcome).where(
                col(RecruitmentOutcome.unit_id) == outcome_in.unit_id,
                col(RecruitmentOutcome.period_start) == outcome_in.period_start,
                col(RecruitmentOutcome.period_end) == outcome_in.period_end,
            ),
        )
        if outcome is None:
            outcomes.create_outcome(session, scope=scope, outcome_in=outcome_in)
            tally["created"] += 1
            continue
        update_in = OutcomeUpdate.model_validate(
            outcome_in.model_dump(include=set(OutcomeUpdate.model_fields))
        )
        if _changed(outcome, update_in.model_dump()):
            outcomes.update_outcome(session, scope=scope, outcome=outcome, outcome_in=update_in)
            tally["updated"] += 1


# Operations' fields that name existing units, given by code in the file.
_UNIT_FIELDS = ("parent", "into", "unit", "children_to", "source", "history_to")


def _seed_reorganisations(
    session: Session, scope: Scope, rows: list[dict[str, Any]], tally: Counter[str]
) -> None:
    """Each event once (matched by its day and legal basis), through the API's own service; an
    event ahead of today waits for a later run (a change is recorded on or after its day)."""
    for row in rows:
        if row["effective_on"] > clock.today():
            continue
        established = {op["ref"] for op in row["operations"] if op["op"] == "establish"}
        operations = []
        for op in row["operations"]:
            named: dict[str, Any] = {
                k: v if v in established else _unit_id(session, v)
                for k, v in op.items()
                if k in _UNIT_FIELDS and v is not None
            }
            if "sources" in op:
                named["sources"] = [_unit_id(session, code) for code in op["sources"]]
            operations.append({**op, **named})
        body = ReorganisationCreate.model_validate({**row, "operations": operations})
        recorded = session.execute(
            select(Reorganisation).where(col(Reorganisation.effective_on) == body.effective_on)
        ).scalars()
        if any(event.legal_basis == body.legal_basis for event in recorded):
            continue
        reorganisations.reorganise(session, scope=scope, body=body, dry_run=False)
        tally["created"] += 1


# Development only: accounts to try the API with, documented in the README. Marked as demo
# accounts, which are refused outside development (their passwords are public).
DEMO_ACCOUNTS = [
    {
        "username": "admin",
        "full_name": "Quản trị (demo)",
        "password": "camket-admin",
        "grants": [{"role": "admin"}],
    },
    {
        "username": "huongson",
        "full_name": "Văn phòng Đảng ủy xã Hương Sơn (demo)",
        "password": "camket-huongson",
        "grants": [{"role": "manager", "unit": "DX-HUONGSON"}],
    },
]


def _seed_demo_accounts(
    session: Session, scope: Scope, rows: list[dict[str, Any]], tally: Counter[str]
) -> None:
    for row in rows:
        if session.execute(
            select(col(User.id)).where(col(User.username) == row["username"])
        ).first():
            continue
        grants = [
            {"role": g["role"], "unit_id": _unit_id(session, g["unit"]) if "unit" in g else None}
            for g in row["grants"]
        ]
        auth.create_user(
            session,
            scope=scope,
            user_in=UserCreate.model_validate({**row, "grants": grants}),
            is_demo=True,
        )
        tally["created"] += 1


SECTIONS = {
    "directives": _seed_directives,
    "units": _seed_units,
    "people": _seed_people,
    "positions": _seed_positions,
    "commitments": _seed_commitments,
    "recruitment_outcomes": _seed_outcomes,
    "reorganisations": _seed_reorganisations,
    "demo accounts": _seed_demo_accounts,
}


def load_seed(directory: Path, *, session: Session | None = None) -> Counts:
    """Load every section in dependency order; returns (created, updated) per section."""
    data = _read(directory)
    if settings.env == Environment.development:
        data["demo accounts"] = DEMO_ACCOUNTS
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise ValueError(f"seed: unknown sections {sorted(unknown)}")
    counts: Counts = {}
    context = Session(engine, expire_on_commit=False) if session is None else nullcontext(session)
    with context as s:
        for name, load in SECTIONS.items():
            tally: Counter[str] = Counter()
            load(s, Scope(s, SYSTEM), data.get(name, []), tally)
            counts[name] = (tally["created"], tally["updated"])
    return counts
