"""A real receiving server for webhook tests, on a port of TEST_LIVE_PORTS, and the settings
the tests deliver under (loopback allowed: the receiver is on it)."""

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.core.config import settings


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every request it gets; answers with `statuses` in turn, then `status`."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    status: int = 204
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else self.status


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if receiver.delay:
                time.sleep(receiver.delay)  # a slow receiver, so that workers overlap
            with receiver.lock:
                receiver.requests.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body)
                )
            status = receiver.answer()
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: object) -> None:
            pass

    return Handler


def _serve(receiver: Receiver) -> ThreadingHTTPServer:
    """Bound to the first port of TEST_LIVE_PORTS it can take (any port without a range). It
    binds with SO_REUSEADDR: a port whose last connections linger in TIME_WAIT is free for it."""
    first, _, last = os.environ.get("TEST_LIVE_PORTS", "0-0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
        except OSError:
            continue
    raise RuntimeError(f"no free port in TEST_LIVE_PORTS={os.environ['TEST_LIVE_PORTS']}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")
    server = _serve(receiver)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def webhook_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhook_allow_private", True)
    monkeypatch.setattr(settings, "webhook_timeout_seconds", 5.0)
    monkeypatch.setattr(settings, "webhook_retry_base_seconds", 10.0)
    monkeypatch.setattr(settings, "webhook_retry_cap_seconds", 60.0)
    monkeypatch.setattr(settings, "webhook_max_attempts", 5)
    monkeypatch.setattr(settings, "webhook_disable_after_failures", 3)
