"""Synthetic data at commune, province or country scale, deterministic from a seed.

A realistic tree (province → district → commune → party cells, with agencies and departments) and,
for every year, its records: targets allocated down the tree, candidates at every stage of the
pipeline (admitted ones make up the admissions), some admissions reported as counts, and a
commitment per unit (but the root) and year, directed by the superior committee's secretary.
Rows are built in Python, ids included, and loaded in bulk: COPY on PostgreSQL, batched inserts
on SQLite.
"""

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Json
from sqlalchemy import Connection, Engine

from app.commitments.workflow import FINISHED
from app.core.text import search_key
from app.models import (
    SINCE_EVER,
    UNTIL_CHANGED,
    AreaOfCharge,
    Candidate,
    CandidateStage,
    Commitment,
    CommitmentCategory,
    CommitmentKind,
    CommitmentStatus,
    Directive,
    Person,
    Position,
    Post,
    RecruitmentOutcome,
    RecruitmentTarget,
    Sex,
    Unit,
    UnitClosure,
    UnitKind,
)
from app.recruitment import calendar, flows
from app.tree import versions


class Scale(StrEnum):
    commune = "commune"
    province = "province"
    country = "country"


@dataclass(frozen=True)
class Shape:
    """How many units of each level there are under each unit of the level above."""

    provinces: int
    districts: int
    communes: int
    cells: int
    admissions_per_cell_year: float


SHAPES = {
    # One commune committee and its cells.
    Scale.commune: Shape(
        provinces=0, districts=0, communes=1, cells=29, admissions_per_cell_year=1
    ),
    # ~10,000 units and ~200,000 admissions over five years.
    Scale.province: Shape(
        provinces=1, districts=12, communes=25, cells=32, admissions_per_cell_year=4.2
    ),
    # 34 provinces of the same shape: ~330,000 units.
    Scale.country: Shape(
        provinces=34, districts=12, communes=25, cells=32, admissions_per_cell_year=0.7
    ),
}

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thu", "Ngọc", "Quốc", "Thanh", "Kim"]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hùng",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phương",
    "Quang",
    "Sơn",
    "Thảo",
    "Thoa",
    "Trang",
    "Tuấn",
]
PLACES = [
    "Hương Sơn",
    "Bình Xuyên",
    "Tam Hợp",
    "Thanh Lãng",
    "Đạo Đức",
    "Phú Xuân",
    "Sơn Lôi",
    "Bá Hiến",
    "Thiện Kế",
    "Trung Mỹ",
    "Quất Lưu",
    "Gia Khánh",
    "Hương Canh",
    "Tân Phong",
]
STAGES_BEFORE_ADMISSION = [
    CandidateStage.source,
    CandidateStage.awareness_course,
    CandidateStage.applied,
    CandidateStage.verified,
]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@cache
def _ceremony_due(day: date) -> date:
    return calendar.ceremony_due_on(day)


@cache
def _recognition_due(day: date) -> date:
    return calendar.recognition_due_on(day)


