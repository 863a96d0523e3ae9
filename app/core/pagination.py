from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlmodel import Session

MAX_LIMIT = 500
# Beyond this an offset scan is pointless and some drivers reject the integer.
MAX_OFFSET = 1_000_000_000


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


def paginate(session: Session, statement: Select[Any], params: PageParams) -> dict[str, Any]:
    """Run a filtered, ordered select for one page and count all its rows.

    `statement` must already carry a total order so that pages never overlap or skip rows.
    """
    total = session.execute(
        select(func.count()).select_from(statement.order_by(None).subquery())
    ).scalar_one()
    items = list(session.execute(statement.limit(params.limit).offset(params.offset)).scalars())
    return {"items": items, "total": total, "limit": params.limit, "offset": params.offset}
