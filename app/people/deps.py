from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader, shared
from app.core.i18n import t
from app.models import AreaOfCharge, Person, Position

PersonDep = Annotated[Person, Depends(loader("person_id", shared(Person, t("Person"))))]
PositionDep = Annotated[Position, Depends(loader("position_id", in_scope(Position, t("Position"))))]
AreaDep = Annotated[
    AreaOfCharge, Depends(loader("area_id", in_scope(AreaOfCharge, t("AreaOfCharge"))))
]
