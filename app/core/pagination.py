"""The one place lists are paged: offset or cursor (keyset), `updated_since`, and the count.

A list's router builds a filtered select with a total order and hands it to `paginate` with the
`PageDep` parameters; nothing else about paging lives in the routers (DESIGN.md, "Cursors").
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import Label, UnaryExpression, _label_reference
from sqlmodel import Session

from app.core.errors import AppError, InvalidValueError
from app.core.i18n import Msg, t
from app.core.schemas import TimeQuery

MAX_LIMIT = 500
# Beyond this an offset scan is pointless and some drivers reject the integer.
MAX_OFFSET = 1_000_000_000
MAX_CURSOR = 1000

# Tables that grow with the country (hundreds of thousands to millions of rows): their lists
# count their rows only when asked (`count=exact`), since the count is most of a page's SQL
# time on PostgreSQL (bench/RESULTS.md). Every other list is small and keeps its exact total.
LARGE_TABLES = frozenset({"audit_event", "candidate", "commitment", "recruitment_outcome"})


T = TypeVar("T")


class Count(StrEnum):
    exact = "exact"
    none = "none"


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int | None = Field(
        description="Rows of the whole filtered list: with `count=exact`, and by default on "
        "small lists; null otherwise."
    )
    limit: int
    offset: int
    next_cursor: str | None = Field(
        default=None,
        description='Pass as `cursor` for the next page (also in the `Link: rel="next"` '
        "header); null on the last page.",
    )


class InvalidCursorError(AppError):
    """422 like every other bad parameter, with a type of its own (not `/problems/validation`:
    the cursor is well formed per the schema, yet not one this list gave)."""

    status = 422
    title = t("Invalid Cursor")
    type = "/problems/invalid-cursor"

    def __init__(self, detail: Msg) -> None:
        super().__init__(
            detail, errors=[{"loc": ["query", "cursor"], "msg": detail, "type": "cursor"}]
        )


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int = 0
    cursor: str | None = None
    count: Count | None = None  # None: the list's default (LARGE_TABLES)
    updated_since: datetime | None = None
    # Where the `Link` header goes and which URL it continues; absent for in-process callers.
    request: Request | None = None
    response: Response | None = None


async def page_params(
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
    offset: Annotated[
        int,
        Query(ge=0, le=MAX_OFFSET, description="Rows to skip (small lists; prefer `cursor`)."),
    ] = 0,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR,
            description="Continue after the page that gave this `next_cursor` (keyset paging: "
            "no row skipped or repeated while others are written). Only for the same list and "
            "order; not with `offset`.",
        ),
    ] = None,
    count: Annotated[
        Count | None,
        Query(
            description="`exact` counts the whole filtered list into `total`; `none` leaves it "
            "null. Default: `none` on the large lists (commitments, candidates, reported "
            "admissions, audit events) and when paging by cursor, `exact` otherwise."
        ),
    ] = None,
    updated_since: Annotated[
        TimeQuery,
        Query(
            description="Only records created or changed at or after this time, with its "
            "offset. For syncing, prefer the position of `GET /api/v1/changes`."
        ),
    ] = None,
) -> PageParams:
    if cursor is not None and offset:
        raise InvalidCursorError(t("Send either `cursor` or `offset`, not both."))
    return PageParams(limit, offset, cursor, count, updated_since, request, response)


PageDep = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class _SortKey:
    expression: ColumnElement[Any]
    # The name it is selected under (a labelled column of the select), else None.
    label: str | None
    descending: bool
    nulls_first: bool


def _sort_keys(statement: Select[Any], dialect: str) -> list[_SortKey]:
    """The statement's ORDER BY as expressions with their direction and null placement."""
    keys = []
    for order_clause in statement._order_by_clauses:
        clause, descending, nulls_first = order_clause, False, None
        while isinstance(clause, UnaryExpression) and clause.modifier in _MODIFIERS:
            if clause.modifier is operators.desc_op:
                descending = True
            elif clause.modifier is operators.nulls_first_op:
                nulls_first = True
            elif clause.modifier is operators.nulls_last_op:
                nulls_first = False
            clause = clause.element
        if isinstance(clause, _label_reference):  # ordered by a column of the select
            clause = clause.element
        label = clause.name if isinstance(clause, Label) else None
        if label is not None:
            clause = clause.element
        if nulls_first is None:
            # Each database's own placement: PostgreSQL sorts NULL above every value, SQLite
            # below.
            nulls_first = descending if dialect == "postgresql" else not descending
        keys.append(_SortKey(clause, label, descending, nulls_first))
    return keys


