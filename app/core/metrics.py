"""Prometheus metrics, served at `GET /metrics` in the text exposition format.

- `camket_http_requests_total`, `camket_http_request_duration_seconds` (histogram), by method,
  route *template* (`/api/v1/units/{unit_id}`, not the raw path; `__unknown__` for requests no
  route matched) and status; `camket_http_requests_in_progress` by method. Measured by
  starlette-exporter's middleware; `/metrics` itself is not counted.
- `camket_db_pool_checked_out` and `camket_db_pool_size`: database connections in use and the
  pool's size, summed over the live worker processes.
- Gauges other features register with `register_gauge` (queues: webhook deliveries pending,
  import jobs running), read when scraped.

Several worker processes (`camket serve --workers N`): each writes its values to files in
PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode), and a scrape, whichever worker
answers it, adds up every worker's. `camket serve` prepares that directory before it starts
the workers (`prepare_multiprocess_dir`).
"""

import hmac
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event
from starlette.requests import Request
from starlette.responses import Response
from starlette_exporter import PrometheusMiddleware

from app.core.config import settings
from app.core.errors import problem_response

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METRICS_PATH = "/metrics"

logger = logging.getLogger(__name__)

# "livesum": the sum over the worker processes still running (a dead worker's files are
# dropped at the next scrape, see _forget_dead_workers).
POOL_CHECKED_OUT = Gauge(
    "camket_db_pool_checked_out",
    "Database connections checked out of the pool (in use), over all workers.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "camket_db_pool_size",
    "Connections the database pools may hold (CAMKET_DB_POOL_SIZE per worker), over all workers.",
    multiprocess_mode="livesum",
)


def _checked_out(*_args: Any) -> None:
    POOL_CHECKED_OUT.inc()


def _checked_in(*_args: Any) -> None:
    POOL_CHECKED_OUT.dec()


def instrument_pool(engine: Engine) -> None:
    """Count the engine's connections in use as they are checked out and in (once per
    process, however many apps are created)."""
    if event.contains(engine, "checkout", _checked_out):
        return
    POOL_SIZE.inc(engine.pool.size() if hasattr(engine.pool, "size") else 0)
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", _checked_in)


# --- gauges other features register ---------------------------------------------------------

GaugeCallback = Callable[[], float]
_callbacks: dict[str, tuple[str, GaugeCallback]] = {}


def register_gauge(name: str, documentation: str, callback: GaugeCallback) -> None:
    """Publish a gauge whose value `callback()` gives when `/metrics` is scraped.

    For figures the database holds, the same whichever worker answers: the callback runs in
    that one worker. E.g. at import of a feature's module::

        def _pending() -> float:
            with Session(engine) as session:
                return session.scalar(select(func.count()).where(...)) or 0

        register_gauge("camket_webhook_deliveries_pending", "Deliveries not yet made.", _pending)

    Keep it to one cheap query. A callback that raises (the database is down) leaves its
    gauge out of that scrape; the others are still served. Registering a name again replaces
    the callback (`unregister_gauge` removes it).
    """
    _callbacks[name] = (documentation, callback)


def unregister_gauge(name: str) -> None:
    _callbacks.pop(name, None)


class _CallbackCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        for name, (documentation, callback) in list(_callbacks.items()):
            try:
                value = float(callback())
            except Exception:
                logger.warning("metrics: the gauge %s could not be read", name, exc_info=True)
                continue
            yield GaugeMetricFamily(name, documentation, value=value)


_CALLBACKS = _CallbackCollector()
REGISTRY.register(_CALLBACKS)  # single process: served from the default registry


# --- several worker processes ---------------------------------------------------------------


def prepare_multiprocess_dir(workers: int) -> Path | None:
    """Before the workers start: with more than one, or when PROMETHEUS_MULTIPROC_DIR is set,
    point them (their environment) at an empty directory for their metric files; a temporary
    one unless PROMETHEUS_MULTIPROC_DIR names one, whose files from a previous run are deleted
    (they would add old counts). Returns the temporary directory, for the caller to remove."""
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        directory = Path(configured)
        if directory.exists():
            for stale in directory.glob("*.db"):
                stale.unlink()
        directory.mkdir(parents=True, exist_ok=True)
        return None
    if workers <= 1:
        return None
    temporary = Path(tempfile.mkdtemp(prefix="camket-metrics-"))
    os.environ[MULTIPROC_ENV] = str(temporary)
    return temporary


def remove_multiprocess_dir(directory: Path | None) -> None:
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, someone else's
        return True
    return True


def _forget_dead_workers(directory: str) -> None:
    """uvicorn replaces a worker that died without telling anyone: drop its "live" gauges (its
    connections in use are not in use any more). Its counters stay: what it counted happened."""
    pids = {int(path.stem.rpartition("_")[2]) for path in Path(directory).glob("gauge_live*_*.db")}
    for pid in pids:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


# --- the endpoint ---------------------------------------------------------------------------


def _authorized(request: Request) -> bool:
    token = settings.metrics_token
    if token is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected)


def metrics_endpoint(request: Request) -> Response:
    if not _authorized(request):
        return problem_response(
            request,
            status=401,
            detail="Scraping /metrics needs `Authorization: Bearer` with CAMKET_METRICS_TOKEN.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        _forget_dead_workers(directory)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        registry.register(_CALLBACKS)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


def install_metrics(app: Any, engine: Engine) -> None:
    """The measuring middleware (outermost but for errors, so that it counts the answers of the
    other middlewares too: 413, 503) and the endpoint, unless CAMKET_METRICS_ENABLED=false."""
    if not settings.metrics_enabled:
        return
    instrument_pool(engine)
    app.add_middleware(
        PrometheusMiddleware,
        app_name="camket",
        prefix="camket_http",
        group_paths=True,  # the route template, never the raw path (unbounded label values)
        group_unhandled_paths=True,  # 404s and the like under one `__unknown__`
        filter_unhandled_paths=False,  # (rather than not counted at all)
        skip_paths=[METRICS_PATH],
    )
    app.add_route(METRICS_PATH, metrics_endpoint, methods=["GET"], include_in_schema=False)
