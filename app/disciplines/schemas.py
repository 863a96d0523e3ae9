from datetime import date, datetime

from pydantic import ValidationInfo, computed_field, field_validator
from sqlmodel import Field
from sqlmodel._compat import SQLModelConfig

from app.core.i18n import Msg, t
from app.core.schemas import Id, InputModel
from app.models import (
    ORGANISATION_DISCIPLINE_FORMS,
    PERSON_DISCIPLINE_FORMS,
    DisciplineBase,
    DisciplineForm,
)


def forms_for(person_id: int | None) -> frozenset[DisciplineForm]:
    """The forms of a person's discipline, or of an organisation's (issue 13, item 3)."""
    return PERSON_DISCIPLINE_FORMS if person_id is not None else ORGANISATION_DISCIPLINE_FORMS


def form_problem(form: DisciplineForm, person_id: int | None) -> Msg | None:
    allowed = forms_for(person_id)
    if form in allowed:
        return None
    params = {"form": form.value, "label": form.label, "names": sorted(f.value for f in allowed)}
    if person_id is not None:
        return t("{form} ({label}) is not a form of discipline of a person: {names}", **params)
    return t("{form} ({label}) is not a form of discipline of an organisation: {names}", **params)


class DisciplineCreate(DisciplineBase, InputModel):
    unit_id: Id
    person_id: Id | None = None
    issued_by_id: Id

    model_config = SQLModelConfig(
        json_schema_extra={
            "examples": [
                {
                    "unit_id": 4,
                    "person_id": 1,
                    "form": "reprimand",
                    "decision_number": "12-QĐ/ĐU",
                    "decided_on": "2026-03-02",
                    "issued_by_id": 20,
                    "reason": "Vi phạm quy định về quản lý đất đai",
                }
            ]
        }
    )

    @field_validator("form")
    @classmethod
    def _form_of_the_subject(cls, form: DisciplineForm, info: ValidationInfo) -> DisciplineForm:
        problem = form_problem(form, info.data.get("person_id"))
        if problem:
            raise ValueError(problem)
        return form


class DisciplineUpdate(InputModel):
    """Corrections of the decision's record; whom it disciplines does not change (delete a
    record made in error and record the right one)."""

    form: DisciplineForm = Field(default=None)
    decision_number: str = Field(default=None, min_length=1, max_length=100)
    decided_on: date = Field(default=None)
    issued_by_id: Id = Field(default=None)
    reason: str | None = Field(default=None, max_length=5000)


class DisciplinePublic(DisciplineBase):
    id: int
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def form_label(self) -> str:
        return self.form.label
