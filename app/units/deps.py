from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from app.access.deps import IfMatch, ScopeDep
from app.core.db import SessionDep
from app.core.etag import check_if_match
from app.core.schemas import IdPath, SearchQuery
from app.models import Unit, UnitKind
from app.units.service import UnitFilters, get_unit


def get_unit_or_404(
    unit_id: IdPath, session: SessionDep, scope: ScopeDep, if_match: IfMatch
) -> Unit:
    unit = get_unit(session, scope=scope, unit_id=unit_id)
    check_if_match(unit, if_match)
    return unit


def unit_validity(
    as_of: Annotated[
        date | None, Query(description="Only units open on this day (overrides include_closed).")
    ] = None,
    include_closed: Annotated[
        bool, Query(description="Also list units closed before today.")
    ] = False,
) -> UnitFilters:
    return UnitFilters(as_of=as_of, include_closed=include_closed)


UnitValidityDep = Annotated[UnitFilters, Depends(unit_validity)]


async def unit_filters(
    validity: UnitValidityDep,
    q: SearchQuery = None,
    kind: Annotated[UnitKind | None, Query(description="Only units of this kind.")] = None,
) -> UnitFilters:
    return replace(validity, q=q, kind=kind)


UnitDep = Annotated[Unit, Depends(get_unit_or_404)]
UnitFiltersDep = Annotated[UnitFilters, Depends(unit_filters)]
MaxDepth = Annotated[
    int | None, Query(ge=1, le=50, description="How many levels below the unit to include.")
]
