"""Benchmark Cam Kết against the framework floor, on SQLite and PostgreSQL, in one run.

    .venv/bin/python bench/run.py [--db sqlite postgres] [--rounds 3] [--seconds 10] [--country]

For each database: a fresh database with a generated province (`camket generate`), the service
pinned to core 0 and the bare FastAPI floor (bench/floor.py) on the same core, wrk pinned to core
1 with 64 connections. Rounds interleave the floor and every endpoint; the table reports the
medians and each endpoint's ratio to the floor's median of the same run, SQL statements per
request (counted in process), the province reports one request at a time, and the peak memory
of XLSX exports of 10,000 and 100,000 rows. With --country, a generated country (~340,000 units,
63 provinces until the reorganisation of 1 July 2025 and 34 after, ~15 min to load) on PostgreSQL
and the reports over all of it and over a province under both structures, one request at a
time; --country-only does just that and prints its section (--reuse: the country already in
--country-db).

Results go to bench/RESULTS.md (its "## Reading" section, written by hand, is kept). Needs wrk
(Debian package `wrk`) and, for PostgreSQL, a server at CAMKET_BENCH_PG (default
postgresql+psycopg://postgres@127.0.0.1:5432), where it drops and makes the database
CAMKET_BENCH_DB (default camket_bench).
"""

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SECRET = "bench-secret-key-" + "x" * 32
# The service's port and the floor's next to it (CAMKET_BENCH_PORT, default 8810).
SERVICE_PORT = int(os.environ.get("CAMKET_BENCH_PORT", "8810"))
FLOOR_PORT = SERVICE_PORT + 1

READING = "## Reading"

# Endpoints also timed one request at a time: DESIGN.md's "≤ 100 ms end to end" is about them.
ALONE = ("province report", "province report xlsx")

# DESIGN.md's targets, as ratios to the floor (SQLite, PostgreSQL).
TARGETS = {
    "get by id": (0.22, 0.15),
    "list of 50": (0.12, 0.09),
    "subtree rollup": (0.025, 0.02),
}


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(out: str, percentile: str) -> float:
    """A latency percentile of wrk's output in ms; NaN when no request completed."""
    match = re.search(rf"{percentile}%\s+([\d.]+)(us|ms|s)\b", out)
    if match is None:
        return float("nan")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def wrk(url: str, token: str, seconds: int) -> Result:
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            "-c64",
            f"-d{seconds}s",
            # wrk's own default gives up after 2 s: a slow endpoint's queue would show as errors.
            "--timeout",
            "60s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50, p99 = _ms(out, "50"), _ms(out, "99")
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in match.groups())
    return Result(rps, p50, p99, errors)


def alone(url: str, token: str, requests: int = 15) -> float:
    """Median milliseconds of one request at a time, end to end (no queue in front of it)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
            response.read()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (a local URL)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def drain(token: str) -> None:
    """Wait until the service has answered what wrk left queued: a slow endpoint's backlog
    would otherwise eat the next run's CPU (the floor shares the core)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{SERVICE_PORT}/api/v1/meta/enums",
        headers={"Authorization": f"Bearer {token}"},
    )
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=600).read()  # noqa: S310 (a local URL)


def env_for(database_url: str) -> dict[str, str]:
    return os.environ | {
        "CAMKET_DATABASE_URL": database_url,
        "CAMKET_ENV": "production",
        "CAMKET_SECRET_KEY": SECRET,
        "CAMKET_LOG_LEVEL": "warning",
    }


