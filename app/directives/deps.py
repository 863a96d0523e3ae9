from typing import Annotated

from fastapi import Depends

from app.access.loaders import loader, shared
from app.core.i18n import t
from app.models import Directive

DirectiveDep = Annotated[
    Directive, Depends(loader("directive_id", shared(Directive, t("Directive"))))
]
