"""Reports: recruitment over a subtree and a period, commitments of a subtree for a year, a unit's
scorecard; each as JSON, CSV (UTF-8 with BOM) and XLSX.

The big tests generate a tree of a few hundred units with a seeded `random.Random` (province →
districts → communes and a department → cells), with targets, candidates at every stage, reported
outcomes and commitments, written in one session (units through the units service, so that the
closure table is the service's own; the rest as ORM rows). Every figure of every report is then
compared with a count made here in plain Python over the generated records, never with the app's
own functions. The service's "today" is pinned to TODAY.
"""

import codecs
import csv
import io
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.scope import SYSTEM, Scope
from app.core.config import settings
from app.core.db import engine
from app.evaluations.grading import Tasks, grade_by_points
from app.models import (
    Candidate,
    CandidateStage,
    Commitment,
    CommitmentCategory,
    CommitmentKind,
    CommitmentStatus,
    Directive,
    Evaluation,
    EvaluationStatus,
    Grade,
    Person,
    RecruitmentOutcome,
    RecruitmentTarget,
    Unit,
    UnitKind,
)
from app.recruitment import calendar, flows
from app.rules.registry import evaluation_rules
from app.seed import load_seed
from app.units.schemas import UnitCreate
from app.units.service import close_unit, create_unit
from tests.factories import assert_problem, make_tree
from tests.helpers import Clock

REPORTS = "/api/v1/reports"
RECRUITMENT = f"{REPORTS}/recruitment"
COMMITMENTS = f"{REPORTS}/commitments"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TODAY = date(2025, 6, 30)
ISSUED = "30/06/2025"
EARLIEST = date(2017, 1, 1)

STAGES = ["source", "awareness_course", "applied", "verified", "admitted", "official", "dropped"]
STATUSES = [s.value for s in CommitmentStatus]
KINDS = [k.value for k in CommitmentKind]
CATEGORIES = [c.value for c in CommitmentCategory]
FINISHED = {"completed", "not_completed", "escalated", "cancelled"}
GRADE_LABELS = {g.value: g.label for g in Grade}


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    clock.day = TODAY


# --- the generated world ----------------------------------------------------------------------


@dataclass
class UnitRec:
    id: int
    code: str
    name: str
    parent_id: int | None
    valid_from: date | None = None
    valid_to: date | None = None

    def open_between(self, start: date, end: date) -> bool:
        return (self.valid_from is None or self.valid_from <= end) and (
            self.valid_to is None or self.valid_to > start
        )

    def lifetime(self) -> tuple[date, date]:
        """The days records of the unit may carry: while open, and not after TODAY."""
        first = max(EARLIEST, self.valid_from or EARLIEST)
        last = min(TODAY, self.valid_to - timedelta(days=1) if self.valid_to else TODAY)
        return first, last


@dataclass
class CandidateRec:
    unit_id: int
    source_since: date
    stage: str = "source"
    course_completed_on: date | None = None
    course_valid_until: date | None = None
    applied_on: date | None = None
    verified_on: date | None = None
    admitted_on: date | None = None
    decision_number: str | None = None
    ceremony_due_on: date | None = None
    ceremony_on: date | None = None
    probation_ends_on: date | None = None
    recognition_due_on: date | None = None
    official_on: date | None = None
    dropped_on: date | None = None
    dropped_from: str | None = None

    def last_date(self) -> date:
        dates = [
            self.source_since,
            self.course_completed_on,
            self.applied_on,
            self.verified_on,
            self.admitted_on,
            self.ceremony_on,
            self.official_on,
        ]
        return max(d for d in dates if d is not None)


@dataclass(frozen=True)
class OutcomeRec:
    unit_id: int
    start: date
    end: date
    admitted: int
    replaces_individual: bool


@dataclass
class CommitmentRec:
    unit_id: int
    registered_with_id: int
    year: int
    kind: str
    category: str
    status: str
    title: str
    progress_percent: int
    deadline: date | None
    directing_person_id: int | None
    id: int = 0


@dataclass
class EvaluationRec:
    unit_id: int
    year: int
    status: str
    self_grade: str
    proposed_grade: str | None
    decided_grade: str | None
    id: int = 0


@dataclass
class World:
    units: dict[int, UnitRec] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    root_id: int = 0
    districts: list[int] = field(default_factory=list)
    communes: list[int] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)
    targets: dict[tuple[int, int], int] = field(default_factory=dict)
    candidates: list[CandidateRec] = field(default_factory=list)
    outcomes: list[OutcomeRec] = field(default_factory=list)
    people: dict[int, str] = field(default_factory=dict)
    commitments: list[CommitmentRec] = field(default_factory=list)
    evaluations: dict[tuple[int, int], EvaluationRec] = field(default_factory=dict)

    def subtree(self, unit_id: int) -> set[int]:
        found = {unit_id}
        for child in self.children[unit_id]:
            found |= self.subtree(child)
        return found

    def ancestors(self, unit_id: int) -> set[int]:
        """The unit and every unit above it."""
        found: set[int] = set()
        current: int | None = unit_id
        while current is not None:
            found.add(current)
            current = self.units[current].parent_id
        return found

    def sorted_children(self, unit_id: int) -> list[UnitRec]:
        return sorted((self.units[c] for c in self.children[unit_id]), key=lambda u: (u.name, u.id))


DISTRICT_NAMES = [
    "Bình Xuyên",
    "Tam Dương",
    "Lập Thạch",
    "Sông Lô",
    "Vĩnh Tường",
    "Yên Lạc",
    "Tam Đảo",
    "Phúc Yên",
    "Vĩnh Yên",
    "Mê Linh",
]
COMMUNE_NAMES = [
    "Hương Sơn",
    "Quất Lưu",
    "Thiện Kế",
    "Bá Hiến",
    "Trung Mỹ",
    "Sơn Lôi",
    "Tam Hợp",
    "Hương Canh",
    "Gia Khánh",
    "Tân Phong",
    "Phú Xuân",
    "Đạo Đức",
    "Ái Quốc",
    "Yên Bình",
]
VILLAGES = ["Đông", "Tây", "Nam", "Bắc", "Trại", "Giữa", "Thượng", "Hạ", "Mới", "Cả", "Ấp", "Ổ"]
PEOPLE = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "Vũ Thị Giang",
    "Đỗ Văn Hùng",
    "Bùi Thị Lan",
]


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