def prepare(database_url: str, scale: str) -> None:
    env = env_for(database_url)
    camket = [str(Path(PYTHON).parent / "camket")]
    subprocess.run([*camket, "migrate"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run([*camket, "generate", "--scale", scale], env=env, check=True, cwd=ROOT)


def probe(database_url: str, *args: str) -> dict[str, Any]:
    """What bench/probe.py finds in process: a token, the benchmark URLs and the SQL statements
    each runs; with --country, the country's root and sizes."""
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "probe.py"), *args],
        env=env_for(database_url),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def export_memory() -> dict[int, float]:
    """Peak RSS (MiB) of a process writing an XLSX export of n rows, for two n."""
    peaks = {}
    for rows in (10_000, 100_000):
        out = subprocess.run(
            [PYTHON, str(ROOT / "bench" / "export_memory.py"), str(rows)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            env=env_for("sqlite://"),
        ).stdout
        peaks[rows] = float(out.strip())
    return peaks


def serve(app: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """uvicorn serving `app`, pinned to core 0 (wrk runs on core 1)."""
    return subprocess.Popen(
        ["taskset", "-c", "0", PYTHON, "-m", "uvicorn", *app, "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env=env,
        cwd=ROOT,
    )  # fmt: skip


def stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def run_database(name: str, database_url: str, rounds: int, seconds: int) -> dict[str, object]:
    found = probe(database_url)
    token, paths, statements = found["token"], found["paths"], found["statements"]
    env = env_for(database_url)
    service = serve(["app.main:create_app", "--factory"], SERVICE_PORT, env)
    floor = serve(["bench.floor:app"], FLOOR_PORT, env)
    try:
        wait_for(f"http://127.0.0.1:{SERVICE_PORT}/readyz")
        wait_for(f"http://127.0.0.1:{FLOOR_PORT}/item")
        samples: dict[str, list[Result]] = {"floor": []} | {k: [] for k in paths}
        for round_number in range(rounds):
            print(f"[{name}] round {round_number + 1}/{rounds}", file=sys.stderr)
            samples["floor"].append(wrk(f"http://127.0.0.1:{FLOOR_PORT}/item", token, seconds))
            for label, path in paths.items():
                url = f"http://127.0.0.1:{SERVICE_PORT}{path}"
                samples[label].append(wrk(url, token, seconds))
                drain(token)
        single = {
            label: alone(f"http://127.0.0.1:{SERVICE_PORT}{path}", token)
            for label, path in paths.items()
            if label in ALONE
        }
    finally:
        stop(service, floor)
    medians = {
        label: Result(
            statistics.median(r.rps for r in results),
            statistics.median(r.p50_ms for r in results),
            statistics.median(r.p99_ms for r in results),
            sum(r.errors for r in results),
        )
        for label, results in samples.items()
    }
    return {"medians": medians, "statements": statements, "paths": paths, "alone": single}


def fresh_postgres(name: str) -> str:
    base = os.environ.get("CAMKET_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
    admin = base.replace("postgresql+psycopg", "postgresql") + "/postgres"
    subprocess.run(
        [
            "psql",
            admin,
            "-qc",
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            "-c",
            f"CREATE DATABASE {name}",
        ],
        check=True,
    )
    return f"{base}/{name}"


def run_country(database: str, reuse: bool, requests: int) -> dict[str, Any]:
    """Generate the country on PostgreSQL (63 provinces until 1 July 2025, 34 after) and time
    the reports over all of it and over a province, one request at a time, interleaved."""
    base = os.environ.get("CAMKET_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
    url = f"{base}/{database}" if reuse else fresh_postgres(database)
    load_s = None
    if not reuse:
        started = time.perf_counter()
        prepare(url, "country")
        load_s = time.perf_counter() - started
    token = probe(url)["token"]
    found = probe(url, "--country", token)
    paths: dict[str, str] = found["paths"]
    service = serve(["app.main:create_app", "--factory"], SERVICE_PORT, env_for(url))
    timings: dict[str, list[float]] = {label: [] for label in paths}
    try:
        wait_for(f"http://127.0.0.1:{SERVICE_PORT}/readyz")
        for path in paths.values():  # warm up
            alone(f"http://127.0.0.1:{SERVICE_PORT}{path}", token, requests=1)
        for _ in range(requests):
            for label, path in paths.items():
                url_of = f"http://127.0.0.1:{SERVICE_PORT}{path}"
                timings[label].append(alone(url_of, token, requests=1))
    finally:
        stop(service)
    ms = {label: statistics.median(values) for label, values in timings.items()}
    return found | {"load_s": load_s, "ms": ms, "requests": requests}


def country_markdown(country: dict[str, Any]) -> list[str]:
    targets = {"country": "≤ 2000", "province": "≤ 100"}
    loaded = f"loaded in {country['load_s']:.0f} s; " if country["load_s"] else ""
    return [
        "## Country report with the 2025 reorganisation (PostgreSQL)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. A generated country (`camket generate "
        f"--scale country`): 63 provinces until 2025-07-01, "
        f"then 34; {country['units']:,} units ({country['units_open']:,} open today), "
        f"{country['closure']:,} closure rows, {country['reorganisations']} reorganisation "
        f"events, {country['candidates']:,} candidates ({country['admitted']:,} admitted), "
        f"{country['flows']:,} candidate flow rows; {loaded}root {country['root']}, province "
        f"{country['province']} (merged from others). One request at a time, end to end, "
        f"median of {country['requests']} interleaved runs after a warm-up:",
        "",
        "| report | path | median ms | target ms | SQL/request |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {label} | `{path}` | {country['ms'][label]:.0f} | "
            f"{targets[label.split()[0]]} | {country['statements'][label]} |"
            for label, path in country["paths"].items()
        ),
        "",
    ]


def markdown(
    results: dict[str, dict[str, object]],
    rounds: int,
    seconds: int,
    memory: dict[int, float],
    scale: str,
    country: dict[str, Any] | None,
) -> str:
    versions = subprocess.run(
        [
            PYTHON,
            "-c",
            "import fastapi, sqlalchemy, sqlmodel, uvicorn, pydantic; "
            "print(f'FastAPI {fastapi.__version__}, SQLAlchemy {sqlalchemy.__version__}, SQLModel "
            "{sqlmodel.__version__}, uvicorn {uvicorn.__version__}, pydantic {pydantic.VERSION}')",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, {platform.processor() or platform.machine()}), Python "
        f"{platform.python_version()}, {versions}; wrk 64 connections, {seconds} s per run, "
        f"{rounds} interleaved rounds, medians; service and floor pinned to core 0, wrk to core 1; "
        f"data: a generated {scale} (`camket generate --scale {scale}`).",
        "",
        f"Reproduce: `.venv/bin/python bench/run.py{' --country' if country else ''}` (see its "
        "header).",
        "",
    ]
    for name, result in results.items():
        medians: dict[str, Result] = result["medians"]  # type: ignore[assignment]
        statements: dict[str, int] = result["statements"]  # type: ignore[assignment]
        paths: dict[str, str] = result["paths"]  # type: ignore[assignment]
        floor = medians["floor"].rps
        column = 0 if name == "sqlite" else 1
        lines += [
            f"## {name}",
            "",
            "| endpoint | path | req/s | × floor | target | p50 ms | p99 ms | errors "
            "| SQL/request |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
            f"| floor (bare FastAPI) | `/item` | {floor:,.0f} | 1.00 | | "
            f"{medians['floor'].p50_ms:.1f} | {medians['floor'].p99_ms:.1f} | "
            f"{medians['floor'].errors} | 0 |",
        ]
        for label, path in paths.items():
            m = medians[label]
            target = TARGETS.get(label)
            wanted = f"≥ {target[column]}" if target else ""
            lines.append(
                f"| {label} | `{path}` | {m.rps:,.1f} | {m.rps / floor:.3f} | {wanted} | "
                f"{m.p50_ms:.1f} | {m.p99_ms:.1f} | {m.errors} | {statements[label]} |"
            )
        lines.append("")
        single: dict[str, float] = result["alone"]  # type: ignore[assignment]
        lines += [
            "One request at a time, end to end (median of 15):",
            "",
            *(f"- {label}: {ms:.0f} ms" for label, ms in single.items()),
            "",
        ]
    if country:
        lines += country_markdown(country)
    lines += [
        "## XLSX export memory",
        "",
        "| rows | peak RSS (MiB) |",
        "|---:|---:|",
        *(f"| {rows:,} | {peak:.1f} |" for rows, peak in memory.items()),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--scale", default="province")
    parser.add_argument(
        "--country", action="store_true", help="also time the country-wide report (~15 min more)"
    )
    parser.add_argument(
        "--country-only",
        action="store_true",
        help="only the country: print its section for RESULTS.md, write nothing",
    )
    parser.add_argument("--country-db", default="camket_bench_country", help="its database")
    parser.add_argument(
        "--reuse", action="store_true", help="time the country already loaded in --country-db"
    )
    parser.add_argument("--requests", type=int, default=9, help="country: requests per report")
    args = parser.parse_args()
    if args.country_only:
        found = run_country(args.country_db, args.reuse, args.requests)
        print("\n".join(country_markdown(found)))
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    results = {}
    for name in args.db:
        if name == "sqlite":
            directory = Path(tempfile.mkdtemp(prefix="camket-bench-"))
            url = f"sqlite:///{directory / 'bench.db'}"
        else:
            url = fresh_postgres(os.environ.get("CAMKET_BENCH_DB", "camket_bench"))
        prepare(url, args.scale)
        results[name] = run_database(name, url, args.rounds, args.seconds)
    country = run_country(args.country_db, args.reuse, args.requests) if args.country else None
    memory = export_memory()
    report = markdown(results, args.rounds, args.seconds, memory, args.scale, country)
    results_file = ROOT / "bench" / "RESULTS.md"
    # The hand-written reading of the numbers stays; it must be re-read against the new ones.
    previous = results_file.read_text(encoding="utf-8") if results_file.exists() else ""
    reading = previous[previous.find(READING) :] if READING in previous else ""
    results_file.write_text(report + ("\n" + reading if reading else ""), encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
