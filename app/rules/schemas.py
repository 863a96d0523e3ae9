from datetime import date

from pydantic import BaseModel, Field

from app.rules.core import RuleDomain, RuleSet


class RulePublic(BaseModel):
    name: str
    label: str
    value: int | float
    unit: str
    source: str
    verified: bool = Field(description="False: the sources leave it unverified; a setting.")
    setting: str | None = Field(
        description="The setting (`CAMKET_<NAME>`) that holds an unverified value."
    )


class RuleSetPublic(BaseModel):
    domain: RuleDomain
    domain_label: str
    code: str
    title: str
    in_force_from: date | None
    in_force_to: date | None = Field(description="The first day it is no longer in force.")
    sources: list[str]
    note: str | None
    rules: list[RulePublic]

    @classmethod
    def of(cls, rule_set: RuleSet) -> "RuleSetPublic":
        return cls(
            domain=rule_set.domain,
            domain_label=rule_set.domain.label,
            code=rule_set.code,
            title=rule_set.title,
            in_force_from=rule_set.in_force_from,
            in_force_to=rule_set.in_force_to,
            sources=list(rule_set.sources),
            note=rule_set.note,
            rules=[
                RulePublic(
                    name=rule.name,
                    label=rule.label,
                    value=rule.value,
                    unit=rule.unit,
                    source=rule.source,
                    verified=rule.verified,
                    setting=rule.setting and f"CAMKET_{rule.setting.upper()}",
                )
                for rule in rule_set.rules
            ],
        )