class Builder:
    """Generates a world and writes it, in one session."""

    def __init__(self, session: Session, rng: random.Random) -> None:
        self.session = session
        self.rng = rng
        self.scope = Scope(session, SYSTEM)
        self.world = World()
        self.prefix = f"G{rng.randint(100, 999)}"

    # units

    def unit(
        self, name: str, kind: UnitKind, parent_id: int | None, valid_from: date | None = None
    ) -> int:
        code = f"{self.prefix}-{len(self.world.units) + 1:04d}"
        unit_in = UnitCreate(
            code=code, name=name, kind=kind, parent_id=parent_id, valid_from=valid_from
        )
        unit = create_unit(self.session, scope=self.scope, unit_in=unit_in)
        assert unit.id is not None
        self.world.units[unit.id] = UnitRec(unit.id, code, name, parent_id, valid_from)
        if parent_id is not None:
            self.world.children[parent_id].append(unit.id)
        return unit.id

    def close(self, unit_id: int, on: date) -> None:
        unit = self.session.get(Unit, unit_id)
        assert unit is not None
        close_unit(self.session, scope=self.scope, unit=unit, valid_to=on)
        self.world.units[unit_id].valid_to = on

    def tree(self, districts: int, communes: tuple[int, int], cells: tuple[int, int]) -> None:
        rng, world = self.rng, self.world
        world.root_id = self.unit("Tỉnh ủy Vĩnh Phúc", UnitKind.province_committee, None)
        for district_name in rng.sample(DISTRICT_NAMES, districts):
            district = self.unit(
                f"Huyện ủy {district_name}", UnitKind.district_committee, world.root_id
            )
            world.districts.append(district)
            self.unit(f"Ban Tuyên giáo Huyện ủy {district_name}", UnitKind.department, district)
            for commune_name in rng.sample(COMMUNE_NAMES, rng.randint(*communes)):
                self.commune(district, commune_name, cells)

    def commune(self, district: int, name: str, cells: tuple[int, int]) -> None:
        rng, world = self.rng, self.world
        opened = rng.choice([date(2023, 1, 1), date(2024, 1, 1)]) if rng.random() < 0.1 else None
        commune = self.unit(f"Đảng bộ xã {name}", UnitKind.commune_committee, district, opened)
        world.communes.append(commune)
        # Some communes merge away (with their cells); some cells close on their own.
        merged = None
        if opened is None and rng.random() < 0.12:
            merged = rng.choice([date(2022, 3, 1), date(2023, 7, 1), date(2024, 1, 1)])
        own_cells = []
        for _ in range(rng.randint(*cells)):
            cell_opened = opened
            if opened is None and merged is None and rng.random() < 0.06:
                cell_opened = rng.choice([date(2022, 12, 31), date(2024, 7, 1)])
            # Village names repeat now and then: siblings of the same name sort by id.
            village = f"Chi bộ thôn {rng.choice(VILLAGES)}"
            own_cells.append(self.unit(village, UnitKind.party_cell, commune, cell_opened))
        world.cells += own_cells
        if merged is not None:
            for cell in own_cells:
                self.close(cell, merged)
            self.close(commune, merged)
        else:
            for cell in own_cells:
                if self.world.units[cell].valid_from is None and rng.random() < 0.06:
                    self.close(cell, rng.choice([date(2022, 1, 1), date(2023, 6, 15)]))

    # recruitment

    def targets(self) -> None:
        for unit_id in self.world.units:
            for year in range(2019, 2026):
                if self.rng.random() < 0.6:
                    value = 0 if self.rng.random() < 0.06 else self.rng.randint(1, 25)
                    self.world.targets[(unit_id, year)] = value

    def recognise(self, c: CandidateRec, last: date) -> None:
        """Official at the end of probation, which runs from the ceremony, once recognised
        some days later, by `last`."""
        if c.probation_ends_on is None:  # no ceremony: probation never began
            return
        recognised = c.probation_ends_on + timedelta(days=self.rng.randint(0, 60))
        if recognised <= last:
            c.official_on, c.stage = c.probation_ends_on, "official"

    def candidate(self, unit_id: int) -> None:
        first, last = self.world.units[unit_id].lifetime()
        if first > last:
            return
        rng = self.rng
        c = CandidateRec(unit_id, _day_between(rng, first, last))
        goal = rng.choices(STAGES[:6], weights=[2, 2, 2, 2, 5, 3])[0]
        day = c.source_since

        def step(low: int, high: int) -> date | None:
            nonlocal day
            following = day + timedelta(days=rng.randint(low, high))
            if following > last:
                return None
            day = following
            return following

        for stage in STAGES[1 : STAGES.index(goal) + 1]:
            if stage == "official":
                self.recognise(c, last)
                break
            on = step(5, 220)
            if on is None:
                break
            if stage == "awareness_course":
                c.course_completed_on = on
                c.course_valid_until = calendar.course_valid_until(on)
            elif stage == "applied":
                c.applied_on = on
            elif stage == "verified":
                c.verified_on = on
            else:
                c.admitted_on, c.decision_number = on, f"{rng.randint(1, 999)}-QĐ/HU"
                c.ceremony_due_on = calendar.ceremony_due_on(on)
                held = on + timedelta(days=rng.randint(3, 70))  # late now and then
                if rng.random() < 0.75 and held <= last:
                    c.ceremony_on = held
                    c.probation_ends_on = calendar.probation_ends_on(held)
                    c.recognition_due_on = calendar.recognition_proposal_due_on(c.probation_ends_on)
            c.stage = stage
        if c.stage != "official" and rng.random() < 0.15:
            dropped = c.last_date() + timedelta(days=rng.randint(1, 250))
            if dropped <= last:
                c.dropped_on, c.dropped_from, c.stage = dropped, c.stage, "dropped"
        self.world.candidates.append(c)

    def candidates(self) -> None:
        w = self.world
        per_unit = [(w.cells, 7), (w.communes, 2), (w.districts, 1), ([w.root_id], 2)]
        for units, most in per_unit:
            for unit_id in units:
                for _ in range(self.rng.randint(0, most)):
                    self.candidate(unit_id)
        # Admissions on the edges of years, in a cell open throughout.
        always = next(
            c
            for c in w.cells
            if {w.units[u].valid_from for u in w.ancestors(c)} == {None}
            and {w.units[u].valid_to for u in w.ancestors(c)} == {None}
        )
        for admitted, dropped in (
            (date(2022, 12, 31), None),
            (date(2023, 1, 1), date(2023, 12, 31)),
        ):
            c = CandidateRec(always, date(2022, 1, 10), stage="admitted")
            c.course_completed_on = date(2022, 2, 1)
            c.course_valid_until = calendar.course_valid_until(date(2022, 2, 1))
            c.applied_on, c.verified_on, c.admitted_on = (
                date(2022, 4, 1),
                date(2022, 8, 1),
                admitted,
            )
            c.decision_number = "1-QĐ/ĐU"
            c.ceremony_due_on = calendar.ceremony_due_on(admitted)
            c.ceremony_on = admitted + timedelta(days=10)
            c.probation_ends_on = calendar.probation_ends_on(c.ceremony_on)
            c.recognition_due_on = calendar.recognition_proposal_due_on(c.probation_ends_on)
            if dropped:
                c.dropped_on, c.dropped_from, c.stage = dropped, "admitted", "dropped"
            else:
                c.official_on, c.stage = c.probation_ends_on, "official"
            w.candidates.append(c)
        # Followed as a source from today only.
        w.candidates.append(CandidateRec(always, TODAY))

    def outcome(self, unit_id: int, start: date, end: date, replaces: bool | None = None) -> None:
        if replaces is None:
            replaces = self.rng.random() < 0.5
        admitted = self.rng.randint(0, 25)
        self.world.outcomes.append(OutcomeRec(unit_id, start, end, admitted, replaces))

    def outcomes(self) -> None:
        w, rng = self.world, self.rng
        for units, chance in ((w.districts, 0.3), (w.communes, 0.35), (w.cells, 0.08)):
            for unit_id in units:
                if rng.random() >= chance:
                    continue
                year = rng.randint(2019, 2024)
                start, end = rng.choice(
                    [
                        (date(year, 1, 1), date(year, 12, 31)),
                        (date(year, 1, 1), date(year + 1, 12, 31)),
                        (date(year, 7, 1), date(year + 1, 6, 30)),  # straddles two years
                        (date(year, 4, 1), date(year, 6, 30)),
                    ]
                )
                self.outcome(unit_id, start, end)
        self.outcome(w.root_id, date(2025, 1, 1), date(2025, 3, 31))
        # Counts standing for individual admissions, of the candidate's unit or a unit above.
        admitted = [
            c
            for c in w.candidates
            if c.admitted_on and c.admitted_on.year < 2025 and c.unit_id != w.root_id
        ]
        for n, c in enumerate(rng.sample(admitted, 8)):
            assert c.admitted_on is not None
            year = c.admitted_on.year
            above = rng.choice(sorted(w.ancestors(c.unit_id) - {w.root_id}))
            self.outcome(above, date(year, 1, 1), date(year, 12, 31), replaces=True)
            if n < 3:  # and two counts at once: its own unit's and its parent's
                for unit_id in (c.unit_id, w.units[c.unit_id].parent_id):
                    assert unit_id is not None
                    self.outcome(unit_id, date(year, 1, 1), date(year, 12, 31), replaces=True)

    # commitments and evaluations

    def commitments(self) -> None:
        w, rng = self.world, self.rng
        for index, name in enumerate(PEOPLE):
            person = Person(full_name=name, search_key=f"person {index}")
            self.session.add(person)
            self.session.flush()
            assert person.id is not None
            w.people[person.id] = name
        people = sorted(w.people)
        for unit_id, unit in w.units.items():
            if rng.random() < 0.45:
                continue
            for year in range(2021, 2026):
                for _ in range(rng.randint(0, 3)):
                    deadline = rng.choice(
                        [None, _day_between(rng, date(year, 3, 1), date(year + 1, 6, 30))]
                    )
                    w.commitments.append(
                        CommitmentRec(
                            unit_id=unit_id,
                            registered_with_id=unit.parent_id or unit_id,
                            year=year,
                            kind=rng.choice(KINDS),
                            category=rng.choice(CATEGORIES),
                            status=rng.choice(STATUSES),
                            title=f"Việc khó số {len(w.commitments) + 1} của {unit.name}",
                            progress_percent=rng.randint(0, 100),
                            deadline=deadline,
                            directing_person_id=rng.choice([None, None, *people]),
                        )
                    )
        # A deadline of today is not yet overdue.
        w.commitments[0].deadline = TODAY
        w.commitments[0].year = 2025
        w.commitments[0].status = "in_progress"

    def evaluations(self) -> None:
        w, rng = self.world, self.rng
        grades = [g.value for g in Grade]
        units = [w.root_id, *w.districts, *rng.sample(w.communes, 6), *rng.sample(w.cells, 6)]
        for unit_id in units:
            for year in rng.sample(range(2021, 2026), 2):
                status = rng.choice([s.value for s in EvaluationStatus])
                w.evaluations[(unit_id, year)] = EvaluationRec(
                    unit_id=unit_id,
                    year=year,
                    status=status,
                    self_grade=rng.choice(grades),
                    proposed_grade=rng.choice(grades) if status != "self_assessed" else None,
                    decided_grade=rng.choice(grades) if status == "decided" else None,
                )

    def write(self) -> None:
        """Everything but the units, as ORM rows in one transaction."""
        w, session = self.world, self.session
        directive = Directive(
            code=f"05-CT/TW-{self.prefix}",
            title="Về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
            issuer="Bộ Chính trị",
            issued_on=date(2016, 5, 15),
            search_key="05 ct tw",
        )
        session.add(directive)
        session.flush()
        session.add_all(
            RecruitmentTarget(unit_id=unit_id, year=year, target=target)
            for (unit_id, year), target in w.targets.items()
        )
        for n, c in enumerate(w.candidates):
            fields = {k: v for k, v in vars(c).items() if k not in {"stage", "dropped_from"}}
            session.add(
                Candidate(
                    **fields,
                    full_name=f"Quần chúng {n}",
                    search_key=f"quan chung {n}",
                    stage=CandidateStage(c.stage),
                    dropped_from=CandidateStage(c.dropped_from) if c.dropped_from else None,
                    drop_reason="Chuyển đi nơi khác" if c.dropped_from else None,
                )
            )
        session.add_all(
            RecruitmentOutcome(
                unit_id=o.unit_id,
                period_start=o.start,
                period_end=o.end,
                admitted=o.admitted,
                replaces_individual=o.replaces_individual,
            )
            for o in w.outcomes
        )
        rows = []
        for c in w.commitments:
            row = Commitment(
                unit_id=c.unit_id,
                registered_with_id=c.registered_with_id,
                directive_id=directive.id,
                year=c.year,
                kind=CommitmentKind(c.kind),
                category=CommitmentCategory(c.category),
                status=CommitmentStatus(c.status),
                title=c.title,
                progress_percent=c.progress_percent,
                deadline=c.deadline,
                directing_person_id=c.directing_person_id,
                search_key=c.title.lower(),
            )
            session.add(row)
            rows.append((c, row))
        evaluations = []
        for e in w.evaluations.values():
            row = Evaluation(
                unit_id=e.unit_id,
                year=e.year,
                period=str(e.year),
                period_start=date(e.year, 1, 1),
                period_end=date(e.year, 12, 31),
                status=EvaluationStatus(e.status),
                self_grade=Grade(e.self_grade),
                self_note=f"Tự đánh giá năm {e.year}",
                self_assessed_by="bi-thu",
                proposed_grade=Grade(e.proposed_grade) if e.proposed_grade else None,
                proposal_note="Đề xuất" if e.proposed_grade else None,
                proposed_by="cap-tren" if e.proposed_grade else None,
                decided_grade=Grade(e.decided_grade) if e.decided_grade else None,
                decision_note="Quyết định" if e.decided_grade else None,
                decided_by="cap-tren" if e.decided_grade else None,
            )
            session.add(row)
            evaluations.append((e, row))
        session.flush()
        for rec, orm in [*rows, *evaluations]:
            assert orm.id is not None
            rec.id = orm.id
        flows.rebuild_sums(session.connection())  # written in bulk, as the generator does
        session.commit()


