"""Peak memory (MiB of RSS) of writing an XLSX export of N rows: `export_memory.py N`.

Rows come from a generator, as a streamed report would give them, so what grows with N is
the writer's own memory, which xlsxwriter's constant-memory mode keeps flat."""

import os
import resource
import sys
from types import SimpleNamespace

from app.reports.export import Sheet, xlsx_response
from app.reports.sheets import _recruitment_columns

rows_wanted = int(sys.argv[1])
stages = [SimpleNamespace(count=n) for n in range(7)]


def rows():  # type: ignore[no-untyped-def]
    for n in range(rows_wanted):
        yield SimpleNamespace(
            code=f"U-{n}",
            name=f"Chi bộ thôn {n}",
            depth=3,
            target=n % 7,
            admitted_individual=n % 5,
            admitted_reported=0,
            admitted=n % 5,
            achievement_percent=71.4,
            candidates_by_stage=stages,
            overdue_alerts=0,
            outcomes_straddling=0,
        )


response = xlsx_response([Sheet("Bench", _recruitment_columns(True), rows(), ["Bench"])], "bench")
os.unlink(response.path)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