class Generator:
    def __init__(
        self, scale: Scale, seed: int, first_year: int, years: int, start_ids: dict[str, int]
    ):
        self.shape = SHAPES[scale]
        self.random = random.Random(seed)  # noqa: S311 (synthetic data, no secret)
        self.prefix = f"G{seed}"
        self.years = list(range(first_year, first_year + years))
        self.next_id = dict(start_ids)
        self.units: list[dict[str, Any]] = []
        self.parent: dict[int, int | None] = {}
        self.secretary: dict[int, int] = {}  # committee → person holding its secretary post
        self.people: list[dict[str, Any]] = []
        self.positions: list[dict[str, Any]] = []
        self.areas: list[dict[str, Any]] = []
        self.cells: list[int] = []

    def _id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table]

    def name(self) -> str:
        r = self.random
        return f"{r.choice(FAMILY)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"

    @staticmethod
    def stamp() -> dict[str, Any]:
        return {"version": 1, "created_at": NOW, "updated_at": NOW}

    # --- the tree ---------------------------------------------------------------------------

    def _unit(self, kind: UnitKind, name: str, parent: int | None, level: int) -> int:
        unit_id = self._id("unit")
        code = f"{self.prefix}-{unit_id}"
        self.units.append(
            {
                "id": unit_id,
                "code": code,
                "name": name,
                "kind": kind.value,
                "parent_id": parent,
                "level": level,
                "valid_from": None,
                "valid_to": None,
                "search_key": search_key(name, code),
            }
            | self.stamp()
        )
        self.parent[unit_id] = parent
        if kind == UnitKind.party_cell:
            self.cells.append(unit_id)
        elif kind != UnitKind.department:
            self._staff(unit_id)
        return unit_id

    def _staff(self, unit_id: int) -> None:
        """A secretary for each committee; the parent's secretary is in charge of it."""
        person_id = self._id("person")
        full_name = self.name()
        self.people.append(
            {"id": person_id, "full_name": full_name, "search_key": search_key(full_name)}
            | self.stamp()
        )
        self.positions.append(
            {
                "id": self._id("position"),
                "person_id": person_id,
                "unit_id": unit_id,
                "post": Post.secretary.value,
                "start_on": date(self.years[0] - 1, 1, 1),
                "end_on": None,
                "note": None,
            }
            | self.stamp()
        )
        self.secretary[unit_id] = person_id
        parent = self.parent[unit_id]
        if parent is not None and parent in self.secretary:
            self.areas.append(
                {
                    "id": self._id("area_of_charge"),
                    "person_id": self.secretary[parent],
                    "unit_id": unit_id,
                    "start_on": date(self.years[0] - 1, 1, 1),
                    "end_on": None,
                    "note": None,
                }
                | self.stamp()
            )

    def build_tree(self) -> None:
        s = self.shape
        r = self.random
        # The whole country hangs under the Central Committee: one root to report on.
        top = None
        if s.provinces > 1:
            top = self._unit(UnitKind.central_committee, "Ban Chấp hành Trung ương Đảng", None, 0)
        provinces: list[int | None] = [
            self._unit(
                UnitKind.province_committee,
                f"Tỉnh ủy {r.choice(PLACES)} {i + 1}",
                top,
                0 if top is None else 1,
            )
            for i in range(s.provinces)
        ] or [None]
        for province in provinces:
            level = 0 if province is None else (1 if top is None else 2)
            districts: list[int | None] = [
                self._unit(
                    UnitKind.district_committee,
                    f"Huyện ủy {r.choice(PLACES)} {i + 1}",
                    province,
                    level,
                )
                for i in range(s.districts)
            ] or [province]
            for district in districts:
                if district is not None and district != province:
                    self._unit(UnitKind.department, "Ban Tuyên giáo", district, level + 1)
                    self._unit(UnitKind.agency, "Đảng ủy Cơ quan Huyện", district, level + 1)
                depth = level + (1 if district != province else 0)
                for i in range(s.communes):
                    commune = self._unit(
                        UnitKind.commune_committee,
                        f"Đảng bộ xã {r.choice(PLACES)} {i + 1}",
                        district,
                        depth,
                    )
                    for j in range(s.cells):
                        self._unit(UnitKind.party_cell, f"Chi bộ thôn {j + 1}", commune, depth + 1)

    def closure(self) -> Iterator[dict[str, Any]]:
        for unit in self.units:
            distance, ancestor = 0, unit["id"]
            while ancestor is not None:
                yield {
                    "ancestor_id": ancestor,
                    "descendant_id": unit["id"],
                    "valid_from": SINCE_EVER,
                    "valid_to": UNTIL_CHANGED,
                    "depth": distance,
                }
                ancestor, distance = self.parent.get(ancestor), distance + 1

    # --- the records ------------------------------------------------------------------------

    def targets(self, admitted: dict[tuple[int, int], int]) -> Iterator[dict[str, Any]]:
        """A target for every unit below the root and year, near what it went on to admit."""
        totals: dict[tuple[int, int], int] = {}
        for unit in reversed(self.units):  # children come after their parents
            for year in self.years:
                key = (unit["id"], year)
                totals[key] = totals.get(key, 0) + admitted.get(key, 0)
                parent = self.parent[unit["id"]]
                if parent is not None:
                    totals[(parent, year)] = totals.get((parent, year), 0) + totals[key]
        for unit in self.units:
            if self.parent[unit["id"]] is None or unit["kind"] == UnitKind.department.value:
                continue
            for year in self.years:
                done = totals.get((unit["id"], year), 0)
                target = max(0, round(done * self.random.uniform(0.8, 1.25)))
                yield {
                    "id": self._id("recruitment_target"),
                    "unit_id": unit["id"],
                    "year": year,
                    "target": target,
                    "note": None,
                } | self.stamp()

    def candidates(self, admitted: dict[tuple[int, int], int]) -> Iterator[dict[str, Any]]:
        r = self.random
        today = date(self.years[-1], 12, 31)
        for cell in self.cells:
            in_charge = self.secretary.get(self.parent[cell] or 0)
            for year in self.years:
                count = int(self.shape.admissions_per_cell_year * r.uniform(0.5, 1.5) + r.random())
                admitted[(cell, year)] = count
                for _ in range(count):
                    decided = date(year, 1, 1) + timedelta(days=r.randrange(365))
                    yield self._candidate(cell, in_charge, decided, today)
            # People still on their way, and some who dropped out.
            for _ in range(int(self.shape.admissions_per_cell_year * 2) + 1):
                yield self._candidate(cell, in_charge, None, today)

    def _candidate(
        self, cell: int, in_charge: int | None, decided: date | None, today: date
    ) -> dict[str, Any]:
        r = self.random
        full_name = self.name()
        end = decided or today - timedelta(days=r.randrange(700))
        course = end - timedelta(days=r.randrange(120, 400))
        applied = course + timedelta(days=r.randrange(20, 60))
        verified = applied + timedelta(days=r.randrange(20, 60))
        row: dict[str, Any] = {
            "id": self._id("candidate"),
            "unit_id": cell,
            "full_name": full_name,
            "birth_year": r.randrange(1975, 2006),
            "sex": r.choice(list(Sex)).value,
            "occupation": None,
            "helper_person_id": None,
            "in_charge_person_id": in_charge,
            "note": None,
            "search_key": search_key(full_name),
            "source_since": course - timedelta(days=r.randrange(90, 700)),
            "course_completed_on": None,
            "course_renewed_on": None,
            "course_valid_until": None,
            "applied_on": None,
            "verified_on": None,
            "admitted_on": None,
            "decision_number": None,
            "ceremony_due_on": None,
            "ceremony_on": None,
            "probation_ends_on": None,
            "recognition_due_on": None,
            "official_on": None,
            "dropped_on": None,
            "dropped_from": None,
            "drop_reason": None,
        } | self.stamp()
        if decided is None:
            stage = r.choice(STAGES_BEFORE_ADMISSION)
            reached = STAGES_BEFORE_ADMISSION.index(stage)
        else:
            stage, reached = CandidateStage.admitted, 4
        if reached >= 1:
            row["course_completed_on"] = min(course, today)
            row["course_valid_until"] = calendar.course_valid_until(row["course_completed_on"])
        if reached >= 2:
            row["applied_on"] = min(applied, today)
        if reached >= 3:
            row["verified_on"] = min(verified, today)
        if decided is not None:
            ends = calendar.probation_ends_on(decided)
            row |= {
                "admitted_on": decided,
                "decision_number": f"{r.randrange(1, 999)}-QĐ/ĐU",
                "ceremony_due_on": _ceremony_due(decided),
                "probation_ends_on": ends,
                "recognition_due_on": _recognition_due(decided),
            }
            ceremony = decided + timedelta(days=r.randrange(5, 40))
            if ceremony <= today and r.random() < 0.95:
                row["ceremony_on"] = ceremony
            official = ends + timedelta(days=r.randrange(0, 30))
            if official <= today and row["ceremony_on"] and r.random() < 0.9:
                stage = CandidateStage.official
                row["official_on"] = official
        elif r.random() < 0.1:
            row |= {
                "dropped_from": stage.value,
                "dropped_on": today - timedelta(days=30),
                "drop_reason": "Chuyển nơi cư trú",
            }
            stage = CandidateStage.dropped
        row["stage"] = stage.value
        return row

    def outcomes(self, admitted: dict[tuple[int, int], int]) -> Iterator[dict[str, Any]]:
        """For one commune in ten, its first year reported as a count standing for its cells'
        individual admissions (as when a commune imports its history)."""
        first = self.years[0]
        children: dict[int, list[int]] = {}
        for cell in self.cells:
            children.setdefault(self.parent[cell] or 0, []).append(cell)
        for commune, cells in children.items():
            if self.random.random() < 0.1:
                yield {
                    "id": self._id("recruitment_outcome"),
                    "unit_id": commune,
                    "period_start": date(first, 1, 1),
                    "period_end": date(first, 12, 31),
                    "admitted": sum(admitted.get((c, first), 0) for c in cells),
                    "replaces_individual": True,
                    "source": "Báo cáo tổng hợp",
                    "note": None,
                } | self.stamp()

    def commitments(self, directive_id: int) -> Iterator[dict[str, Any]]:
        r = self.random
        statuses = list(CommitmentStatus)
        for unit in self.parent:  # every unit registers with its superior, but the root
            superior = self.parent[unit]
            if superior is None:
                continue
            for year in self.years:
                status = r.choice(statuses)
                title = f"{r.choice(['Tháo gỡ', 'Giải quyết', 'Khắc phục'])} " + r.choice(
                    [
                        "vướng mắc giải phóng mặt bằng",
                        "đơn thư khiếu nại kéo dài",
                        "vi phạm đất đai",
                        "ô nhiễm môi trường",
                        "tạo nguồn phát triển đảng viên",
                    ]
                )
                deadline = date(year, 12, 31) if r.random() < 0.8 else None
                yield {
                    "id": self._id("commitment"),
                    "unit_id": unit,
                    "registered_with_id": superior,
                    "directive_id": directive_id,
                    "year": year,
                    "kind": r.choice(list(CommitmentKind)).value,
                    "category": r.choice(list(CommitmentCategory)).value,
                    "title": title,
                    "description": None,
                    "success_criteria": ["Giải quyết dứt điểm trong năm"],
                    "deadline": deadline,
                    "responsible_person_id": self.secretary.get(unit),
                    "directing_person_id": self.secretary.get(superior),
                    "status": status.value,
                    "progress_percent": 100
                    if status == CommitmentStatus.completed
                    else (0 if status in FINISHED else r.randrange(0, 100, 10)),
                    "result_summary": "Kết quả theo báo cáo" if status in FINISHED else None,
                    "escalated_to": "Thanh tra huyện"
                    if status == CommitmentStatus.escalated
                    else None,
                    "carried_to_id": None,
                    "search_key": search_key(title),
                } | self.stamp()


