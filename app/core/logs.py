"""One JSON log format for every logger: the application's, uvicorn's, SQLAlchemy's, Alembic's.

Each line is one JSON object with `timestamp` (ISO 8601, UTC), `level`, `logger`, `message`,
and, within a request, `request_id` and `user` (once the caller is known); a record's `extra`
fields follow (the access line's `method`, `path`, `status`, `duration_ms`). Formatted by
python-json-logger. `camket serve` hands `logging_config()` to uvicorn, which applies it in
every worker before its own start-up lines, so no plain-text line reaches the stream.
"""

import logging
import logging.config
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

# The current request's id (for the audit trail, too) and its state, whose `principal` the
# access dependency sets once the caller is known; copied into worker threads by anyio, and the
# state is the same dict there, so a line logged from a sync endpoint names the user too.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
request_state_var: ContextVar[dict[str, Any] | None] = ContextVar("request_state", default=None)


class RequestContextFilter(logging.Filter):
    """Adds the current request's id and user to every record (null outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user"):
            state = request_state_var.get()
            record.user = state.get("principal") if state is not None else None
        return True


def logging_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the whole process, also uvicorn's `log_config`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContextFilter}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": True,
                # uvicorn repeats each of its messages with terminal colours as an extra field.
                "reserved_attrs": [*RESERVED_ATTRS, "color_message", "taskName"],
                "json_ensure_ascii": False,  # Vietnamese stays readable
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["request"],
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            # uvicorn's loggers keep no handlers of their own: they go through the root's.
            name: {"handlers": [], "propagate": True, "level": level.upper()}
            for name in ("camket", "app", "alembic", "uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(level: str) -> None:
    """At the app's creation: the JSON format unless logging is configured already (by
    `camket serve`, or by pytest, which captures it), e.g. under a bare `uvicorn --factory`."""
    root = logging.getLogger()
    if not root.handlers:
        logging.config.dictConfig(logging_config(level))
    if any(isinstance(f, RequestContextFilter) for h in root.handlers for f in h.filters):
        logging.captureWarnings(True)  # warnings.warn() as JSON lines too (logger py.warnings)
