from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Query

from app.access.loaders import loader
from app.core.schemas import DateQuery, SearchQuery
from app.models import Unit, UnitKind
from app.units.service import UnitFilters

AsOf = Annotated[
    DateQuery,
    Query(
        description="The tree of this day: units open on it, with the code, name, kind and "
        "parent they had then (overrides include_closed). Default: today."
    ),
]


def unit_validity(
    as_of: AsOf = None,
    include_closed: Annotated[
        bool | None,
        Query(
            description="Also list units closed before today. Default: no, except when "
            "searching with `q`, which finds closed units too."
        ),
    ] = None,
) -> UnitFilters:
    return UnitFilters(as_of=as_of, include_closed=include_closed)


UnitValidityDep = Annotated[UnitFilters, Depends(unit_validity)]


async def unit_filters(
    validity: UnitValidityDep,
    q: SearchQuery = None,
    kind: Annotated[UnitKind | None, Query(description="Only units of this kind.")] = None,
) -> UnitFilters:
    return replace(validity, q=q, kind=kind)


UnitDep = Annotated[Unit, Depends(loader("unit_id", lambda scope, unit_id: scope.unit(unit_id)))]
UnitFiltersDep = Annotated[UnitFilters, Depends(unit_filters)]
MaxDepth = Annotated[
    int | None, Query(ge=1, le=50, description="How many levels below the unit to include.")
]
