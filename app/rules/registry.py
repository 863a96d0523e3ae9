"""Every rule set the service applies, by domain (app/rules/core.py)."""

from datetime import date

from app.rules import admission, evaluation
from app.rules.core import RuleDomain, RuleSet, in_force

RULE_SETS: tuple[RuleSet, ...] = (*admission.RULE_SETS, *evaluation.RULE_SETS)


def rule_sets(domain: RuleDomain | None = None, on: date | None = None) -> list[RuleSet]:
    return [
        rule_set
        for rule_set in RULE_SETS
        if (domain is None or rule_set.domain == domain) and (on is None or rule_set.covers(on))
    ]


def admission_rules(day: date) -> RuleSet:
    """The admission rules in force on `day` (a decision's, a proposal's, a ceremony's)."""
    return in_force(rule_sets(RuleDomain.admission), day)


def evaluation_rules(period_end: date) -> RuleSet:
    """The evaluation rules for a period that ends on `period_end` (why its last day:
    app/rules/evaluation.py)."""
    return in_force(rule_sets(RuleDomain.evaluation), period_end)