_MODIFIERS = (
    operators.desc_op,
    operators.asc_op,
    operators.nulls_first_op,
    operators.nulls_last_op,
)


def _after(key: _SortKey, value: Any) -> ColumnElement[bool]:
    """Rows strictly after `value` on this key, in the list's order."""
    expression = key.expression
    if value is None:
        return expression.is_not(None) if key.nulls_first else sa.false()
    # A bound literal of the key's type: keys may be conditions (`start_on IS NULL`), which
    # SQLAlchemy compares with True/False only as literals.
    value = sa.literal(value, expression.type)
    beyond = expression < value if key.descending else expression > value
    nullable = getattr(expression, "nullable", True) is not False
    return sa.or_(beyond, expression.is_(None)) if nullable and not key.nulls_first else beyond


def _equal(key: _SortKey, value: Any) -> ColumnElement[bool]:
    if value is None:
        return key.expression.is_(None)
    return key.expression == sa.literal(value, key.expression.type)


def _not_null(key: _SortKey, value: Any) -> bool:
    return value is not None and getattr(key.expression, "nullable", True) is False


def _after_row(keys: list[_SortKey], values: list[Any]) -> ColumnElement[bool]:
    """The keyset condition: (k1, k2, …) after (v1, v2, …), lexicographically, per direction.

    Keys of NOT NULL columns in one direction (the common case: a time, then the id) compare
    as one row value, `(k1, k2) > (v1, v2)`, which both databases read as a range of the
    index on those columns; the key-by-key OR below is the same condition, but PostgreSQL
    scans the whole index for it (measured in bench/RESULTS.md)."""
    same_way = len({k.descending for k in keys}) == 1
    if same_way and all(_not_null(k, v) for k, v in zip(keys, values, strict=True)):
        row = sa.tuple_(*(k.expression for k in keys))
        bound = sa.tuple_(
            *(sa.literal(v, k.expression.type) for k, v in zip(keys, values, strict=True))
        )
        return row < bound if keys[0].descending else row > bound
    return sa.or_(
        *(
            sa.and_(
                *(_equal(k, v) for k, v in zip(keys[:i], values, strict=False)), _after(key, value)
            )
            for i, (key, value) in enumerate(zip(keys, values, strict=True))
        )
    )


def _signature(path: str, keys: list[_SortKey]) -> str:
    """Names the list and its order, so that a cursor is refused anywhere else."""
    order = ";".join(f"{k.expression}:{k.descending}:{k.nulls_first}" for k in keys)
    return hashlib.sha256(f"{path}|{order}".encode()).hexdigest()[:16]