def build_world(
    seed: int,
    districts: int = 8,
    communes: tuple[int, int] = (4, 6),
    cells: tuple[int, int] = (4, 7),
) -> World:
    with Session(engine, expire_on_commit=False) as session:
        builder = Builder(session, random.Random(seed))
        builder.tree(districts, communes, cells)
        builder.targets()
        builder.candidates()
        builder.outcomes()
        builder.commitments()
        builder.evaluations()
        builder.write()
        return builder.world


# --- the figures, counted here ----------------------------------------------------------------


def stage_on(c: CandidateRec, day: date) -> str:
    """Where the candidate stood at the end of `day`, from its dates."""
    steps = [
        ("dropped", c.dropped_on),
        ("official", c.official_on),
        ("admitted", c.admitted_on),
        ("verified", c.verified_on),
        ("applied", c.applied_on),
        ("awareness_course", c.course_completed_on),
    ]
    return next((stage for stage, on in steps if on is not None and on <= day), "source")


def overdue_today(c: CandidateRec) -> bool:
    """A ceremony not held in time, or recognition not considered in time (probation runs
    from the ceremony). The generated candidates have no proposals, so no decision deadline."""
    if c.stage != "admitted":
        return False
    assert c.ceremony_due_on is not None
    if c.ceremony_on is None:
        return c.ceremony_due_on < TODAY
    assert c.recognition_due_on is not None
    return c.recognition_due_on < TODAY


