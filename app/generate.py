"""Synthetic data at commune, province or country scale, deterministic from a seed.

A realistic tree (province → district → commune → party cells, with agencies and departments) and,
for every year, its records: targets allocated down the tree, candidates at every stage of the
pipeline (admitted ones make up the admissions), some admissions reported as counts, and a
commitment per unit (but the root) and year, directed by the superior committee's secretary.
Rows are built in Python, ids included, and loaded in bulk: COPY on PostgreSQL, batched inserts
on SQLite.
"""

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Json
from sqlalchemy import Connection, Engine

from app.commitments.workflow import FINISHED
from app.core import clock
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
    LineageKind,
    Person,
    Position,
    Post,
    RecruitmentOutcome,
    RecruitmentTarget,
    Reorganisation,
    ReorganisationUnit,
    Sex,
    Unit,
    UnitClosure,
    UnitKind,
    UnitLineage,
)
from app.recruitment import calendar, flows
from app.tree import versions


class Scale(StrEnum):
    commune = "commune"
    province = "province"
    country = "country"


@dataclass(frozen=True)
class Shape:
    """How many units of each level there are under each unit of the level above, before the
    reorganisation of 1 July 2025, and how it changes the tree (none by default)."""

    provinces: int
    districts: int
    communes: int
    cells: int
    admissions_per_cell_year: float
    # Provinces after the reorganisation (their neighbours merged into new ones; 0 keeps them).
    provinces_after: int = 0
    # Districts dissolved and about this many communes merged into a new one (0: none of it).
    communes_merged: int = 0


# The reorganisation of 1 July 2025 (Resolution 202/2025/QH15, Regulation 294-QĐ/TW).
REORGANISED_ON = date(2025, 7, 1)
LEGAL_BASIS = ["Nghị quyết 202/2025/QH15", "Quy định 294-QĐ/TW"]

