"""Operations: /metrics (also over two worker processes, which log JSON lines), CORS, gzip."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import Engine, text

from app.core import metrics
from app.core.config import Settings, settings
from app.main import create_app
from app.models import Role
from tests.conftest import _free_port
from tests.factories import assert_problem, make_principal, make_tree, make_unit

UNITS = "/api/v1/units"
UNIT_TEMPLATE = "/api/v1/units/{unit_id:int}"


def scrape(
    client: TestClient | httpx.Client, **headers: str
) -> dict[tuple[str, frozenset[Any]], float]:
    """The samples of GET /metrics, by name and labels."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_counted(
    samples: dict[tuple[str, frozenset[Any]], float], path: str, status: int
) -> float:
    return sum(
        value
        for (name, labels), value in samples.items()
        if name == "camket_http_requests_total"
        and ("path", path) in labels
        and ("status_code", str(status)) in labels
    )


def gauge(samples: dict[tuple[str, frozenset[Any]], float], name: str) -> float:
    return samples[(name, frozenset())]


# --- /metrics in one process -----------------------------------------------------------------


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    unit = make_unit(client)
    before = scrape(client)
    assert client.get(f"{UNITS}/{unit['id']}").status_code == 200
    assert client.get(f"{UNITS}/999998").status_code == 404
    assert client.get(f"{UNITS}/999999").status_code == 404
    assert client.get("/no-such-page").status_code == 404
    after = scrape(client)

    def delta(path: str, status: int) -> float:
        return requests_counted(after, path, status) - requests_counted(before, path, status)

    assert delta(UNIT_TEMPLATE, 200) == 1
    assert delta(UNIT_TEMPLATE, 404) == 2
    assert delta("__unknown__", 404) == 1  # no route: one label value, not the raw path
    labels = {dict(labels).get("path") for _, labels in after}
    assert not labels & {f"{UNITS}/{unit['id']}", f"{UNITS}/999999", "/no-such-page"}
    assert "/metrics" not in labels  # scrapes are not counted
    # the latency histogram has the same labels
    count = ("camket_http_request_duration_seconds_count", None)
    assert any(name == count[0] and ("path", UNIT_TEMPLATE) in labels for name, labels in after)
    in_progress = (
        "camket_http_requests_in_progress",
        frozenset({("method", "GET"), ("app_name", "camket")}),
    )
    assert in_progress in after


def test_pool_use_and_size(client: TestClient, engine: Engine) -> None:
    idle = gauge(scrape(client), "camket_db_pool_checked_out")
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        busy = scrape(client)
    assert gauge(busy, "camket_db_pool_checked_out") == idle + 1
    assert gauge(busy, "camket_db_pool_size") == settings.db_pool_size
    assert gauge(scrape(client), "camket_db_pool_checked_out") == idle


def test_registered_gauges_are_read_when_scraped(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    queue = [1, 2, 3]

    def broken() -> float:
        raise RuntimeError("database down")

    metrics.register_gauge("camket_test_queue", "Jobs waiting (test).", lambda: len(queue))
    metrics.register_gauge("camket_test_broken", "Fails (test).", broken)
    try:
        assert gauge(scrape(client), "camket_test_queue") == 3
        queue.pop()
        with caplog.at_level(logging.WARNING, logger="app.core.metrics"):
            samples = scrape(client)
        assert gauge(samples, "camket_test_queue") == 2
        assert ("camket_test_broken", frozenset()) not in samples
        assert "camket_test_broken" in caplog.text
    finally:
        metrics.unregister_gauge("camket_test_queue")
        metrics.unregister_gauge("camket_test_broken")
    assert ("camket_test_queue", frozenset()) not in scrape(client)


def test_a_metrics_token_is_required_when_set(
    anon: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "metrics_token", SecretStr("scrape-" + "t" * 32))
    assert_problem(anon.get("/metrics"), 401)
    wrong = anon.get("/metrics", headers={"Authorization": "Bearer scrape-nope"})
    assert_problem(wrong, 401)
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert scrape(anon, Authorization="Bearer scrape-" + "t" * 32)


def test_metrics_can_be_switched_off(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "metrics_enabled", False)
    with TestClient(create_app()) as off:
        assert off.get("/metrics").status_code == 404
        assert off.get("/healthz").status_code == 200


# --- CORS and gzip ---------------------------------------------------------------------------


@pytest.fixture
def app_with(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., TestClient]]:
    """A client of an app created with these settings changed (read when the app is made)."""
    clients: list[TestClient] = []

    def make(**changed: Any) -> TestClient:
        for name, value in changed.items():
            monkeypatch.setattr(settings, name, value)
        test_client = TestClient(create_app())
        clients.append(test_client.__enter__())
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