class Expect:
    """The reports as they should read, from the world's records."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.by_unit: dict[int, list[CandidateRec]] = defaultdict(list)
        for c in world.candidates:
            self.by_unit[c.unit_id].append(c)
        self.subtree = cache(world.subtree)

    def _covered(self, c: CandidateRec, start: date, end: date) -> bool:
        """An outcome counted in the period stands for the admission; one straddling the
        period is not counted, so it does not hide the admission either."""
        return any(
            covers(self.world, o, c) and start <= o.start and o.end <= end
            for o in self.world.outcomes
        )

    def recruitment(self, unit_id: int, first: int, last: int) -> dict[str, Any]:
        w = self.world
        start, end = date(first, 1, 1), date(last, 12, 31)
        on = min(end, TODAY)
        below = self.subtree(unit_id)
        candidates = [c for u in below for c in self.by_unit[u]]
        own = [w.targets[(unit_id, y)] for y in range(first, last + 1) if (unit_id, y) in w.targets]
        target = sum(own) if own else None
        individual = sum(
            1
            for c in candidates
            if c.admitted_on and start <= c.admitted_on <= end and not self._covered(c, start, end)
        )
        outcomes = [o for o in w.outcomes if o.unit_id in below]
        inside = [o for o in outcomes if start <= o.start and o.end <= end]
        reported = sum(o.admitted for o in inside)
        straddling = sum(1 for o in outcomes if o.start <= end and o.end >= start) - len(inside)
        stages = Counter(stage_on(c, on) for c in candidates if c.source_since <= on)
        admitted = individual + reported
        unit = w.units[unit_id]
        return {
            "unit_id": unit_id,
            "code": unit.code,
            "name": unit.name,
            "target": target,
            "admitted_individual": individual,
            "admitted_reported": reported,
            "admitted": admitted,
            "achievement_percent": round(100 * admitted / target, 1) if target else None,
            "candidates_by_stage": [
                {"stage": s, "label": CandidateStage(s).label, "count": stages[s]} for s in STAGES
            ],
            "overdue_alerts": sum(1 for c in candidates if overdue_today(c)),
            "outcomes_straddling": straddling,
            "structure": "as_of",
        }

    def recruitment_report(self, root_id: int, first: int, last: int, depth: int) -> dict[str, Any]:
        start, end = date(first, 1, 1), date(last, 12, 31)
        rows: list[dict[str, Any]] = []

        def walk(unit_id: int, level: int) -> None:
            for child in self.world.sorted_children(unit_id):
                if level < depth and child.open_between(start, end):
                    row = self.recruitment(child.id, first, last)
                    rows.append(
                        row | {"parent_id": unit_id, "depth": level + 1, "carries_history_of": []}
                    )
                    walk(child.id, level + 1)

        walk(root_id, 0)
        return {
            "root_id": root_id,
            "from_year": first,
            "to_year": last,
            "depth": depth,
            "structure": "as_of",
            "issued_on": TODAY.isoformat(),
            "rows": rows,
            "totals": self.recruitment(root_id, first, last),
        }

    def unit_recruitment(self, unit_id: int, first: int, last: int) -> dict[str, Any]:
        return {
            "from_year": first,
            "to_year": last,
            "unit": self.recruitment(unit_id, first, last),
            "children": [
                self.recruitment(child.id, first, last)
                for child in self.world.sorted_children(unit_id)
            ],
        }

    def _commitments(self, units: set[int], year: int) -> list[CommitmentRec]:
        return [c for c in self.world.commitments if c.year == year and c.unit_id in units]

    def commitment_figures(self, unit_id: int, year: int) -> dict[str, Any]:
        found = self._commitments(self.subtree(unit_id), year)
        unit = self.world.units[unit_id]
        return {
            "unit_id": unit_id,
            "code": unit.code,
            "name": unit.name,
            "total": len(found),
            "by_status": {s: sum(c.status == s for c in found) for s in STATUSES},
            "by_kind": {k: sum(c.kind == k for c in found) for k in KINDS},
            "by_category": {g: sum(c.category == g for c in found) for g in CATEGORIES},
            "by_status_and_category": {
                s: {g: sum(c.status == s and c.category == g for c in found) for g in CATEGORIES}
                for s in STATUSES
            },
            "overdue": sum(commitment_overdue(c) for c in found),
            "not_yet_accepted": sum(c.status in {"draft", "registered"} for c in found),
            "structure": "as_of",
            "carries_history_of": [],  # the generated tree has no reorganisation
        }

    def line(self, c: CommitmentRec) -> dict[str, Any]:
        unit = self.world.units[c.unit_id]
        person = c.directing_person_id
        return {
            "id": c.id,
            "unit_id": c.unit_id,
            "unit_code": unit.code,
            "unit_name": unit.name,
            "registered_with_id": c.registered_with_id,
            "title": c.title,
            "kind": c.kind,
            "category": c.category,
            "status": c.status,
            "progress_percent": c.progress_percent,
            "deadline": c.deadline.isoformat() if c.deadline else None,
            "overdue": commitment_overdue(c),
            "directing_person_id": person,
            "directing_person_name": self.world.people[person] if person else None,
        }

    def lines(self, units: set[int], year: int) -> list[dict[str, Any]]:
        lines = [self.line(c) for c in self._commitments(units, year)]
        name = "directing_person_name"
        return sorted(
            lines, key=lambda x: (x[name] is None, x[name] or "", x["unit_name"], x["id"])
        )

    def commitments_report(self, root_id: int, year: int) -> dict[str, Any]:
        start, end = date(year, 1, 1), date(year, 12, 31)
        children = [c for c in self.world.sorted_children(root_id) if c.open_between(start, end)]
        return {
            "root_id": root_id,
            "year": year,
            "structure": "as_of",
            "issued_on": TODAY.isoformat(),
            "rows": [self.commitment_figures(c.id, year) for c in children],
            "totals": self.commitment_figures(root_id, year),
            "commitments": self.lines(self.subtree(root_id), year),
        }

    def suggestion(self, unit_id: int, year: int, recruitment: dict[str, Any]) -> dict[str, Any]:
        """The grading rule; its thresholds compare the exact ratio, not the rounded one."""
        target = recruitment["target"]
        # A target of 0 is met by definition.
        exact = (
            None
            if target is None
            else (100 * recruitment["admitted"] / target if target else 100.0)
        )
        statuses = [c.status for c in self._commitments({unit_id}, year) if c.status != "cancelled"]
        completed, failed = statuses.count("completed"), statuses.count("not_completed")
        unfinished = sum(s not in FINISHED for s in statuses)
        if failed or (exact is not None and exact < settings.grade_completed_min_achievement):
            grade = "not_completed"
        elif (
            exact is not None
            and exact >= settings.grade_excellent_min_achievement
            and statuses
            and completed == len(statuses)
        ):
            grade = "excellent"
        elif (exact is None or exact >= settings.grade_good_min_achievement) and not unfinished:
            grade = "good"
        else:
            grade = "completed"
        parts = [min(exact, 100.0)] if exact is not None else []
        if statuses:
            parts.append(100 * completed / len(statuses))
        return {
            "unit_id": unit_id,
            "year": year,
            "grade": grade,
            "grade_label": GRADE_LABELS[grade],
            "score": round(sum(parts) / len(parts), 1) if parts else None,
            "achievement_percent": recruitment["achievement_percent"],
            "commitments": len(statuses),
            "commitments_completed": completed,
        }

    def scorecard(self, unit_id: int, year: int) -> dict[str, Any]:
        unit = self.world.units[unit_id]
        recruitment = self.recruitment(unit_id, year, year)
        evaluation = self.world.evaluations.get((unit_id, year))
        grade = evaluation and (
            evaluation.decided_grade or evaluation.proposed_grade or evaluation.self_grade
        )
        return {
            "unit_id": unit_id,
            "code": unit.code,
            "name": unit.name,
            "year": year,
            "issued_on": TODAY.isoformat(),
            "commitments": self.lines({unit_id}, year),
            "recruitment": recruitment,
            "evaluation": None
            if evaluation is None
            else {
                "id": evaluation.id,
                "unit_id": unit_id,
                "year": year,
                "status": evaluation.status,
                "self_grade": evaluation.self_grade,
                "proposed_grade": evaluation.proposed_grade,
                "decided_grade": evaluation.decided_grade,
                "grade": grade,
                "grade_label": GRADE_LABELS[grade],
                "status_label": EvaluationStatus(evaluation.status).label,
                "self_note": f"Tự đánh giá năm {year}",
                "proposal_note": "Đề xuất" if evaluation.proposed_grade else None,
                "decision_note": "Quyết định" if evaluation.decided_grade else None,
            },
            "suggestion": self.suggestion(unit_id, year, recruitment),
            # The generated world records no disciplinary decision.
            "disciplined_organisations": 0,
            "disciplined_leaders": 0,
        }


def _period_rules(year: int) -> dict[str, str]:
    """A year's period and the evaluation rules of its last day (FACTS-2025.md: Regulation
    124-QĐ/TW from 4 October 2023, 366-QĐ/TW from 30 August 2025)."""
    code = (
        "evaluation-366"
        if year >= 2025
        else "evaluation-124"
        if year >= 2023
        else "evaluation-before-124"
    )
    return {"period_kind": "year", "period": str(year), "rule_set": code}


def covers(world: World, o: OutcomeRec, c: CandidateRec) -> bool:
    return (
        c.admitted_on is not None
        and o.unit_id in world.ancestors(c.unit_id)
        and o.start <= c.admitted_on <= o.end
    )


def commitment_overdue(c: CommitmentRec) -> bool:
    return c.deadline is not None and c.deadline < TODAY and c.status not in FINISHED


# --- comparing --------------------------------------------------------------------------------


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("name", "stage", "id"):
            if key in item:
                return f"[{item[key]}]"
    return f"[{index}]"


class Differences:
    """Every figure that differs, with where it lies, so that one run shows them all."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def compare(self, got: Any, want: Any, where: str) -> None:
        if got == want:
            return
        if isinstance(got, dict) and isinstance(want, dict):
            for key in [*want, *(k for k in got if k not in want)]:
                self.compare(got.get(key, "<absent>"), want.get(key, "<absent>"), f"{where}.{key}")
        elif isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
            for index, (g, w) in enumerate(zip(got, want, strict=True)):
                self.compare(g, w, where + _label(w, index))
        else:
            self.found.append(f"{where}: got {got!r}, expected {want!r}")

    def check(self) -> None:
        shown = "\n".join(self.found[:60])
        assert not self.found, f"{len(self.found)} figures differ:\n{shown}"