SHAPES = {
    # One commune committee and its cells.
    Scale.commune: Shape(
        provinces=0, districts=0, communes=1, cells=29, admissions_per_cell_year=1
    ),
    # ~10,000 units and ~200,000 admissions over five years; on 1 July 2025 its districts are
    # dissolved and its communes merged about three into one.
    Scale.province: Shape(
        provinces=1,
        districts=12,
        communes=25,
        cells=32,
        admissions_per_cell_year=4.2,
        communes_merged=3,
    ),
    # 63 provinces (~335,000 units) until 1 July 2025, then 34: neighbours merged (about two
    # into one), every district dissolved, communes merged about three into one.
    Scale.country: Shape(
        provinces=63,
        districts=11,
        communes=15,
        cells=31,
        admissions_per_cell_year=0.7,
        provinces_after=34,
        communes_merged=3,
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
def _recognition_due(probation_ends: date) -> date:
    return calendar.recognition_proposal_due_on(probation_ends)


@dataclass
class Event:
    """One reorganisation event of the generated country: a new province's (or a kept one's)
    share of 1 July 2025, as `POST /reorganisations` would have recorded it."""

    id: int
    operations: list[dict[str, Any]] = field(default_factory=list)
    opened: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    refs: set[int] = field(default_factory=set)

    def operation(self, operation: dict[str, Any]) -> int:
        self.operations.append(operation)
        return len(self.operations) - 1

    def merge(self, sources: list[int], into: int) -> int:
        """A merge of `sources` into `into`, their targets carried; returns its index."""
        return self.operation(
            {"op": "merge", "sources": sources, "into": self.ref(into), "targets": "carry"}
        )

    def ref(self, unit_id: int | None) -> int | str | None:
        """How a later operation of the event names a unit: by its ref when the event made it."""
        return f"u{unit_id}" if unit_id in self.refs else unit_id


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
        self.row: dict[int, dict[str, Any]] = {}
        # Each unit's parent today, and before the reorganisation (the same when it made none).
        self.parent: dict[int, int | None] = {}
        self.before: dict[int, int | None] = {}
        self.kind: dict[int, UnitKind] = {}
        self.opened_on: dict[int, date] = {}
        self.closed_on: dict[int, date] = {}
        # A closed unit's successor (None when dissolved), and the event and operation closing it.
        self.successor: dict[int, int | None] = {}
        self.closed_by: dict[int, tuple[Event, int]] = {}
        self.secretary: dict[int, int] = {}  # committee → person holding its secretary post
        self.post: dict[int, dict[str, Any]] = {}  # committee → its secretary's position
        self.charge: dict[int, dict[str, Any]] = {}  # unit → the area of charge over it
        self.people: list[dict[str, Any]] = []
        self.positions: list[dict[str, Any]] = []
        self.areas: list[dict[str, Any]] = []
        self.cells: list[int] = []
        self.events: list[Event] = []
        self.lineage: list[dict[str, Any]] = []
        self.today = min(date(self.years[-1], 12, 31), clock.today())

    def _id(self, table: str) -> int:
        self.next_id[table] = self.next_id.get(table, 0) + 1
        return self.next_id[table]

    def name(self) -> str:
        r = self.random
        return f"{r.choice(FAMILY)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"

    @staticmethod
    def stamp() -> dict[str, Any]:
        return {"version": 1, "created_at": NOW, "updated_at": NOW}

    # --- the tree ---------------------------------------------------------------------------

    def _unit(
        self,
        kind: UnitKind,
        name: str,
        parent: int | None,
        *,
        opened: date | None = None,
        person: int | None = None,
    ) -> int:
        unit_id = self._id("unit")
        code = f"{self.prefix}-{unit_id}"
        self.units.append(
            {
                "id": unit_id,
                "code": code,
                "name": name,
                "kind": kind.value,
                "parent_id": parent,
                "level": 0,  # set with the tree of today (`_settle`)
                "valid_from": None,
                "valid_to": None,
                "search_key": search_key(name, code),
            }
            | self.stamp()
        )
        self.row[unit_id] = self.units[-1]
        self.parent[unit_id] = self.before[unit_id] = parent
        self.kind[unit_id] = kind
        if opened is not None:
            self.opened_on[unit_id] = opened
        if kind == UnitKind.party_cell:
            self.cells.append(unit_id)
        elif kind != UnitKind.department:
            self._staff(unit_id, opened or date(self.years[0] - 1, 1, 1), person)
        return unit_id

    def _staff(self, unit_id: int, start: date, person_id: int | None = None) -> None:
        """A secretary for each committee (a new one's is often a predecessor's); the parent's
        secretary is in charge of it."""
        if person_id is None:
            person_id = self._id("person")
            full_name = self.name()
            self.people.append(
                {"id": person_id, "full_name": full_name, "search_key": search_key(full_name)}
                | self.stamp()
            )
        position = {
            "id": self._id("position"),
            "person_id": person_id,
            "unit_id": unit_id,
            "post": Post.secretary.value,
            "start_on": start,
            "end_on": None,
            "note": None,
        } | self.stamp()
        self.positions.append(position)
        self.post[unit_id] = position
        self.secretary[unit_id] = person_id
        self._take_charge(unit_id, start)

    def _take_charge(self, unit_id: int, start: date) -> None:
        parent = self.parent[unit_id]
        if parent is not None and parent in self.secretary:
            area = {
                "id": self._id("area_of_charge"),
                "person_id": self.secretary[parent],
                "unit_id": unit_id,
                "start_on": start,
                "end_on": None,
                "note": None,
            } | self.stamp()
            self.areas.append(area)
            self.charge[unit_id] = area

    def build_tree(self) -> None:
        s = self.shape
        r = self.random
        # The whole country hangs under the Central Committee: one root to report on.
        top = None
        if s.provinces > 1:
            top = self._unit(UnitKind.central_committee, "Ban Chấp hành Trung ương Đảng", None)
        provinces: list[int | None] = [
            self._unit(UnitKind.province_committee, f"Tỉnh ủy {r.choice(PLACES)} {i + 1}", top)
            for i in range(s.provinces)
        ] or [None]
        for province in provinces:
            districts: list[int | None] = [
                self._unit(
                    UnitKind.district_committee, f"Huyện ủy {r.choice(PLACES)} {i + 1}", province
                )
                for i in range(s.districts)
            ] or [province]
            for district in districts:
                if district is not None and district != province:
                    self._unit(UnitKind.department, "Ban Tuyên giáo", district)
                    self._unit(UnitKind.agency, "Đảng ủy Cơ quan Huyện", district)
                for i in range(s.communes):
                    commune = self._unit(
                        UnitKind.commune_committee,
                        f"Đảng bộ xã {r.choice(PLACES)} {i + 1}",
                        district,
                    )
                    for j in range(s.cells):
                        self._unit(UnitKind.party_cell, f"Chi bộ thôn {j + 1}", commune)
        if s.communes_merged and s.districts:
            self.reorganise(top, [p for p in provinces if p is not None])
        self._settle()

    # --- the reorganisation of 1 July 2025 ---------------------------------------------------

    def _groups(self, items: list[int], count: int) -> list[list[int]]:
        """`items` in `count` runs of neighbours, one to three each."""
        if not count or count >= len(items):
            return [[item] for item in items]
        sizes, extra = [1] * count, len(items) - count
        while extra:
            i = self.random.randrange(count)
            if sizes[i] < 3:
                sizes[i], extra = sizes[i] + 1, extra - 1
        groups, start = [], 0
        for size in sizes:
            groups.append(items[start : start + size])
            start += size
        return groups

    def _chunks(self, items: list[int]) -> list[list[int]]:
        """`items` in runs of about `communes_merged` (the last may be shorter, even one)."""
        m = self.shape.communes_merged
        chunks, start = [], 0
        while start < len(items):
            size = max(1, self.random.choice([m - 1, m, m, m + 1]))
            chunks.append(items[start : start + size])
            start += size
        return chunks

    def reorganise(self, top: int | None, provinces: list[int]) -> None:
        """One event per province of the new tree, as its committee would have recorded it:
        the new province established (when neighbours merge), its communes merged about three
        into one (a new commune established, the old ones closed under it with their cells
        moved to it), every district dissolved (agencies and departments with it; a commune
        merged with none moves under the province), and the old provinces merged into the new.
        The operations are those of `POST /reorganisations`, in an order it accepts."""
        r = self.random
        children: dict[int, list[int]] = {}
        for unit, parent in self.before.items():
            if parent is not None:
                children.setdefault(parent, []).append(unit)
        for group in self._groups(provinces, self.shape.provinces_after):
            event = Event(self._id("reorganisation"))
            self.events.append(event)
            province = group[0]
            if len(group) > 1:
                province = self._open(
                    event,
                    UnitKind.province_committee,
                    f"Tỉnh ủy {r.choice(PLACES)}",
                    top,
                    person=self.secretary[group[0]],
                )
            for old in group:
                for district in children.get(old, []):
                    self._dissolve_district(event, district, province, children)
            if len(group) > 1:
                index = event.merge(group, province)
                for old in group:
                    self._close(event, old, province, LineageKind.merged, index)

    def _dissolve_district(
        self, event: Event, district: int, province: int, children: dict[int, list[int]]
    ) -> None:
        """The district's communes merged into new ones under the province (a commune merged
        with none moves there), then its agencies, departments and itself dissolved."""
        r = self.random
        below = children.get(district, [])
        communes = [u for u in below if self.kind[u] == UnitKind.commune_committee]
        for chunk in self._chunks(communes):
            if len(chunk) == 1:
                continue  # merged with none: moves with its district's dissolution
            new = self._open(
                event,
                UnitKind.commune_committee,
                f"Đảng ủy xã {r.choice(PLACES)}",
                province,
                person=self.secretary[chunk[0]],
            )
            index = event.merge(chunk, new)
            for source in chunk:
                for cell in children.get(source, []):
                    self._move(event, cell, new, index)
                self._close(event, source, new, LineageKind.merged, index)
        for unit in below:
            if self.kind[unit] in {UnitKind.agency, UnitKind.department}:
                index = event.operation({"op": "dissolve", "unit": unit, "children_to": None})
                self._close(event, unit, None, LineageKind.dissolved, index)
        index = event.operation(
            {"op": "dissolve", "unit": district, "children_to": event.ref(province)}
        )
        for unit in below:
            if unit not in self.closed_on:
                self._move(event, unit, province, index)
        self._close(event, district, None, LineageKind.dissolved, index)

    def _link(
        self, event: Event, kind: LineageKind, predecessor: int | None, successor: int | None
    ) -> None:
        self.lineage.append(
            {
                "id": self._id("unit_lineage"),
                "reorganisation_id": event.id,
                "kind": kind.value,
                "predecessor_id": predecessor,
                "successor_id": successor,
                "effective_on": REORGANISED_ON,
                "carries_history": predecessor is not None and successor is not None,
            }
        )

    def _open(
        self, event: Event, kind: UnitKind, name: str, parent: int | None, *, person: int
    ) -> int:
        unit = self._unit(kind, name, parent, opened=REORGANISED_ON, person=person)
        row = self.units[-1]
        event.operation(
            {
                "op": "establish",
                "ref": f"u{unit}",
                "code": row["code"],
                "name": name,
                "kind": kind.value,
                "parent": event.ref(parent),
            }
        )
        event.refs.add(unit)
        event.touched.add(unit)
        event.opened.append(
            {
                "unit_id": unit,
                "code": row["code"],
                "name": name,
                "parent_id": parent,
                "ref": f"u{unit}",
            }
        )
        self._link(event, LineageKind.established, None, unit)
        return unit

    def _move(self, event: Event, unit: int, to: int, index: int) -> None:
        event.moved.append(
            {
                "unit_id": unit,
                "from_parent_id": self.parent[unit],
                "to_parent_id": to,
                "operation": index,
            }
        )
        event.touched.add(unit)
        self.parent[unit] = to
        # The new superior's secretary takes charge of it.
        if unit in self.charge:
            self.charge.pop(unit)["end_on"] = REORGANISED_ON
            self._take_charge(unit, REORGANISED_ON)

    def _close(
        self, event: Event, unit: int, successor: int | None, kind: LineageKind, index: int
    ) -> None:
        """Close on 1 July 2025: its posts and the area of charge over it end; it hangs under
        its successor, which carries its history (or stays where it stood, dissolved)."""
        self.closed_on[unit] = REORGANISED_ON
        self.successor[unit] = successor
        self.closed_by[unit] = (event, index)
        for kind_of, term in (
            ("position", self.post.get(unit)),
            ("area_of_charge", self.charge.get(unit)),
        ):
            if term is not None:
                term["end_on"] = REORGANISED_ON
                event.records.append(
                    {
                        "kind": kind_of,
                        "id": term["id"],
                        "action": "ended",
                        "to_unit_id": None,
                        "operation": index,
                    }
                )
        if successor is not None:
            self.parent[unit] = successor
        event.touched.add(unit)
        self._link(event, kind, unit, successor)
        event.closed.append(
            {
                "unit_id": unit,
                "code": self.row[unit]["code"],
                "kind": kind.value,
                "successor_ids": [successor] if successor else [],
                "history_to": successor,
                "operation": index,
            }
        )

    def _settle(self) -> None:
        """Each unit's row as of today: its parent, level and validity."""
        for unit in self.units:
            unit_id = unit["id"]
            unit["parent_id"] = self.parent[unit_id]
            unit["level"] = sum(1 for _ in self._line(unit_id, self.parent)) - 1
            unit["valid_from"] = self.opened_on.get(unit_id)
            unit["valid_to"] = self.closed_on.get(unit_id)

    @staticmethod
    def _line(unit: int, parents: dict[int, int | None]) -> Iterator[tuple[int, int]]:
        """(ancestor, distance) from the unit itself up to its root."""
        distance, ancestor = 0, unit
        while ancestor is not None:
            yield ancestor, distance
            ancestor, distance = parents[ancestor], distance + 1  # type: ignore[assignment]

    def closure(self) -> Iterator[dict[str, Any]]:
        """A unit's rows: those of its line before the reorganisation that it changed end on
        1 July 2025, those of its new line begin then; the rest hold since ever."""
        for unit in self.units:
            unit_id = unit["id"]
            before = dict(self._line(unit_id, self.before))
            after = dict(self._line(unit_id, self.parent)) if self.events else before
            for ancestor, depth in before.items():
                kept = after.get(ancestor) == depth
                yield {
                    "ancestor_id": ancestor,
                    "descendant_id": unit_id,
                    "valid_from": SINCE_EVER,
                    "valid_to": UNTIL_CHANGED if kept else REORGANISED_ON,
                    "depth": depth,
                }
            for ancestor, depth in after.items():
                if before.get(ancestor) != depth:
                    yield {
                        "ancestor_id": ancestor,
                        "descendant_id": unit_id,
                        "valid_from": REORGANISED_ON,
                        "valid_to": UNTIL_CHANGED,
                        "depth": depth,
                    }

    def reorganisations(self) -> Iterator[dict[str, Any]]:
        for event in self.events:
            plan = {
                "opened": event.opened,
                "closed": event.closed,
                "moved": event.moved,
                "renamed": [],
                "records": event.records,
                "conflicts": [],
            }
            yield {
                "id": event.id,
                "effective_on": REORGANISED_ON,
                "legal_basis": LEGAL_BASIS,
                "note": "Sắp xếp đơn vị hành chính, tổ chức chính quyền địa phương hai cấp",
                "operations": event.operations,
                "plan": plan,
            } | self.stamp()

    def reorganisation_units(self) -> Iterator[dict[str, Any]]:
        for event in self.events:
            for unit in sorted(event.touched):
                yield {"reorganisation_id": event.id, "unit_id": unit}

    # --- the records ------------------------------------------------------------------------

    def alive(self, unit: int, year: int) -> bool:
        """Whether the unit lived some day of the year."""
        opened, closed = self.opened_on.get(unit), self.closed_on.get(unit)
        return (opened is None or opened.year <= year) and (
            closed is None or closed > date(year, 1, 1)
        )

    def parents_at_start(self, year: int, unit: int) -> dict[int, int | None]:
        """The tree a year's work was set in: that of its first day, or, for a unit opened
        during the year, today's."""
        if year < REORGANISED_ON.year or (
            year == REORGANISED_ON.year and unit not in self.opened_on
        ):
            return self.before
        return self.parent

    def _totals(
        self, admitted: dict[tuple[int, int], int], parents: dict[int, int | None], year: int
    ) -> dict[int, int]:
        totals: dict[int, int] = {}
        for cell in self.cells:
            done = admitted.get((cell, year), 0)
            if done:
                for ancestor, _ in self._line(cell, parents):
                    totals[ancestor] = totals.get(ancestor, 0) + done
        return totals

    def targets(self, admitted: dict[tuple[int, int], int]) -> Iterator[dict[str, Any]]:
        """A target for every unit below the root and year it lived, near what its subtree went
        on to admit in the tree of the year's start. A unit merged on 1 July 2025 has none of
        that year (carried to its successor's), a dissolved one keeps its own."""
        totals = {
            (year, id(parents)): self._totals(admitted, parents, year)
            for year in self.years
            for parents in {id(p): p for p in (self.before, self.parent)}.values()
        }
        for unit in self.units:
            unit_id = unit["id"]
            if self.parent[unit_id] is None or unit["kind"] == UnitKind.department.value:
                continue
            for year in self.years:
                if not self.alive(unit_id, year) or (
                    self.successor.get(unit_id) is not None and year >= REORGANISED_ON.year
                ):
                    continue
                parents = self.parents_at_start(year, unit_id)
                done = totals[(year, id(parents))].get(unit_id, 0)
                target = max(0, round(done * self.random.uniform(0.8, 1.25)))
                yield {
                    "id": self._id("recruitment_target"),
                    "unit_id": unit_id,
                    "year": year,
                    "target": target,
                    "note": None,
                } | self.stamp()

    def candidates(self, admitted: dict[tuple[int, int], int]) -> Iterator[dict[str, Any]]:
        r = self.random
        today = self.today
        for cell in self.cells:
            in_charge = self.secretary.get(self.before[cell] or 0)
            for year in self.years:
                if date(year, 1, 1) > today:
                    continue
                days = min(365, (today - date(year, 1, 1)).days + 1)
                count = int(self.shape.admissions_per_cell_year * r.uniform(0.5, 1.5) + r.random())
                admitted[(cell, year)] = count
                for _ in range(count):
                    decided = date(year, 1, 1) + timedelta(days=r.randrange(days))
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
            "recognition_proposed_on": None,
            "recognised_on": None,
            "official_on": None,
            "proposed_on": None,
            "decision_due_on": None,
            "over_60_decision": None,
            "failed_votes": 0,
            "last_failed_vote_on": None,
            "referred_on": None,
            "birth_date": None,
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
            row |= {
                "admitted_on": decided,
                "decision_number": f"{r.randrange(1, 999)}-QĐ/ĐU",
                "ceremony_due_on": _ceremony_due(decided),
            }
            ceremony = decided + timedelta(days=r.randrange(5, 40))
            if ceremony <= today and r.random() < 0.95:
                # Probation runs from the ceremony; the member is official at its end, the
                # recognition decided some days later (app/recruitment/calendar.py).
                ends = calendar.probation_ends_on(ceremony)
                row |= {
                    "ceremony_on": ceremony,
                    "probation_ends_on": ends,
                    "recognition_due_on": _recognition_due(ends),
                }
                recognised = ends + timedelta(days=r.randrange(0, 30))
                if recognised <= today and r.random() < 0.9:
                    stage = CandidateStage.official
                    row |= {"official_on": ends, "recognised_on": recognised}
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
        period_end = date(first, 12, 31)
        children: dict[int, list[int]] = {}
        for cell in self.cells:
            children.setdefault(self.parents_at_start(first, cell)[cell] or 0, []).append(cell)
        for commune, cells in children.items():
            closed = self.closed_on.get(commune)
            if closed is not None and closed <= period_end:
                continue  # a closed unit has no record dated after its closing
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
        """A commitment per unit (but the root) and year it lived, registered with its superior
        of the year's start. A unit closed on 1 July 2025 leaves none unfinished: a merged
        one's pass to its successor (`carried_to_id`), a dissolved one finished its own."""
        r = self.random
        statuses = list(CommitmentStatus)
        finished = [s for s in statuses if s in FINISHED]
        for unit in self.parent:
            for year in self.years:
                if not self.alive(unit, year):
                    continue
                superior = self.parents_at_start(year, unit)[unit]
                if superior is None:
                    continue
                status = r.choice(statuses)
                carried_to = None
                if unit in self.closed_on and status not in FINISHED:
                    carried_to = self.successor[unit]
                    if carried_to is None:
                        status = r.choice(finished)
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
                commitment_id = self._id("commitment")
                if carried_to is not None:
                    event, index = self.closed_by[unit]
                    event.records.append(
                        {
                            "kind": "commitment",
                            "id": commitment_id,
                            "action": "carried",
                            "to_unit_id": carried_to,
                            "operation": index,
                        }
                    )
                yield {
                    "id": commitment_id,
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
                    "carried_to_id": carried_to,
                    "search_key": search_key(title),
                } | self.stamp()


def _level(unit: dict[str, Any]) -> int:
    return int(unit["level"])


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
    "reorganisation": Reorganisation,
    "unit_lineage": UnitLineage,
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


# The steps `generate` reports to its `on_step` callback, in order (for a progress bar).
GENERATE_STEPS = (
    "tree",
    "unit",
    "unit_closure",
    "unit_version",
    "person",
    "position",
    "area_of_charge",
    "candidate",
    "recruitment_target",
    "recruitment_outcome",
    "commitment",
    "reorganisation",
    "reorganisation_unit",
    "unit_lineage",
    "candidate sums",
    "statistics",
)


def generate(
    engine: Engine,
    *,
    scale: Scale,
    seed: int,
    first_year: int,
    years: int,
    on_step: Callable[[str], None] = lambda _step: None,
) -> dict[str, int]:
    """Add a generated tree and its records to the database; returns rows per table.
    `on_step(name)` is called as each of GENERATE_STEPS starts."""
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
        on_step("tree")
        generator = Generator(scale, seed, first_year, years, start)
        generator.build_tree()
        admitted: dict[tuple[int, int], int] = {}
        # Parents first (today's tree): a closed unit hangs under a successor made after it.
        loads: list[tuple[str, Callable[[], int]]] = [
            ("unit", lambda: _load(connection, _table(Unit), sorted(generator.units, key=_level))),
            ("unit_closure", lambda: _load(connection, _table(UnitClosure), generator.closure())),
            (
                "unit_version",
                lambda: versions.backfill(connection, _table(Unit).c.id > start["unit"]),
            ),
            ("person", lambda: _load(connection, _table(Person), generator.people)),
            ("position", lambda: _load(connection, _table(Position), generator.positions)),
            ("area_of_charge", lambda: _load(connection, _table(AreaOfCharge), generator.areas)),
            (
                "candidate",
                lambda: _load(connection, _table(Candidate), generator.candidates(admitted)),
            ),
            (
                "recruitment_target",
                lambda: _load(connection, _table(RecruitmentTarget), generator.targets(admitted)),
            ),
            (
                "recruitment_outcome",
                lambda: _load(connection, _table(RecruitmentOutcome), generator.outcomes(admitted)),
            ),
            (
                "commitment",
                lambda: _load(connection, _table(Commitment), generator.commitments(directive_id)),
            ),
            (
                "reorganisation",
                lambda: _load(connection, _table(Reorganisation), generator.reorganisations()),
            ),
            (
                "reorganisation_unit",
                lambda: _load(
                    connection, _table(ReorganisationUnit), generator.reorganisation_units()
                ),
            ),
            ("unit_lineage", lambda: _load(connection, _table(UnitLineage), generator.lineage)),
        ]
        counts: dict[str, int] = {}
        for name, load in loads:  # in this order: candidates fill `admitted` for targets
            on_step(name)
            counts[name] = load()
        on_step("candidate sums")
        counts |= flows.rebuild_sums(connection)
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
    on_step("statistics")
    # Statistics for the planner, and on PostgreSQL the visibility map that lets counts scan
    # indexes only: what autovacuum would do some time after a bulk load.
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(statement))
    return counts