def test_no_cross_origin_access_by_default(client: TestClient) -> None:
    response = client.get(UNITS, headers={"Origin": "https://app.example.vn"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_origins_from_the_setting(
    app_with: Callable[..., TestClient], client: TestClient
) -> None:
    cors = app_with(cors_origins=["https://app.example.vn"])
    preflight = cors.options(
        UNITS,
        headers={
            "Origin": "https://app.example.vn",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.vn"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "x-request-id" in preflight.headers  # through the request context too
    refused = cors.options(
        UNITS,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers

    unit = make_unit(client)
    headers = dict(client.headers) | {"Origin": "https://app.example.vn"}
    read = cors.get(f"{UNITS}/{unit['id']}", headers=headers)
    assert read.status_code == 200
    assert read.headers["access-control-allow-origin"] == "https://app.example.vn"
    exposed = read.headers["access-control-expose-headers"].lower()
    assert {"etag", "x-request-id", "location", "retry-after"} <= set(exposed.split(", "))


def test_the_setting_reads_comma_separated_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMKET_CORS_ORIGINS", "https://a.example.vn, https://b.example.vn")
    assert Settings().cors_origins == ["https://a.example.vn", "https://b.example.vn"]
    monkeypatch.setenv("CAMKET_CORS_ORIGINS", "")
    assert Settings().cors_origins == []


def test_large_answers_are_gzipped_small_ones_not(client: TestClient) -> None:
    for n in range(12):
        make_unit(client, name=f"Chi bộ thôn số {n} xã Hương Sơn huyện Bình Xuyên")
    listed = client.get(UNITS, params={"limit": 100}, headers={"Accept-Encoding": "gzip"})
    assert listed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in listed.headers["vary"].lower()
    assert listed.json()["total"] == 12  # decoded by the client as sent
    plain = client.get(UNITS, params={"limit": 100}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == listed.json()
    small = client.get(f"{UNITS}/{listed.json()['items'][0]['id']}")
    assert "content-encoding" not in small.headers


def test_gzip_keeps_etags_and_exports_working(
    app_with: Callable[..., TestClient], client: TestClient
) -> None:
    zipped = app_with(gzip_min_bytes=0)
    zipped.headers.update(client.headers)
    unit = make_unit(client)
    read = zipped.get(f"{UNITS}/{unit['id']}", headers={"Accept-Encoding": "gzip"})
    assert read.headers["content-encoding"] == "gzip"
    etag = read.headers["etag"]
    changed = zipped.patch(
        f"{UNITS}/{unit['id']}",
        json={"name": "Đổi tên"},
        headers={"If-Match": etag, "Accept-Encoding": "gzip"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != etag

    tree = make_tree(client)
    params = {"root_id": tree["province"]["id"], "year": 2025}
    csv = zipped.get(
        "/api/v1/reports/commitments",
        params=params | {"format": "csv"},
        headers={"Accept-Encoding": "gzip"},
    )
    assert csv.status_code == 200
    assert csv.headers["content-encoding"] == "gzip"
    assert csv.content.startswith("\ufeff".encode())  # decoded: the BOM, then the rows
    xlsx = zipped.get(
        "/api/v1/reports/commitments",
        params=params | {"format": "xlsx"},
        headers={"Accept-Encoding": "gzip"},
    )
    assert xlsx.status_code == 200
    assert "content-encoding" not in xlsx.headers  # a zip already
    assert xlsx.content.startswith(b"PK")


# --- `camket serve --workers 2` --------------------------------------------------------------


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.slow
def test_two_workers_are_counted_together_and_log_json(anon: TestClient, tmp_path: Path) -> None:
    headers = make_principal("thoa", Role.admin, None)
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # from a previous run: deleted
    port = _free_port()
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "CAMKET_LOG_LEVEL": "info"}
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [
                Path(sys.executable).with_name("camket"),
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )

    def why() -> str:
        return "camket serve said:\n" + log.read_text()[-3000:]

    base = f"http://127.0.0.1:{port}"
    sent = 0
    try:
        # Slow to start on a busy machine: each worker imports the whole app.
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, why()
            assert time.monotonic() < deadline, why()
            try:
                if httpx.get(f"{base}/healthz", timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        sent = 1
        # A new connection each time, until both workers have counted a request (each writes
        # its own counter file, named by its pid).
        while len(list(metrics_dir.glob("counter_*.db"))) < 2:
            assert time.monotonic() < deadline, "one worker answered every request: " + why()
            assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
            sent += 1
        assert httpx.get(f"{base}{UNITS}", headers=headers, timeout=30).status_code == 200
        # Every scrape, whichever worker answers it, counts the requests both answered.
        for _ in range(6):
            with httpx.Client(base_url=base, timeout=30) as scraper:
                samples = scrape(scraper)
            assert requests_counted(samples, "/healthz", 200) == sent
            assert requests_counted(samples, UNITS, 200) == 1
            assert gauge(samples, "camket_db_pool_size") == 2 * settings.db_pool_size
            assert gauge(samples, "camket_db_pool_checked_out") == 0
    finally:
        _stop(process)
    assert not (metrics_dir / "counter_1.db").exists()

    err = log.read_text()
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]  # all JSON
    assert lines
    for line in lines:
        assert {"timestamp", "level", "logger", "message"} <= line.keys(), line
        assert {"request_id", "user"} <= line.keys(), line
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "camket.access"} <= loggers
    assert any("Started server process" in line["message"] for line in lines)
    (units,) = [line for line in lines if line.get("path") == UNITS]
    assert units["user"] == "thoa"
    assert len(units["request_id"]) == 32
    assert sum(line.get("path") == "/healthz" for line in lines) == sent