def get_json(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def compare_report(
    differences: Differences, got: dict[str, Any], want: dict[str, Any], where: str
) -> None:
    """Row lists first by which units they hold, in order; then every figure."""
    for key in ("rows", "children"):
        if key in want:
            got_units = [(r["unit_id"], r["name"]) for r in got[key]]
            want_units = [(r["unit_id"], r["name"]) for r in want[key]]
            differences.compare(got_units, want_units, f"{where} {key} (units in order)")
    differences.compare(got, want, where)


# --- every figure, counted here, over a generated tree of a few hundred units ------------------

SEED = 20250630


@dataclass
class Places:
    """Units of the generated tree the combinations below are made of."""

    province: int
    district: int  # holds a commune closed (merged away) during the years
    closed_commune: int
    other_district: int
    commune: int  # open throughout
    cell: int


def places(world: World) -> Places:
    closed_commune = next(u for u in world.communes if world.units[u].valid_to is not None)
    district = world.units[closed_commune].parent_id
    assert district is not None
    commune = next(
        c
        for c in world.communes
        if world.units[c].valid_to is None and world.units[c].valid_from is None
    )
    return Places(
        province=world.root_id,
        district=district,
        closed_commune=closed_commune,
        other_district=next(d for d in world.districts if d != district),
        commune=commune,
        cell=world.children[commune][0],
    )


@pytest.fixture
def world(client: TestClient) -> World:
    return build_world(SEED)


def test_the_generated_tree_holds_every_case_the_reports_tell_apart(world: World) -> None:
    assert 250 <= len(world.units) <= 400
    candidates = world.candidates
    assert {c.stage for c in candidates} == set(STAGES)
    admitted = [c for c in candidates if c.stage == "admitted"]
    no_ceremony = [c for c in admitted if c.ceremony_on is None]
    assert any(c.ceremony_due_on and c.ceremony_due_on >= TODAY for c in no_ceremony)
    assert any(c.ceremony_due_on and c.ceremony_due_on < TODAY for c in no_ceremony)
    assert any(
        c.ceremony_on and c.recognition_due_on and c.recognition_due_on < TODAY for c in admitted
    )
    assert any(c.dropped_from == "admitted" for c in candidates)
    assert any(c.dropped_from == "source" for c in candidates)
    covering = [
        (c.unit_id, {o.unit_id for o in world.outcomes if covers(world, o, c)}) for c in candidates
    ]
    assert any(unit_id in units for unit_id, units in covering)  # by its own unit's count
    assert any(units and unit_id not in units for unit_id, units in covering)  # by one above
    assert any(len(units) > 1 for _, units in covering)  # by two counts at once
    assert {o.replaces_individual for o in world.outcomes} == {True, False}
    closed = [u for u in world.units.values() if u.valid_to]
    assert closed
    assert any(u.valid_from for u in world.units.values())
    assert len({(u.parent_id, u.name) for u in world.units.values()}) < len(world.units)
    assert 0 in world.targets.values()
    commitments = world.commitments
    assert {c.status for c in commitments} == set(STATUSES)
    assert {c.kind for c in commitments} == set(KINDS)
    assert {c.category for c in commitments} == set(CATEGORIES)
    assert any(c.deadline is None for c in commitments)
    assert any(commitment_overdue(c) for c in commitments)
    assert any(c.deadline and c.deadline < TODAY and c.status in FINISHED for c in commitments)
    assert any(c.deadline and c.deadline > TODAY for c in commitments)
    assert {c.directing_person_id is None for c in commitments} == {True, False}
    assert {e.status for e in world.evaluations.values()} == {s.value for s in EvaluationStatus}


RECRUITMENT_COMBINATIONS = [
    # (root, from_year, to_year, depth)
    ("province", 2021, 2022, 1),
    ("province", 2023, 2023, 3),
    ("province", 2019, 2025, 2),
    ("province", 2025, 2026, 1),  # the period runs past today: stages stand as of today
    ("district", 2022, 2024, 2),
    ("district", 2023, 2023, 3),
    ("other_district", 2024, 2024, 3),
    ("commune", 2020, 2025, 1),
    ("commune", 2022, 2022, 10),
    ("district", 2024, 2025, 2),  # after its commune merged away
    ("cell", 2022, 2025, 1),  # a leaf: totals only
]


def test_recruitment_report_figures_match_a_count_over_the_generated_tree(
    client: TestClient, world: World
) -> None:
    expect, where = Expect(world), places(world)
    differences = Differences()
    wanted = []
    for root, first, last, depth in RECRUITMENT_COMBINATIONS:
        root_id = getattr(where, root)
        got = get_json(
            client, RECRUITMENT, root_id=root_id, from_year=first, to_year=last, depth=depth
        )
        want = expect.recruitment_report(root_id, first, last, depth)
        compare_report(differences, got, want, f"{root} {first}–{last} depth {depth}")
        wanted.append(want)

    # The combinations hold what they were chosen for.
    rows = [row for want in wanted for row in want["rows"]]
    assert {r["target"] for r in rows} >= {None, 0}
    assert any(r["achievement_percent"] and r["achievement_percent"] > 100 for r in rows)
    assert any(r["achievement_percent"] and r["achievement_percent"] < 50 for r in rows)
    assert any(r["admitted_individual"] and r["admitted_reported"] for r in rows)
    assert any(r["outcomes_straddling"] for r in rows)
    assert any(r["overdue_alerts"] for r in rows)
    assert where.closed_commune in {r["unit_id"] for r in wanted[4]["rows"]}
    assert where.closed_commune not in {r["unit_id"] for r in wanted[9]["rows"]}
    opened_2024 = {u.id for u in world.units.values() if u.valid_from and u.valid_from.year == 2024}
    assert opened_2024
    assert not opened_2024 & {r["unit_id"] for r in wanted[1]["rows"]}  # not yet in 2023
    communes_2024 = {u for u in opened_2024 if world.units[u].parent_id in world.districts}
    assert communes_2024 <= {r["unit_id"] for r in wanted[2]["rows"]}
    differences.check()


@pytest.mark.skipif(
    engine.dialect.name != "sqlite", reason="statistics of SQLite's planner (sqlite_stat1)"
)
def test_the_overdue_alerts_hold_when_the_planner_thinks_the_table_small(
    client: TestClient, world: World
) -> None:
    """Statistics taken while a table was small (here: 10 rows, one per unit) make SQLite plan a
    scan of the due sums' index (OP_SeekScan), under which SQLite 3.40.1 counted each unit's
    first row after today as overdue. Stale statistics are ordinary: analysed small, then grown.
    app/core/db.py `sqlite_driver` chose a SQLite that answers right."""
    expect, where = Expect(world), places(world)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql(
            "UPDATE sqlite_stat1 SET stat = CASE WHEN idx = 'ix_candidate_due_sums' "
            "THEN '10 1 1 1' ELSE '10 1 1' END WHERE tbl = 'candidate_due'"
        )
    engine.dispose()  # a connection reads the statistics when it opens
    try:
        differences = Differences()
        for first, last, depth in ((2023, 2023, 3), (2025, 2026, 2)):
            got = get_json(
                client,
                RECRUITMENT,
                root_id=where.province,
                from_year=first,
                to_year=last,
                depth=depth,
            )
            want = expect.recruitment_report(where.province, first, last, depth)
            compare_report(differences, got, want, f"province {first}–{last} depth {depth}")
        assert any(r["overdue_alerts"] for r in got["rows"])
        differences.check()
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM sqlite_stat1")
        engine.dispose()


def test_unit_progress_figures_match_a_count_over_the_generated_tree(
    client: TestClient, world: World
) -> None:
    """GET /units/{id}/recruitment: the unit and every direct child, closed ones included."""
    expect, where = Expect(world), places(world)
    differences = Differences()
    for root, first, last in [
        ("province", 2021, 2022),
        ("district", 2023, 2024),
        ("commune", 2025, 2025),
    ]:
        unit_id = getattr(where, root)
        got = get_json(
            client, f"/api/v1/units/{unit_id}/recruitment", from_year=first, to_year=last
        )
        want = expect.unit_recruitment(unit_id, first, last)
        compare_report(differences, got, want, f"progress of {root} {first}–{last}")
    differences.check()


def test_commitments_report_figures_match_a_count_over_the_generated_tree(
    client: TestClient, world: World
) -> None:
    expect, where = Expect(world), places(world)
    differences = Differences()
    combinations = [
        ("province", 2022),
        ("province", 2025),
        ("province", 2020),  # none that year
        ("district", 2024),  # its merged commune is no row any more, but its records count
        ("district", 2021),
        ("other_district", 2023),
        ("commune", 2025),
        ("cell", 2021),
    ]
    for root, year in combinations:
        root_id = getattr(where, root)
        got = get_json(client, COMMITMENTS, root_id=root_id, year=year)
        want = expect.commitments_report(root_id, year)
        compare_report(differences, got, want, f"commitments of {root} in {year}")
        got_ids = [c["id"] for c in got["commitments"]]
        want_ids = [c["id"] for c in want["commitments"]]
        differences.compare(got_ids, want_ids, f"commitments of {root} in {year} (list order)")
    differences.check()


def test_scorecard_figures_match_a_count_over_the_generated_tree(
    client: TestClient, world: World
) -> None:
    expect, where = Expect(world), places(world)
    differences = Differences()
    evaluated = sorted(world.evaluations)[:10]
    others = [(where.province, 2024), (where.district, 2025), (where.cell, 2023)]
    grades = set()
    for unit_id, year in [*evaluated, *others]:
        got = get_json(client, f"/api/v1/units/{unit_id}/scorecard", year=year)
        want = expect.scorecard(unit_id, year)
        where_ = f"scorecard of {world.units[unit_id].name} ({unit_id}) in {year}"
        # The reasons are prose; they carry figures, which must be the expected ones.
        reasons = got["suggestion"].pop("reasons")
        recruitment, suggestion = want["recruitment"], want["suggestion"]
        if recruitment["target"] is None:
            differences.compare("không có chỉ tiêu" in reasons[0], True, f"{where_} reasons")
        elif recruitment["target"] == 0:
            differences.compare("là 0" in reasons[0], True, f"{where_} reasons")
        else:
            share = f"{recruitment['admitted']}/{recruitment['target']}"
            differences.compare(share in reasons[0], True, f"{where_} reasons")
        registered = f"Cam kết (không tính cam kết đã hủy): {suggestion['commitments']},"
        differences.compare(reasons[1].startswith(registered), True, f"{where_} reasons")
        # A year ending after 30 August 2025 is graded on points under Regulation 366-QĐ/TW
        # (issue 13): the figures above are compared, the grade is the one its points, tasks
        # and disciplines give (the grading rule has tests of its own, tests/evaluations).
        graded = got["suggestion"]
        for key in ("period_kind", "period", "rule_set"):
            differences.compare(graded.pop(key), _period_rules(year)[key], f"{where_} {key}")
        points_fields = ("points", "criteria_set_id", "criteria", "tasks", "disciplined")
        on_points = {key: graded.pop(key) for key in points_fields}
        if year >= 2025:
            rules = evaluation_rules(date(year, 12, 31))
            tasks = Tasks(**on_points["tasks"])
            measured = sum(c["points"] or 0 for c in on_points["criteria"])
            differences.compare(on_points["points"], round(measured, 2), f"{where_} points")
            differences.compare(tasks.total, suggestion["commitments"], f"{where_} tasks")
            expected = grade_by_points(
                rules, points=on_points["points"], tasks=tasks, disciplined=0
            ).grade
            suggestion = want["suggestion"] = suggestion | {
                "grade": expected.value,
                "grade_label": expected.label,
            }
        else:
            differences.compare(on_points["criteria"], [], f"{where_} criteria")
        if got["evaluation"] is not None and want["evaluation"] is not None:
            got["evaluation"] = {k: got["evaluation"].get(k) for k in want["evaluation"]}
        differences.compare(got, want, where_)
        grades.add(suggestion["grade"])
    assert len(grades) >= 2
    differences.check()


# --- a candidate whose admission two reported counts stand for ---------------------------------


def test_a_candidate_covered_by_two_reported_counts_is_counted_once(client: TestClient) -> None:
    """An admission in 2022 that both the cell's and the commune's 2022 counts stand for: not an
    individual admission, and still one candidate at its stage, with one overdue alert."""
    tree = make_tree(client)
    cell, commune = tree["cell_a"]["id"], tree["commune"]["id"]
    admitted_on = date(2022, 3, 1)
    with Session(engine) as session:
        session.add(
            Candidate(
                unit_id=cell,
                full_name="Nguyễn Thị Hoa",
                search_key="nguyen thi hoa",
                stage=CandidateStage.admitted,
                source_since=date(2021, 1, 4),
                course_completed_on=date(2021, 2, 1),
                course_valid_until=date(2026, 2, 1),
                applied_on=date(2021, 5, 3),
                verified_on=date(2021, 9, 1),
                admitted_on=admitted_on,
                decision_number="12-QĐ/ĐU",
                ceremony_due_on=calendar.ceremony_due_on(admitted_on),
            )
        )
        for unit_id, admitted in ((cell, 1), (commune, 4)):
            session.add(
                RecruitmentOutcome(
                    unit_id=unit_id,
                    period_start=date(2022, 1, 1),
                    period_end=date(2022, 12, 31),
                    admitted=admitted,
                    replaces_individual=True,
                )
            )
        session.flush()
        flows.rebuild_sums(session.connection())
        session.commit()
    report = get_json(
        client, RECRUITMENT, root_id=tree["district"]["id"], from_year=2022, to_year=2022
    )
    for figures in (report["totals"], *(r for r in report["rows"] if r["unit_id"] == commune)):
        stages = {s["stage"]: s["count"] for s in figures["candidates_by_stage"]}
        assert stages == dict.fromkeys(STAGES, 0) | {"admitted": 1}, figures["name"]
        assert figures["overdue_alerts"] == 1, figures["name"]
        assert (figures["admitted_individual"], figures["admitted_reported"]) == (0, 5)
    progress = get_json(client, f"/api/v1/units/{commune}/recruitment", from_year=2022)
    assert progress["unit"]["overdue_alerts"] == 1
    assert sum(s["count"] for s in progress["unit"]["candidates_by_stage"]) == 1


# --- CSV and XLSX ------------------------------------------------------------------------------

STAGE_LABELS = [s.label for s in CandidateStage]
RECRUITMENT_HEADERS = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Cấp (so với đơn vị báo cáo)",
    "Chỉ tiêu kết nạp",
    "Kết nạp (hồ sơ từng người)",
    "Kết nạp (báo cáo số lượng)",
    "Tổng số kết nạp",
    "Tỷ lệ đạt chỉ tiêu (%)",
    *STAGE_LABELS,
    "Quá hạn (lễ kết nạp, công nhận chính thức)",
    "Báo cáo số lượng không tách được theo năm",
]
SUMMARY_HEADERS = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Tổng số cam kết",
    *(s.label for s in CommitmentStatus),
    *(k.label for k in CommitmentKind),
    *(c.label for c in CommitmentCategory),
    "Quá hạn",
    "Chưa được chấp thuận",
]
MATRIX_HEADERS = ["Trạng thái", *(c.label for c in CommitmentCategory)]
LIST_HEADERS = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Nội dung cam kết",
    "Loại",
    "Lĩnh vực",
    "Trạng thái",
    "Tiến độ (%)",
    "Thời hạn",
    "Quá hạn",
    "Đồng chí trực tiếp chỉ đạo",
]
EVALUATION_HEADERS = ["Bước", "Xếp loại", "Ghi chú"]