def _encode(signature: str, values: list[Any]) -> str:
    plain = [v.value if isinstance(v, Enum) else v for v in values]
    text = json.dumps([signature, plain], default=lambda v: v.isoformat(), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


NOT_OURS = t("The cursor is not one this API gave.")


def _decode(cursor: str, signature: str, keys: list[_SortKey]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        their_signature, values = raw
        valid = isinstance(values, list) and len(values) == len(keys)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidCursorError(NOT_OURS) from None
    if their_signature != signature:
        raise InvalidCursorError(
            t(
                "The cursor belongs to another list or order: pass the `next_cursor` of this "
                "list, with the same sort."
            )
        )
    if not valid:
        raise InvalidCursorError(NOT_OURS)
    try:
        return [_typed(key, value) for key, value in zip(keys, values, strict=True)]
    except (ValueError, TypeError):
        raise InvalidCursorError(NOT_OURS) from None


def _typed(key: _SortKey, value: Any) -> Any:
    """A JSON value of the cursor back as the key's Python type (dates came as text)."""
    if value is None:
        return None
    sql_type = key.expression.type
    try:
        # A TypeDecorator (UTCDateTime) names its Python type through the type it wraps.
        python_type = getattr(sql_type, "impl_instance", sql_type).python_type
    except NotImplementedError:
        return value
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if issubclass(python_type, Enum):
        return python_type(value)
    if python_type in (int, str, bool, float) and not isinstance(value, python_type):
        raise TypeError(value)
    return value


def _key_name(key: _SortKey, index: int, columns: Any) -> str:
    """The name the row gives a sort key under: that of the selected column it is (a table's
    column, or a labelled one of a view), else `_key<index>`, selected for the purpose."""
    for name in (key.label, getattr(key.expression, "name", None)):
        selected = columns.get(name) if name is not None else None
        if selected is None:
            continue
        inner = selected.element if isinstance(selected, Label) else selected
        if inner.compare(key.expression):  # the same column, not one of another table's
            return str(name)
    return f"_key{index}"


def paginate(
    session: Session, statement: Select[Any], params: PageParams, *, plain: bool = False
) -> dict[str, Any]:
    """Run a filtered, ordered select of one table's records for one page.

    `statement` must already carry a total order (its last key unique, the id) so that pages
    never overlap or skip rows. The page is read by offset, or with `cursor` after the last row
    of the previous page on that order (keyset: the database walks the list's index from there,
    and rows written meanwhile neither shift nor repeat the pages). One row more than the page is
    read to know whether a next page exists; its cursor is the base64 of the page's last sort
    key, with a signature of the list's path and order.

    With `plain`, the items are the records' columns as dicts, for a response model to validate:
    no ORM objects are built (DESIGN.md: hydration is the largest cost of a list, ~0.5 ms for 50
    rows); a select of labelled columns gives them as they are. For callers that need the
    records themselves, leave it off.
    """
    entity = statement.column_descriptions[0]["entity"]
    table = getattr(entity, "__table__", None)
    if params.updated_since is not None:
        updated_at = table.c.get("updated_at") if table is not None else None
        if updated_at is None:
            raise InvalidValueError(
                "updated_since",
                t("This list's records carry no update time; follow GET /api/v1/changes."),
                location="query",
            )
        statement = statement.where(updated_at >= params.updated_since)
    count = params.count or (
        Count.none
        if params.cursor is not None or (table is not None and table.name in LARGE_TABLES)
        else Count.exact
    )
    total = None
    if count is Count.exact:
        total = session.execute(
            select(func.count()).select_from(statement.order_by(None).subquery())
        ).scalar_one()

    keys = _sort_keys(statement, session.get_bind().dialect.name)
    path = params.request.url.path if params.request is not None else ""
    signature = _signature(path, keys)
    page = statement
    if params.cursor is not None:
        page = page.where(_after_row(keys, _decode(params.cursor, signature, keys)))
    page = page.limit(params.limit + 1).offset(params.offset)
    if plain:
        if len(statement.column_descriptions) == 1 and entity is not None:
            page = page.with_only_columns(*entity.__table__.columns)
        # The sort keys as the row gives them: labelled or table columns already selected are
        # read by name, other expressions are selected as `_key<i>`.
        names = [_key_name(k, i, page.selected_columns) for i, k in enumerate(keys)]
        extra = [
            k.expression.label(n)
            for k, n in zip(keys, names, strict=True)
            if n not in page.selected_columns
        ]
        rows = [dict(row) for row in session.execute(page.add_columns(*extra)).mappings()]
        items: list[Any] = rows
        last = rows[params.limit - 1] if len(rows) > params.limit else None
        last_keys = [last[name] for name in names] if last is not None else None
        for row in rows:
            for column in extra:
                del row[column.name]
    else:
        key_columns = [k.expression.label(f"_key{i}") for i, k in enumerate(keys)]
        result = session.execute(page.add_columns(*key_columns)).all()
        items = [row[0] for row in result]
        last_keys = list(result[params.limit - 1][1:]) if len(result) > params.limit else None
    del items[params.limit :]

    next_cursor = _encode(signature, last_keys) if last_keys is not None else None
    if next_cursor is not None and params.request is not None and params.response is not None:
        url = params.request.url.remove_query_params("offset").include_query_params(
            cursor=next_cursor
        )
        params.response.headers["Link"] = f'<{url}>; rel="next"'
    return {
        "items": items,
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
        "next_cursor": next_cursor,
    }
