"""Rules as data, dated (issue 13, item 1): a rule set names the documents it implements and the
days it is in force; every deadline, alert, grade and cap is computed under the set in force on
the day that matters (the decision's, the end of the evaluated period). Clients read them at
GET /api/v1/rules, with their sources.

A threshold the sources leave unverified (FACTS-2025.md marks them) is a setting: the rule reads
its value from app/core/config.py and says so (`verified: false`, `setting`), never presenting
it as law.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.core.config import settings
from app.models.base import LabelledEnum


class RuleDomain(LabelledEnum):
    admission = "admission", "Kết nạp đảng viên"
    evaluation = "evaluation", "Kiểm điểm, đánh giá, xếp loại tổ chức đảng"


@dataclass(frozen=True)
class Rule:
    name: str
    label: str  # what it says, in Vietnamese
    unit: str  # working_days, months, years, votes, points, percent
    source: str  # the document and provision it comes from
    fixed: int | float | None = None
    # The setting that holds it, when the sources leave the value unverified.
    setting: str | None = None

    @property
    def value(self) -> int | float:
        if self.setting is not None:
            value: int | float = getattr(settings, self.setting)
            return value
        assert self.fixed is not None
        return self.fixed

    @property
    def verified(self) -> bool:
        return self.setting is None


@dataclass(frozen=True)
class RuleSet:
    domain: RuleDomain
    code: str
    title: str
    sources: tuple[str, ...]
    rules: tuple[Rule, ...]
    # In force on days in [in_force_from, in_force_to); None: open on that side.
    in_force_from: date | None = None
    in_force_to: date | None = None
    note: str | None = None

    def covers(self, day: date) -> bool:
        return (self.in_force_from is None or self.in_force_from <= day) and (
            self.in_force_to is None or day < self.in_force_to
        )

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(f"{self.code} has no rule {name!r}")

    def value(self, name: str) -> int | float:
        return self.rule(name).value

    def int_value(self, name: str) -> int:
        return int(self.value(name))


def in_force(rule_sets: Iterable[RuleSet], day: date) -> RuleSet:
    """The set in force on `day` (the sets of a domain cover every day, one each)."""
    found = [rule_set for rule_set in rule_sets if rule_set.covers(day)]
    assert len(found) == 1, f"{len(found)} rule sets in force on {day}"
    return found[0]
