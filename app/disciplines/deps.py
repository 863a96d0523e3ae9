from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader
from app.core.i18n import t
from app.models import Discipline

# Personal data: read only where the caller's grants cover the unit (404 elsewhere).
DisciplineDep = Annotated[
    Discipline, Depends(loader("discipline_id", in_scope(Discipline, t("Discipline"))))
]
