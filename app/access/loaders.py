"""One factory for the dependencies that load the record a path names, in the caller's scope.

A loader answers 404 for a record that does not exist or lies outside what the caller may read;
it does not look at `If-Match`. The version check belongs to the write, after FastAPI has
validated the request: a dependency that raises stops FastAPI before it validates the body and
the parameters, so an invalid request with a stale `If-Match` would answer 412 instead of 422.
Write endpoints take `IfMatch` and call `app.core.etag.check_if_match` first.
"""

import inspect
from collections.abc import Callable
from typing import TypeVar

from app.access.deps import ScopeDep
from app.access.scope import Scope, UnitRecord
from app.core.errors import NotFoundError
from app.core.i18n import Msg, t
from app.core.schemas import IdPath

Loaded = TypeVar("Loaded")
Scoped = TypeVar("Scoped", bound=UnitRecord)

# How a loader fetches its record: from the caller's scope (which holds the session) and the id.
Fetch = Callable[[Scope, int], Loaded]


def in_scope(model: type[Scoped], label: Msg) -> Fetch[Scoped]:
    """Records that belong to a unit: readable where the caller's grants cover the unit."""
    return lambda scope, record_id: scope.get(model, record_id, label)


def shared(model: type[Loaded], label: Msg) -> Fetch[Loaded]:
    """Records shared by the whole tree (directives, people): any signed-in caller reads them."""

    def fetch(scope: Scope, record_id: int) -> Loaded:
        record = scope.session.get(model, record_id)
        if record is None:
            raise NotFoundError(
                t("{label} {record_id} does not exist.", label=label, record_id=record_id)
            )
        return record

    return fetch


def loader(path_param: str, fetch: Fetch[Loaded]) -> Callable[..., Loaded]:
    """A dependency that reads the id from the path parameter `path_param` and fetches it.

    The parameter's name differs per resource (it is the name in the path and in the OpenAPI
    document), so the dependency's signature is built here rather than written out each time.
    """

    def load(scope: ScopeDep, **path: int) -> Loaded:
        return fetch(scope, path[path_param])

    id_parameter = inspect.Parameter(
        path_param,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=IdPath,
    )
    scope_parameter = inspect.Parameter(
        "scope", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ScopeDep
    )
    load.__signature__ = inspect.Signature([scope_parameter, id_parameter])  # type: ignore[attr-defined]
    load.__name__ = f"load_{path_param.removesuffix('_id')}"
    return load