def recruitment_cells(figures: dict[str, Any], depth: int | None) -> list[Any]:
    """A figures object as a sheet row, from the JSON."""
    level = [] if depth is None else [depth]
    return [
        figures["code"],
        figures["name"],
        *level,
        figures["target"],
        figures["admitted_individual"],
        figures["admitted_reported"],
        figures["admitted"],
        figures["achievement_percent"],
        *(s["count"] for s in figures["candidates_by_stage"]),
        figures["overdue_alerts"],
        figures["outcomes_straddling"],
    ]


def recruitment_table(report: dict[str, Any]) -> list[list[Any]]:
    totals = report["totals"] | {"name": f"Tổng cộng: {report['totals']['name']}"}
    return [
        *(recruitment_cells(row, row["depth"]) for row in report["rows"]),
        recruitment_cells(totals, 0),
    ]


def summary_cells(figures: dict[str, Any]) -> list[Any]:
    return [
        figures["code"],
        figures["name"],
        figures["total"],
        *(figures["by_status"][s] for s in STATUSES),
        *(figures["by_kind"][k] for k in KINDS),
        *(figures["by_category"][c] for c in CATEGORIES),
        figures["overdue"],
        figures["not_yet_accepted"],
    ]


def summary_table(report: dict[str, Any]) -> list[list[Any]]:
    totals = report["totals"] | {"name": f"Tổng cộng: {report['totals']['name']}"}
    return [*(summary_cells(row) for row in report["rows"]), summary_cells(totals)]


def list_table(lines: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            line["unit_code"],
            line["unit_name"],
            line["title"],
            CommitmentKind(line["kind"]).label,
            CommitmentCategory(line["category"]).label,
            CommitmentStatus(line["status"]).label,
            line["progress_percent"],
            date.fromisoformat(line["deadline"]) if line["deadline"] else None,
            "Có" if line["overdue"] else "Không",
            line["directing_person_name"],
        ]
        for line in lines
    ]


def read_csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].endswith('.csv"')
    assert response.content.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def read_xlsx(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].endswith('.xlsx"')
    return openpyxl.load_workbook(io.BytesIO(response.content))


def assert_title(title: list[Any], unit_name: str, period: str) -> None:
    """A printed CSV's two title lines: the report and the unit, then the period and the date of
    issue."""
    assert unit_name.upper() in title[0]
    assert period in title[1]
    assert ISSUED in title[1]