def _rows_for(table: sa.Table, rows: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    names = [c.name for c in table.columns]
    for row in rows:
        yield tuple(row[name] for name in names)


def _load(connection: Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    if connection.dialect.name == "postgresql":
        json_columns = {i for i, c in enumerate(table.columns) if isinstance(c.type, sa.JSON)}
        columns = ", ".join(f'"{c.name}"' for c in table.columns)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for values in _rows_for(table, rows):
                copy.write_row([Json(v) if i in json_columns else v for i, v in enumerate(values)])
                count += 1
        return count
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 5000:
            connection.execute(table.insert(), batch)
            count, batch = count + len(batch), []
    if batch:
        connection.execute(table.insert(), batch)
        count += len(batch)
    return count


TABLES = {
    "unit": Unit,
    "person": Person,
    "position": Position,
    "area_of_charge": AreaOfCharge,
    "recruitment_target": RecruitmentTarget,
    "candidate": Candidate,
    "recruitment_outcome": RecruitmentOutcome,
    "commitment": Commitment,
}


def _table(model: Any) -> sa.Table:
    return model.__table__  # type: ignore[no-any-return]


def generate(
    engine: Engine, *, scale: Scale, seed: int, first_year: int, years: int
) -> dict[str, int]:
    """Add a generated tree and its records to the database; returns rows per table."""
    with engine.begin() as connection:
        start = {
            name: connection.execute(
                sa.select(sa.func.coalesce(sa.func.max(_table(m).c.id), 0))
            ).scalar_one()
            for name, m in TABLES.items()
        }
        directive_id = connection.execute(sa.select(sa.func.min(_table(Directive).c.id))).scalar()
        if directive_id is None:
            directive_id = connection.execute(
                _table(Directive)
                .insert()
                .values(
                    code="05-CT/TW",
                    title="Về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, "
                    "phong cách Hồ Chí Minh",
                    issuer="Bộ Chính trị",
                    issued_on=date(2016, 5, 15),
                    mottos=[],
                    summary=None,
                    search_key=search_key("05-CT/TW"),
                    **Generator.stamp(),
                )
                .returning(_table(Directive).c.id)
            ).scalar_one()
        generator = Generator(scale, seed, first_year, years, start)
        generator.build_tree()
        admitted: dict[tuple[int, int], int] = {}
        counts = {
            "unit": _load(connection, _table(Unit), generator.units),
            "unit_closure": _load(connection, _table(UnitClosure), generator.closure()),
            "unit_version": versions.backfill(connection, _table(Unit).c.id > start["unit"]),
            "person": _load(connection, _table(Person), generator.people),
            "position": _load(connection, _table(Position), generator.positions),
            "area_of_charge": _load(connection, _table(AreaOfCharge), generator.areas),
            "candidate": _load(connection, _table(Candidate), generator.candidates(admitted)),
        }
        counts["recruitment_target"] = _load(
            connection, _table(RecruitmentTarget), generator.targets(admitted)
        )
        counts["recruitment_outcome"] = _load(
            connection, _table(RecruitmentOutcome), generator.outcomes(admitted)
        )
        counts["commitment"] = _load(
            connection, _table(Commitment), generator.commitments(directive_id)
        )
        counts["candidate_flow"] = flows.rebuild(connection)
        if connection.dialect.name == "postgresql":
            # Ids were given explicitly: move the sequences past them.
            for name, model in TABLES.items():
                connection.execute(
                    sa.text(
                        # Names from TABLES, not from input.
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                        f"(SELECT coalesce(max(id), 1) FROM {_table(model).name}))"
                    )
                )
    # Statistics for the planner, and on PostgreSQL the visibility map that lets counts scan
    # indexes only: what autovacuum would do some time after a bulk load.
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(statement))
    return counts
