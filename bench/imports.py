"""Time and peak memory of a candidates import run as a job, for bench/RESULTS.md.

    .venv/bin/python bench/imports.py                    # 10,000 and 100,000 rows, SQLite
    .venv/bin/python bench/imports.py --rows 10000 --url postgresql+psycopg://postgres@127.0.0.1:5432/camket_bench_imports

Each size runs in a fresh process on a fresh database (SQLite: a temporary file; PostgreSQL:
the database named, emptied first): a province, a commune and 20 cells, then a CSV of N
candidates (a third with their awareness course dated) posted to POST /imports, which queues
it as a job (CAMKET_IMPORT_BACKGROUND_BYTES=0), polled until done. Prints, per size: the
file's size, the job's time from submission to its end, rows per second, the resident memory
before the job and its peak while the job ran (sampled from /proc every 0.5 s) and the process's
peak (ru_maxrss, which includes the test client's copy of the upload).
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.core.db import alembic_config, engine
from app.core.security import create_access_token
from app.main import create_app
from app.models import Grant, Role, User

HEADER = ["Mã đơn vị", "Họ và tên", "Ngày sinh", "Theo dõi là nguồn từ ngày",
          "Ngày: Hoàn thành lớp bồi dưỡng nhận thức về Đảng"]  # fmt: skip


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _fresh_database(url: str) -> str:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    command.upgrade(alembic_config(url), "head")
    with Session(engine) as session:
        user = User(username="bench", full_name="Bench", password_hash="-")  # noqa: S106 (none)
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(Grant(user_id=user.id, role=Role.admin, unit_id=None))
        session.commit()
        token, _ = create_access_token(user.id)
    return token


def _tree(client: TestClient) -> list[str]:
    def post(body: dict[str, Any]) -> dict[str, Any]:
        response = client.post("/api/v1/units", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    province = post({"code": "P", "name": "Tỉnh", "kind": "province_committee"})
    commune = post(
        {"code": "C", "name": "Xã", "kind": "commune_committee", "parent_id": province["id"]}
    )
    cell = {"kind": "party_cell", "parent_id": commune["id"]}
    return [post({"code": f"CB-{n}", "name": f"Chi bộ {n}"} | cell)["code"] for n in range(20)]


def _write_csv(path: str, rows: int, cells: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for n in range(rows):
            course = f"2025-{n % 12 + 1:02d}-20" if n % 3 == 0 else ""
            birth = f"{1980 + n % 25}-04-12"
            writer.writerow([cells[n % 20], f"Nguyễn Văn {n}", birth, "2025-01-15", course])


def _run_job(client: TestClient, path: str) -> tuple[dict[str, Any], float, float, int]:
    """Submit, then poll until the job ends: (job, seconds, peak RSS, progress samples)."""
    started = time.perf_counter()
    with open(path, "rb") as upload:
        response = client.post(
            "/api/v1/imports",
            data={"kind": "candidates"},
            files={"file": ("candidates.csv", upload, "text/csv")},
        )
    assert response.status_code == 202, response.text
    peak, samples = rss_mib(), 0
    while True:
        job: dict[str, Any] = client.get(response.headers["location"]).json()
        peak = max(peak, rss_mib())
        if job["status"] in ("succeeded", "failed"):
            return job, time.perf_counter() - started, peak, samples
        samples += 1
        time.sleep(0.5)


def one(rows: int) -> dict[str, Any]:
    token = _fresh_database(str(engine.url.render_as_string(hide_password=False)))
    with (
        TestClient(create_app(), headers={"Authorization": f"Bearer {token}"}) as client,
        tempfile.TemporaryDirectory() as directory,
    ):
        path = f"{directory}/candidates.csv"
        _write_csv(path, rows, _tree(client))
        before = rss_mib()
        job, seconds, peak, samples = _run_job(client, path)
        size = Path(path).stat().st_size
    assert job["status"] == "succeeded", job
    assert job["summary"]["created"] == rows, job["summary"]
    return {
        "database": engine.dialect.name,
        "rows": rows,
        "file_mib": round(size / 1_048_576, 2),
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "rss_before_mib": round(before, 1),
        "rss_peak_during_job_mib": round(peak, 1),
        "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "progress_samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--url", help="a PostgreSQL database to empty and use (default SQLite)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.rows[0])))
        return
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as directory:
            env = os.environ | {
                "CAMKET_DATABASE_URL": args.url or f"sqlite:///{directory}/bench.db",
                "CAMKET_ENV": "test",
                "CAMKET_SECRET_KEY": "bench-secret-key-" + "x" * 32,
                "CAMKET_LOG_LEVEL": "warning",
                "CAMKET_IMPORT_BACKGROUND_BYTES": "0",
            }
            argv = [sys.executable, __file__, "--one", "--rows", str(rows)]
            result = subprocess.run(argv, check=True, capture_output=True, text=True, env=env)
            print(result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