def assert_csv(rows: list[list[str]], headers: list[str], table: list[list[Any]]) -> None:
    """The data layout: one header row, then the rows."""
    assert rows[0] == headers
    body = rows[1:]
    assert len(body) == len(table)
    for got, want in zip(body, table, strict=True):
        assert len(got) == len(want)
        for cell, value in zip(got, want, strict=True):
            if value is None:
                assert cell == ""
            elif isinstance(value, int | float):
                assert float(cell) == value, (got, want)
            else:
                assert cell == str(value), (got, want)


def widths(sheet: Any) -> dict[int, float]:
    found = {}
    for dimension in sheet.column_dimensions.values():
        if dimension.width and dimension.customWidth:
            for index in range(dimension.min, dimension.max + 1):
                found[index] = dimension.width
    return found


HEADER_ROW = 9
"""The printed sheet's header row (1-based): three rows of heading, a blank one, the title's
three rows, a blank one."""


def assert_sheet(
    sheet: Any, unit_name: str, period: str, headers: list[str], table: list[list[Any]]
) -> None:
    """The party document's heading above the headers, frozen under them, widths set, every
    value in its cell (numbers as numbers, dates as dates), then the signature block."""
    rows = list(sheet.iter_rows(values_only=True))
    heading = [cell for row in rows[: HEADER_ROW - 1] for cell in row if cell]
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in heading
    assert unit_name.upper() in heading
    assert any(period in cell for cell in heading)
    assert any(cell.endswith("ngày 30 tháng 6 năm 2025") for cell in heading)
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert list(rows[HEADER_ROW - 1]) == headers
    assert set(widths(sheet)) >= set(range(1, len(headers) + 1))
    body = rows[HEADER_ROW : HEADER_ROW + len(table)]
    assert len(body) == len(table)
    for r, (got, want) in enumerate(zip(body, table, strict=True), start=HEADER_ROW + 1):
        for c, (cell, value) in enumerate(zip(got, want, strict=True), start=1):
            if isinstance(value, int | float):
                assert sheet.cell(r, c).data_type == "n", (r, c, cell)
                assert isinstance(cell, int | float), (r, c, cell)
                assert cell == value, (r, c, got, want)
            elif isinstance(value, date):
                assert isinstance(cell, datetime), (r, c, cell)
                assert cell.date() == value
            else:
                assert cell == value, (r, c, got, want)
    after = [cell for row in rows[HEADER_ROW + len(table) :] for cell in row if cell]
    assert after[0].startswith("T/M ")


@pytest.fixture
def small_world(client: TestClient) -> World:
    return build_world(SEED + 1, districts=3, communes=(3, 4), cells=(2, 3))


def test_recruitment_exports_hold_the_json_numbers(client: TestClient, small_world: World) -> None:
    w = small_world
    root = w.units[w.root_id]
    params = {"root_id": root.id, "from_year": 2022, "to_year": 2024, "depth": 3}
    report = get_json(client, RECRUITMENT, **params)
    table = recruitment_table(report)
    assert len(table) > 20
    assert any(isinstance(row[7], float) for row in table)  # achievements
    assert any(row[3] is None for row in table)  # no target
    period = "2022–2024"

    for response in (
        client.get(RECRUITMENT, params=params | {"format": "csv"}),
        client.get(RECRUITMENT, params=params, headers={"Accept": "text/csv"}),
    ):
        rows = read_csv(response)
        assert (
            f"tuyen-dang-vien-{root.code}-2022-2024.csv" in response.headers["content-disposition"]
        )
        assert_csv(rows, RECRUITMENT_HEADERS, table)
    # Printed, the CSV's two title lines come first.
    rows = read_csv(client.get(RECRUITMENT, params=params | {"format": "csv", "layout": "print"}))
    assert_title([rows[0][0], rows[1][0]], root.name, period)
    assert "Báo cáo kết quả phát triển đảng viên" in rows[0][0]
    assert_csv(rows[2:], RECRUITMENT_HEADERS, table)

    for response in (
        client.get(RECRUITMENT, params=params | {"format": "xlsx"}),
        client.get(RECRUITMENT, params=params, headers={"Accept": XLSX}),
    ):
        book = read_xlsx(response)
        assert book.sheetnames == ["Phát triển đảng viên"]
        sheet = book["Phát triển đảng viên"]
        assert_sheet(sheet, root.name, period, RECRUITMENT_HEADERS, table)
        assert widths(sheet)[2] > widths(sheet)[4]  # names get more room than numbers

    # format= wins over the Accept header; JSON is the default.
    response = client.get(
        RECRUITMENT, params=params | {"format": "json"}, headers={"Accept": "text/csv"}
    )
    assert response.json() == report
    one_year = read_csv(
        client.get(
            RECRUITMENT, params=params | {"to_year": 2022, "format": "csv", "layout": "print"}
        )
    )
    assert "Năm 2022" in one_year[1][0]


def test_commitments_exports_hold_the_json_numbers(client: TestClient, small_world: World) -> None:
    w = small_world
    root = w.units[w.root_id]
    params = {"root_id": root.id, "year": 2024}
    report = get_json(client, COMMITMENTS, **params)
    assert report["totals"]["total"] > 15
    assert any(line["deadline"] is None for line in report["commitments"])
    assert any(line["directing_person_name"] for line in report["commitments"])

    rows = read_csv(client.get(COMMITMENTS, params=params | {"format": "csv"}))
    assert_csv(rows, SUMMARY_HEADERS, summary_table(report))
    assert rows == read_csv(client.get(COMMITMENTS, params=params, headers={"Accept": "text/csv"}))

    book = read_xlsx(client.get(COMMITMENTS, params=params | {"format": "xlsx"}))
    assert book.sheetnames == ["Tổng hợp", "Trạng thái × lĩnh vực", "Danh sách cam kết"]
    assert_sheet(book["Tổng hợp"], root.name, "Năm 2024", SUMMARY_HEADERS, summary_table(report))
    matrix = report["totals"]["by_status_and_category"]
    assert_sheet(
        book["Trạng thái × lĩnh vực"],
        root.name,
        "Năm 2024",
        MATRIX_HEADERS,
        [[s.label, *(matrix[s.value][c] for c in CATEGORIES)] for s in CommitmentStatus],
    )
    assert_sheet(
        book["Danh sách cam kết"],
        root.name,
        "Năm 2024",
        LIST_HEADERS,
        list_table(report["commitments"]),
    )


def test_scorecard_exports_hold_the_json_numbers(client: TestClient, small_world: World) -> None:
    w = small_world
    decided = [key for key, e in w.evaluations.items() if e.status == "decided"]
    unit_id, year = decided[0]
    unit = w.units[unit_id]
    url = f"/api/v1/units/{unit_id}/scorecard"
    card = get_json(client, url, year=year)
    period = f"Năm {year}"

    rows = read_csv(client.get(url, params={"year": year, "format": "csv"}))
    assert_csv(
        rows,
        LIST_HEADERS,
        [
            [str(v) if isinstance(v, date) else v for v in line]
            for line in list_table(card["commitments"])
        ],
    )

    book = read_xlsx(client.get(url, params={"year": year}, headers={"Accept": XLSX}))
    assert book.sheetnames == ["Danh sách cam kết", "Phát triển đảng viên", "Đánh giá, xếp loại"]
    assert_sheet(
        book["Danh sách cam kết"], unit.name, period, LIST_HEADERS, list_table(card["commitments"])
    )
    no_depth = [h for h in RECRUITMENT_HEADERS if h != "Cấp (so với đơn vị báo cáo)"]
    assert_sheet(
        book["Phát triển đảng viên"],
        unit.name,
        period,
        no_depth,
        [recruitment_cells(card["recruitment"], None)],
    )
    suggestion, evaluation = card["suggestion"], card["evaluation"]
    assert_sheet(
        book["Đánh giá, xếp loại"],
        unit.name,
        period,
        EVALUATION_HEADERS,
        [
            ["Gợi ý (tính tự động)", suggestion["grade_label"], " ".join(suggestion["reasons"])],
            ["Tự đánh giá", GRADE_LABELS[evaluation["self_grade"]], evaluation["self_note"]],
            ["Cấp trên đề xuất", GRADE_LABELS[evaluation["proposed_grade"]], "Đề xuất"],
            ["Cấp trên quyết định", GRADE_LABELS[evaluation["decided_grade"]], "Quyết định"],
        ],
    )


# --- the article's data -------------------------------------------------------------------------


def _unit_id(client: TestClient, code: str) -> int:
    (unit,) = [
        u
        for u in client.get("/api/v1/units", params={"q": code}).json()["items"]
        if u["code"] == code
    ]
    return int(unit["id"])


