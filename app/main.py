import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from app.api import api_router
from app.core.config import settings
from app.core.db import engine
from app.core.errors import install_error_handlers, problem_responses
from app.core.logs import configure_logging
from app.core.metrics import install_metrics
from app.core.middleware import (
    DuplicateKeysMiddleware,
    InFlightLimitMiddleware,
    RequestContextMiddleware,
)
from app.core.openapi import build_document, route_name
from app.health import router as health_router
from app.idempotency import IdempotencyMiddleware, ReplayError, replay_response
from app.reports.export import XLSX_MEDIA_TYPE
from app.webhooks import worker as webhook_worker

DESCRIPTION = """
Cam Kết ("commitment") records how party organisations carry out a directive such as
**05-CT/TW**: each unit registers a difficult task or pressing issue with its superior committee
and reports progress; superiors assign party-member recruitment targets down the tree; cells
follow candidates through admission; everything rolls up into reports and year-end evaluations.

Every `/api/v1` operation but sign-in needs credentials: a bearer token from
`POST /api/v1/auth/token` (the **Authorize** button does it) or an `X-API-Key`. Each caller sees
and changes only the subtrees of its grants.

Errors are `application/problem+json` (RFC 9457). Lists answer `{items, total, limit, offset}`.
Single records carry an `ETag`; send it back as `If-Match` to change them safely (412 when
someone else changed the record meanwhile). Creates accept an `Idempotency-Key`.
"""

TAGS = [
    {
        "name": "units",
        "description": "Party organisations as a tree (tỉnh ủy, huyện ủy, đảng ủy xã, chi bộ…).",
    },
    {
        "name": "reorganisations",
        "description": "Dated events that establish, merge, split, move, rename and dissolve "
        "units, with their legal basis and lineage; the past is never rewritten.",
    },
    {
        "name": "directives",
        "description": "Directives whose implementation is reported, e.g. 05-CT/TW.",
    },
    {"name": "people", "description": "Cadres named on commitments and areas of charge."},
    {"name": "positions", "description": "Posts a person holds in a unit over time."},
    {"name": "areas of charge", "description": "Committee members personally in charge of a unit."},
    {
        "name": "commitments",
        "description": "Difficult tasks and pressing issues a unit registers with its superior "
        "committee, their workflow and progress.",
    },
    {
        "name": "recruitment",
        "description": "Admission targets allocated down the tree, candidates through the "
        "admission pipeline (personal data, scoped), admissions reported as counts, and the "
        "progress of a unit.",
    },
    {
        "name": "evaluations",
        "description": "Grades of a year, a quarter or a term: self-assessment, the superior's "
        "proposal and decision, caps on excellent grades, and a suggested grade with its "
        "reasons; under Regulation 366-QĐ/TW, points on a criteria set versioned by year.",
    },
    {
        "name": "rules",
        "description": "The rule sets deadlines, alerts and grades are computed under, dated, "
        "with the documents they implement; unverified values are settings.",
    },
    {
        "name": "disciplines",
        "description": "Disciplinary decisions against an organisation or a person: personal "
        "data, read only within one's grants; they keep a superior from *excellent* under "
        "Regulation 366-QĐ/TW.",
    },
    {
        "name": "approvals",
        "description": "A unit's figures for a period submitted to its superior and approved "
        "bottom-up; approved figures are locked (409 `/problems/period-locked`) unless a lock "
        "exception allows writes; the completeness of a subtree's submissions.",
    },
    {
        "name": "reports",
        "description": "Rollups over a subtree and a period, as JSON, CSV (UTF-8 with BOM) or "
        "XLSX with Vietnamese headers.",
    },
    {
        "name": "imports",
        "description": "Bulk import of CSV, XLSX or JSON rows through the single-record rules: "
        "dry runs, all-or-nothing imports, background jobs, templates.",
    },
    {"name": "meta", "description": "Enumerations with their Vietnamese labels."},
    {"name": "auth", "description": "Sign in (OAuth2 password flow), who am I, change password."},
    {"name": "users", "description": "Accounts and their grants: a role on a unit's subtree."},
    {"name": "api keys", "description": "Credentials for machine clients, sent as `X-API-Key`."},
    {"name": "audit", "description": "Who changed what, when, before and after."},
    {
        "name": "webhooks",
        "description": "Signed HTTP deliveries of events (Standard Webhooks) to subscribers, "
        "from an outbox written with each change; delivery logs and redelivery.",
    },
    {
        "name": "sync",
        "description": "Changes since a position, to mirror a scope (incremental sync).",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
]


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Sync endpoints run in anyio's thread pool; match it to the database pool (see Settings).
    to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
    # The objects built at start-up (routes, models, schemas) live as long as the process: keep
    # the collector from walking them again and again, and let it run less often (measured in
    # DESIGN.md: +35% on a rollup endpoint).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    with webhook_worker.in_process():  # on the embedded default only (Settings)
        yield


def create_app() -> FastAPI:
    app = FastAPIOffline(
        title="Cam Kết API",
        version="0.1.0",
        summary="Party-building directive reporting: commitments, recruitment, reports.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=route_name,
    )
    install_error_handlers(app)
    configure_logging(settings.log_level)
    # The last added runs first: request ids and the size limit, the queue for a database
    # connection, then idempotency (whose own short sessions thus count in the queue).
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        InFlightLimitMiddleware,
        # Two connections stay free for readiness probes and idempotency records.
        limit=max(1, settings.db_pool_size - 2),
        wait_seconds=settings.db_pool_timeout,
    )
    # A body naming a key twice is refused before it waits for a connection.
    app.add_middleware(DuplicateKeysMiddleware)
    if settings.cors_origins:
        # Inside the request context, so preflights get a request id and an access line.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            # What a browser script may read of an answer besides the simple headers.
            expose_headers=[
                "ETag",
                "Location",
                "Retry-After",
                "X-Request-ID",
                "Idempotent-Replayed",
            ],
        )
    # ETags stay as they are: they name a record's version (for If-Match), not the bytes sent.
    # XLSX is a zip already.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=settings.gzip_min_bytes,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, XLSX_MEDIA_TYPE),
    )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        larger=("/api/v1/imports", settings.import_max_bytes),
    )
    install_metrics(app, engine)
    app.add_exception_handler(ReplayError, replay_response)
    # A probe with a body over the size limit is refused like any request.
    app.include_router(health_router, responses=problem_responses(413))
    app.include_router(api_router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
