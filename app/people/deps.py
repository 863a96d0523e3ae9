from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader, shared
from app.models import AreaOfCharge, Person, Position

PersonDep = Annotated[Person, Depends(loader("person_id", shared(Person, "Person")))]
PositionDep = Annotated[Position, Depends(loader("position_id", in_scope(Position, "Position")))]
AreaDep = Annotated[
    AreaOfCharge, Depends(loader("area_id", in_scope(AreaOfCharge, "AreaOfCharge")))
]