def test_the_seed_shows_huong_son_admissions_and_commitment_under_binh_xuyen(
    client: TestClient,
) -> None:
    load_seed(settings.seed_dir)
    district, commune = _unit_id(client, "HU-BINHXUYEN"), _unit_id(client, "DX-HUONGSON")

    report = get_json(client, RECRUITMENT, root_id=district, from_year=2021, to_year=2022)
    (huong_son,) = [r for r in report["rows"] if r["unit_id"] == commune]
    assert huong_son["name"] == "Đảng bộ xã Hương Sơn"
    assert huong_son["admitted_reported"] == 15
    assert huong_son["admitted_individual"] == 0
    assert huong_son["admitted"] == 15
    assert huong_son["target"] is None
    assert huong_son["achievement_percent"] is None
    assert huong_son["outcomes_straddling"] == 0
    assert (report["totals"]["admitted"], report["totals"]["target"]) == (15, None)
    # The department and the district's thirteen commune-level committees (on 30 June 2025,
    # the day before the reorganisation the seed records once it is due).
    assert len(report["rows"]) == 14
    assert report["rows"][0]["name"] == "Ban Tuyên giáo Huyện ủy Bình Xuyên"
    rows = read_csv(
        client.get(
            RECRUITMENT,
            params={"root_id": district, "from_year": 2021, "to_year": 2022, "format": "csv"},
        )
    )
    (csv_row,) = [row for row in rows if row[0] == "DX-HUONGSON"]
    assert csv_row[:8] == ["DX-HUONGSON", "Đảng bộ xã Hương Sơn", "1", "", "0", "15", "15", ""]
    # 2022 alone cannot hold a count over 2021–2022.
    one_year = get_json(client, RECRUITMENT, root_id=district, from_year=2022, to_year=2022)
    (huong_son,) = [r for r in one_year["rows"] if r["unit_id"] == commune]
    assert (huong_son["admitted"], huong_son["outcomes_straddling"]) == (0, 1)

    commitments = get_json(client, COMMITMENTS, root_id=district, year=2022)
    (row,) = [r for r in commitments["rows"] if r["unit_id"] == commune]
    assert row["total"] == 1
    assert row["by_status"]["in_progress"] == 1
    assert row["by_kind"]["difficult_task"] == 1
    assert row["by_category"]["party_recruitment"] == 1
    assert (row["overdue"], row["not_yet_accepted"]) == (0, 0)
    assert commitments["totals"]["total"] == 1
    (line,) = commitments["commitments"]
    assert line["title"] == "Tháo gỡ khó khăn trong tạo nguồn phát triển đảng viên"
    assert (line["unit_id"], line["registered_with_id"]) == (commune, district)
    assert (line["status"], line["deadline"], line["directing_person_name"]) == (
        "in_progress",
        None,
        None,
    )


# --- who sees what, and bad requests ------------------------------------------------------------


def test_a_viewer_outside_the_subtree_gets_404_in_every_format(
    client: TestClient, login: Any
) -> None:
    tree = make_tree(client)
    ids = {name: unit["id"] for name, unit in tree.items()}
    viewer = login("viewer", ids["commune"])
    outside = [ids["district"], ids["province"], ids["department"]]
    inside = [ids["commune"], ids["cell_a"]]
    for fmt in ("json", "csv", "xlsx", "pdf"):
        for unit_id in outside:
            for url, params in (
                (RECRUITMENT, {"root_id": unit_id, "from_year": 2022, "depth": 2}),
                (COMMITMENTS, {"root_id": unit_id, "year": 2022}),
                (f"/api/v1/units/{unit_id}/scorecard", {"year": 2022}),
            ):
                assert_problem(viewer.get(url, params=params | {"format": fmt}), 404)
        for unit_id in inside:
            for url, params in (
                (RECRUITMENT, {"root_id": unit_id, "from_year": 2022, "depth": 2}),
                (COMMITMENTS, {"root_id": unit_id, "year": 2022}),
                (f"/api/v1/units/{unit_id}/scorecard", {"year": 2022}),
            ):
                response = viewer.get(url, params=params | {"format": fmt})
                assert response.status_code == 200, (url, fmt, response.text)
    # A sibling's viewer is outside too.
    sibling = login("viewer", ids["cell_b"])
    assert_problem(sibling.get(RECRUITMENT, params={"root_id": ids["cell_a"]}), 404)
    # Unknown units answer as outside ones do.
    assert_problem(viewer.get(RECRUITMENT, params={"root_id": 999_999}), 404)


def test_bad_report_requests_answer_problems(client: TestClient) -> None:
    tree = make_tree(client)
    root = tree["district"]["id"]
    body = assert_problem(
        client.get(RECRUITMENT, params={"root_id": root, "from_year": 2023, "to_year": 2022}), 422
    )
    assert body["detail"] == "to_year comes before from_year."
    for depth in (0, 11, -1):
        assert_problem(client.get(RECRUITMENT, params={"root_id": root, "depth": depth}), 422)
    for params in (
        {},
        {"root_id": 0},
        {"root_id": "abc"},
        {"root_id": root, "from_year": 1989},
        {"root_id": root, "to_year": 2101},
        {"root_id": root, "format": "docx"},
        {"root_id": root, "format": "csv", "layout": "wide"},
    ):
        assert_problem(client.get(RECRUITMENT, params=params), 422)
    # A PDF is printed: the data layout is for CSV and XLSX.
    body = assert_problem(
        client.get(RECRUITMENT, params={"root_id": root, "format": "pdf", "layout": "data"}), 422
    )
    assert body["errors"][0]["loc"] == ["query", "layout"]
    assert_problem(client.get(RECRUITMENT, params={"root_id": 999_999}), 404)
    assert_problem(client.get(RECRUITMENT, params={"root_id": 999_999, "format": "csv"}), 404)
    assert_problem(client.get(COMMITMENTS, params={"root_id": 999_999, "year": 2022}), 404)
    assert_problem(client.get(COMMITMENTS, params={"root_id": root, "year": 1800}), 422)
    assert_problem(client.get(COMMITMENTS, params={"root_id": root, "format": "ods"}), 422)
    assert_problem(client.get("/api/v1/units/999999/scorecard", params={"year": 2022}), 404)
    assert_problem(client.get(f"/api/v1/units/{root}/scorecard", params={"year": 3000}), 422)


def test_a_reversed_period_points_at_the_to_year_query_parameter(client: TestClient) -> None:
    """The problem names the parameter as FastAPI's own validation errors do: in the query (a
    GET has no body)."""
    root = make_tree(client)["district"]["id"]
    for url, params in (
        (RECRUITMENT, {"root_id": root}),
        (f"/api/v1/units/{root}/recruitment", {}),
    ):
        response = client.get(url, params=params | {"from_year": 2023, "to_year": 2022})
        (error,) = assert_problem(response, 422)["errors"]
        assert error["loc"] == ["query", "to_year"]


def test_years_default_to_each_other_then_to_this_year(client: TestClient) -> None:
    tree = make_tree(client)
    root = tree["district"]["id"]

    def years(**params: Any) -> tuple[int, int]:
        report = get_json(client, RECRUITMENT, root_id=root, **params)
        return report["from_year"], report["to_year"]

    assert years() == (2025, 2025)
    assert years(from_year=2022) == (2022, 2022)
    assert years(to_year=2023) == (2023, 2023)
    report = get_json(client, RECRUITMENT, root_id=root)
    assert (report["depth"], report["issued_on"]) == (1, TODAY.isoformat())
    assert [r["name"] for r in report["rows"]] == [
        "Ban Tuyên giáo Huyện ủy",
        "Đảng bộ xã Hương Sơn",
    ]
    assert get_json(client, COMMITMENTS, root_id=root)["year"] == 2025
    assert get_json(client, f"/api/v1/units/{root}/scorecard")["year"] == 2025


def test_text_a_spreadsheet_would_run_as_a_formula_is_quoted_in_csv(client: TestClient) -> None:
    world = make_tree(client)
    client.post(
        "/api/v1/units",
        json={
            "code": "CB-FORMULA",
            "name": '=HYPERLINK("http://example.invalid","Chi bộ")',
            "kind": "party_cell",
            "parent_id": world["commune"]["id"],
        },
    ).raise_for_status()
    response = client.get(
        RECRUITMENT, params={"root_id": world["commune"]["id"], "year": 2025, "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = [row[1] for row in rows if len(row) > 1]
    assert '\'=HYPERLINK("http://example.invalid","Chi bộ")' in names
    assert not any(name.startswith("=") for name in names)
