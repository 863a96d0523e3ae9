"""Tree over time: a versioned closure (A) against one full closure per structure period (B).

    .venv/bin/python bench/closure_layouts.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/camket_bench_closure

Run against a database holding a generated country (`camket generate --scale country`: one
central committee → 34 provinces → 12 districts each → 25 communes each → 32 party cells each,
beside a department and an agency per district). The script leaves `unit`, `unit_closure` and the
records alone; it (re)builds scratch tables beside them:

- `reorg_unit`: each unit's parent after a simulated 2025-07-01 reorganisation. Every district is
  dissolved: its communes are taken three by three in id order, the first of each three survives
  and is re-hung under the province, the other two close where they stood (under their closed
  district) and their party cells move under the survivor. A district's department and agency
  close with it, where they stood. `reorg_closure` is the closure of that tree, computed once.
- (A) `closure_versioned(ancestor_id, descendant_id, depth, valid_from, valid_to)`, validity
  half-open with sentinels 0001-01-01 / 9999-12-31: the closure of today's tree, then the
  reorganisation applied as one change on 2025-07-01 — rows it invalidates end that day
  (valid_to = 2025-07-01), rows it creates start then; every other row, closed units' included,
  is kept as it is.
- (B) `closure_period(id, valid_from, valid_to)` and `closure_periods(period_id, ancestor_id,
  descendant_id, depth)`: period 1 [0001-01-01, 2025-07-01) holds a full copy of today's closure,
  period 2 [2025-07-01, 9999-12-31) a full copy of the reorganised one.

Then, interleaving the layouts, for the days 2024-12-31 (old tree) and 2026-06-30 (new tree),
wall-clock medians (after warm-up runs, rows fetched by the client, no EXPLAIN) of:

- q1 the ids of a province's subtree on the day;
- q2 per direct child of the province on the day, the commitments of the day's year in the
  child's subtree (closure → closure → commitment, grouped by the child: the commitments report);
- q3 the same for the country's root;
- q4 the lineage of one party cell (one whose commune closed in the reorganisation);
- q5 one more small change on 2026-03-01: one commune and its 32 cells moved to another province;
  rows written and time, in a transaction rolled back after each run.

The results of q1–q4 are checked equal between the layouts (and, for the old day, to
`unit_closure`). Prints a Markdown table (and JSON with --json) for bench/RESULTS.md.
Opens one connection, with JIT off as the app's engine does (PostgreSQL may still add parallel
workers to q2 and q3). Sizes are taken after VACUUM FULL and before q5.
"""

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import psycopg

REORG = date(2025, 7, 1)
DAYS = {"old": date(2024, 12, 31), "new": date(2026, 6, 30)}
MOVE_ON = date(2026, 3, 1)

# --- building the layouts -------------------------------------------------------------------

REORG_UNIT = """
DROP TABLE IF EXISTS reorg_unit, reorg_closure;
CREATE TABLE reorg_unit AS
WITH communes AS (
    SELECT c.id, c.parent_id AS district, d.parent_id AS province,
           (row_number() OVER (PARTITION BY c.parent_id ORDER BY c.id) - 1) / 3 AS grp
    FROM unit c JOIN unit d ON d.id = c.parent_id
    WHERE c.kind = 'commune_committee' AND d.kind = 'district_committee'
), merged AS (
    SELECT id, district, province,
           first_value(id) OVER (PARTITION BY district, grp ORDER BY id) AS survivor
    FROM communes
)
SELECT u.id,
       CASE
           WHEN m.id IS NOT NULL AND m.id = m.survivor THEN m.province  -- re-hung
           WHEN mp.id IS NOT NULL AND mp.id <> mp.survivor THEN mp.survivor  -- cell moved
           ELSE u.parent_id
       END AS parent_id,
       (m.id IS NOT NULL AND m.id <> m.survivor) OR u.kind IN (
           'district_committee', 'department', 'agency') AND EXISTS (
           SELECT 1 FROM unit d WHERE d.kind = 'district_committee'
             AND d.id IN (u.id, u.parent_id)) AS closes
FROM unit u
LEFT JOIN merged m ON m.id = u.id
LEFT JOIN merged mp ON mp.id = u.parent_id;
ALTER TABLE reorg_unit ADD PRIMARY KEY (id);
CREATE TABLE reorg_closure AS
WITH RECURSIVE c(ancestor_id, descendant_id, depth) AS (
    SELECT id, id, 0 FROM reorg_unit
    UNION ALL
    SELECT p.parent_id, c.descendant_id, c.depth + 1
    FROM c JOIN reorg_unit p ON p.id = c.ancestor_id
    WHERE p.parent_id IS NOT NULL
)
SELECT ancestor_id, descendant_id, depth FROM c;
CREATE INDEX ON reorg_closure (ancestor_id, descendant_id, depth);
ANALYZE reorg_unit;
ANALYZE reorg_closure;
"""

A_CREATE = """
DROP TABLE IF EXISTS closure_versioned;
CREATE TABLE closure_versioned (
    ancestor_id integer NOT NULL,
    descendant_id integer NOT NULL,
    depth integer NOT NULL,
    valid_from date NOT NULL DEFAULT '0001-01-01',
    valid_to date NOT NULL DEFAULT '9999-12-31',
    CHECK (valid_from < valid_to)
)
"""
A_COPY = """
INSERT INTO closure_versioned (ancestor_id, descendant_id, depth)
SELECT ancestor_id, descendant_id, depth FROM unit_closure
"""
# The reorganisation as one change: end what it invalidates, insert what it creates.
A_REORG_END = """
UPDATE closure_versioned v SET valid_to = %(d)s
WHERE v.valid_from <= %(d)s AND v.valid_to > %(d)s
  AND NOT EXISTS (SELECT 1 FROM reorg_closure n WHERE n.ancestor_id = v.ancestor_id
                  AND n.descendant_id = v.descendant_id AND n.depth = v.depth)
"""
A_REORG_INSERT = """
INSERT INTO closure_versioned (ancestor_id, descendant_id, depth, valid_from)
SELECT n.ancestor_id, n.descendant_id, n.depth, %(d)s FROM reorg_closure n
WHERE NOT EXISTS (SELECT 1 FROM unit_closure o WHERE o.ancestor_id = n.ancestor_id
                  AND o.descendant_id = n.descendant_id AND o.depth = n.depth)
"""
A_INDEXES = [
    # subtree / children / report rows: index-only, the day checked on the index's tuples
    "CREATE INDEX closure_versioned_anc ON closure_versioned "
    "(ancestor_id, depth, descendant_id, valid_from, valid_to)",
    # lineage, and one row per pair and start
    "CREATE UNIQUE INDEX closure_versioned_desc ON closure_versioned "
    "(descendant_id, ancestor_id, valid_from) INCLUDE (depth, valid_to)",
]

B_CREATE = """
DROP TABLE IF EXISTS closure_periods, closure_period;
CREATE TABLE closure_period (
    id integer PRIMARY KEY,
    valid_from date NOT NULL,
    valid_to date NOT NULL,
    CHECK (valid_from < valid_to)
);
CREATE TABLE closure_periods (
    period_id integer NOT NULL,
    ancestor_id integer NOT NULL,
    descendant_id integer NOT NULL,
    depth integer NOT NULL
);
"""
B_PERIODS = """
INSERT INTO closure_period VALUES (1, '0001-01-01', %(d)s), (2, %(d)s, '9999-12-31')
"""
B_COPY_OLD = """
INSERT INTO closure_periods SELECT 1, ancestor_id, descendant_id, depth FROM unit_closure
"""
B_COPY_NEW = """
INSERT INTO closure_periods SELECT 2, ancestor_id, descendant_id, depth FROM reorg_closure
"""
B_INDEXES = [
    "CREATE INDEX closure_periods_anc ON closure_periods "
    "(period_id, ancestor_id, depth, descendant_id)",
    "CREATE UNIQUE INDEX closure_periods_desc ON closure_periods "
    "(period_id, descendant_id, ancestor_id) INCLUDE (depth)",
]

# --- the queries ----------------------------------------------------------------------------

QUERIES: dict[str, dict[str, str]] = {
    "q1": {
        "A": """SELECT descendant_id FROM closure_versioned
                WHERE ancestor_id = %(x)s AND valid_from <= %(d)s AND valid_to > %(d)s""",
        "B": """SELECT descendant_id FROM closure_periods
                 WHERE period_id =
                   (SELECT id FROM closure_period WHERE valid_from <= %(d)s AND valid_to > %(d)s)
                   AND ancestor_id = %(x)s""",
    },
    "q2": {
        "A": """SELECT ch.descendant_id, count(*) FROM closure_versioned ch
                JOIN closure_versioned s ON s.ancestor_id = ch.descendant_id
                     AND s.valid_from <= %(d)s AND s.valid_to > %(d)s
                JOIN commitment cm ON cm.unit_id = s.descendant_id AND cm.year = %(y)s
                WHERE ch.ancestor_id = %(x)s AND ch.depth = 1
                  AND ch.valid_from <= %(d)s AND ch.valid_to > %(d)s
                GROUP BY ch.descendant_id""",
        "B": """SELECT ch.descendant_id, count(*) FROM closure_periods ch
                 JOIN closure_periods s ON s.period_id = ch.period_id
                      AND s.ancestor_id = ch.descendant_id
                 JOIN commitment cm ON cm.unit_id = s.descendant_id AND cm.year = %(y)s
                 WHERE ch.period_id =
                   (SELECT id FROM closure_period WHERE valid_from <= %(d)s AND valid_to > %(d)s)
                   AND ch.ancestor_id = %(x)s AND ch.depth = 1
                 GROUP BY ch.descendant_id""",
    },
    "q4": {
        "A": """SELECT ancestor_id, depth FROM closure_versioned
                WHERE descendant_id = %(x)s AND valid_from <= %(d)s AND valid_to > %(d)s
                ORDER BY depth""",
        "B": """SELECT ancestor_id, depth FROM closure_periods
                 WHERE period_id =
                   (SELECT id FROM closure_period WHERE valid_from <= %(d)s AND valid_to > %(d)s)
                   AND descendant_id = %(x)s ORDER BY depth""",
    },
}
QUERIES["q3"] = QUERIES["q2"]
REFERENCE = {  # today's closure, for the old day
    "q1": "SELECT descendant_id FROM unit_closure WHERE ancestor_id = %(x)s",
    "q2": """SELECT ch.descendant_id, count(*) FROM unit_closure ch
             JOIN unit_closure s ON s.ancestor_id = ch.descendant_id
             JOIN commitment cm ON cm.unit_id = s.descendant_id AND cm.year = %(y)s
             WHERE ch.ancestor_id = %(x)s AND ch.depth = 1 GROUP BY ch.descendant_id""",
    "q4": """SELECT ancestor_id, depth FROM unit_closure WHERE descendant_id = %(x)s
             ORDER BY depth""",
}
REFERENCE["q3"] = REFERENCE["q2"]

# q5: move unit u (and its subtree) under new parent p from day d.
A_MOVE = """
WITH sub AS (
    SELECT descendant_id, depth FROM closure_versioned
    WHERE ancestor_id = %(u)s AND valid_from <= %(d)s AND valid_to > %(d)s
), above_old AS (
    SELECT ancestor_id, depth FROM closure_versioned
    WHERE descendant_id = %(u)s AND depth > 0 AND valid_from <= %(d)s AND valid_to > %(d)s
), above_new AS (
    SELECT ancestor_id, depth + 1 AS depth FROM closure_versioned
    WHERE descendant_id = %(p)s AND valid_from <= %(d)s AND valid_to > %(d)s
), old_pairs AS (
    SELECT a.ancestor_id, s.descendant_id, a.depth + s.depth AS depth
    FROM above_old a CROSS JOIN sub s
), new_pairs AS (
    SELECT a.ancestor_id, s.descendant_id, a.depth + s.depth AS depth
    FROM above_new a CROSS JOIN sub s
), ended AS (
    UPDATE closure_versioned v SET valid_to = %(d)s
    FROM (SELECT * FROM old_pairs EXCEPT SELECT * FROM new_pairs) g
    WHERE v.ancestor_id = g.ancestor_id AND v.descendant_id = g.descendant_id
      AND v.depth = g.depth AND v.valid_from < %(d)s AND v.valid_to > %(d)s
    RETURNING 1
), started AS (
    INSERT INTO closure_versioned (ancestor_id, descendant_id, depth, valid_from)
    SELECT ancestor_id, descendant_id, depth, %(d)s
    FROM (SELECT * FROM new_pairs EXCEPT SELECT * FROM old_pairs) g
    RETURNING 1
)
SELECT (SELECT count(*) FROM ended), (SELECT count(*) FROM started)
"""
B_MOVE_PERIOD = """
WITH cur AS (
    UPDATE closure_period SET valid_to = %(d)s
    WHERE valid_from < %(d)s AND valid_to > %(d)s
    RETURNING id
)
INSERT INTO closure_period (id, valid_from, valid_to)
SELECT (SELECT max(id) + 1 FROM closure_period), %(d)s, '9999-12-31' FROM cur
RETURNING id, (SELECT id FROM cur)
"""
B_MOVE_COPY = """
WITH sub AS (
    SELECT descendant_id, depth FROM closure_periods
    WHERE period_id = %(cur)s AND ancestor_id = %(u)s
), above_old AS (
    SELECT ancestor_id FROM closure_periods
    WHERE period_id = %(cur)s AND descendant_id = %(u)s AND depth > 0
), above_new AS (
    SELECT ancestor_id, depth + 1 AS depth FROM closure_periods
    WHERE period_id = %(cur)s AND descendant_id = %(p)s
)
INSERT INTO closure_periods (period_id, ancestor_id, descendant_id, depth)
SELECT %(new)s, c.ancestor_id, c.descendant_id, c.depth FROM closure_periods c
WHERE c.period_id = %(cur)s AND NOT (
    c.descendant_id IN (SELECT descendant_id FROM sub)
    AND c.ancestor_id IN (SELECT ancestor_id FROM above_old))
UNION ALL
SELECT %(new)s, a.ancestor_id, s.descendant_id, a.depth + s.depth
FROM above_new a CROSS JOIN sub s
"""


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _exec(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any] | None = None) -> int:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def build(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """The scratch tables, each step timed (seconds) with the rows it wrote."""
    steps: dict[str, Any] = {}
    d = {"d": REORG}
    with conn.transaction():
        t, _ = _timed(lambda: conn.execute(REORG_UNIT))
        steps["reorganised tree and its closure (shared input)"] = (t, None)
    with conn.transaction():
        conn.execute(A_CREATE)
        t, n = _timed(lambda: _exec(conn, A_COPY))
        steps["A: today's closure with sentinels"] = (t, n)
        t, n = _timed(lambda: _exec(conn, A_REORG_END, d))
        steps["A: reorganisation, rows ended"] = (t, n)
        t, n = _timed(lambda: _exec(conn, A_REORG_INSERT, d))
        steps["A: reorganisation, rows started"] = (t, n)
        t, _ = _timed(lambda: [conn.execute(s) for s in A_INDEXES])
        steps["A: indexes"] = (t, None)
    with conn.transaction():
        conn.execute(B_CREATE)
        _exec(conn, B_PERIODS, d)
        t, n = _timed(lambda: _exec(conn, B_COPY_OLD))
        steps["B: period 1, today's closure"] = (t, n)
        t, n = _timed(lambda: _exec(conn, B_COPY_NEW))
        steps["B: period 2, reorganised closure (full copy)"] = (t, n)
        t, _ = _timed(lambda: [conn.execute(s) for s in B_INDEXES])
        steps["B: indexes"] = (t, None)
    conn.commit()
    conn.autocommit = True
    try:
        # A's reorganisation left 1.2 million dead row versions in its heap: compact both
        # layouts so that their sizes compare, then set the visibility maps (index-only scans).
        for table in ("closure_versioned", "closure_periods"):
            conn.execute(f"VACUUM (FULL) {table}")
        for table in ("reorg_closure", "closure_versioned", "closure_period", "closure_periods"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        conn.autocommit = False
    return steps


def samples(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """The root, a province, a cell whose commune closes, a commune of 32 cells to move and the
    province it moves to (all from the generated tree, first in id order)."""

    def one(sql: str, params: dict[str, Any] | None = None) -> int:
        row = conn.execute(sql, params).fetchone()
        assert row is not None, sql
        return int(row[0])

    root = one("SELECT id FROM unit WHERE parent_id IS NULL ORDER BY id LIMIT 1")
    province = one("SELECT min(id) FROM unit WHERE parent_id = %(r)s", {"r": root})
    other = one(
        "SELECT min(id) FROM unit WHERE parent_id = %(r)s AND id > %(p)s",
        {"r": root, "p": province},
    )
    cell = one(
        """SELECT min(u.id) FROM unit u JOIN reorg_unit c ON c.id = u.parent_id AND c.closes
           JOIN unit_closure k ON k.descendant_id = u.id AND k.ancestor_id = %(p)s
           WHERE u.kind = 'party_cell'""",
        {"p": province},
    )
    # A surviving commune that merged with none (the last of a district's 25): its 32 cells.
    commune = one(
        """SELECT min(r.id) FROM reorg_unit r JOIN unit u ON u.id = r.id
           JOIN unit_closure k ON k.descendant_id = r.id AND k.ancestor_id = %(p)s
           WHERE u.kind = 'commune_committee' AND r.parent_id = %(p)s
             AND (SELECT count(*) FROM reorg_unit c WHERE c.parent_id = r.id) = 32""",
        {"p": province},
    )
    return {
        "root": root,
        "province": province,
        "other_province": other,
        "cell": cell,
        "commune": commune,
    }


def _rows(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def _params(query: str, day: date, ids: dict[str, int], last_year: int) -> dict[str, Any]:
    x = {"q1": ids["province"], "q2": ids["province"], "q3": ids["root"], "q4": ids["cell"]}
    # Commitments exist for the generated years only: a later day reads the last of them.
    return {"x": x[query], "d": day, "y": min(day.year, last_year)}


def check(conn: psycopg.Connection[Any], ids: dict[str, int], last_year: int) -> dict[str, Any]:
    """Both layouts answer alike (and, for the old day, like today's closure); what they answer."""
    seen: dict[str, Any] = {}
    for query, sqls in QUERIES.items():
        for name, day in DAYS.items():
            p = _params(query, day, ids, last_year)
            a, b = (_rows(conn, sqls[layout], p) for layout in ("A", "B"))
            assert sorted(a) == sorted(b), (query, name)
            if name == "old":
                assert sorted(a) == sorted(_rows(conn, REFERENCE[query], p)), query
            key = f"{query} {name}"
            if query == "q1":
                seen[key] = len(a)
            elif query == "q4":
                seen[key] = [r[0] for r in a]  # ordered by depth
            else:
                seen[key] = {"children": len(a), "commitments": sum(r[1] for r in a)}
    return seen


def time_queries(
    conn: psycopg.Connection[Any], ids: dict[str, int], last_year: int, runs: int, warmup: int
) -> dict[str, dict[str, float]]:
    """Median ms per (query, day) and layout; the layouts and days interleaved in each round."""
    cases = [(q, n, layout) for q in QUERIES for n in DAYS for layout in ("A", "B")]
    times: dict[tuple[str, str, str], list[float]] = {c: [] for c in cases}
    for round_ in range(warmup + runs):
        for q, n, layout in cases:
            p = _params(q, DAYS[n], ids, last_year)
            sql = QUERIES[q][layout]
            start = time.perf_counter()
            _rows(conn, sql, p)
            t = time.perf_counter() - start
            conn.rollback()
            if round_ >= warmup:
                times[(q, n, layout)].append(t * 1000)
    out: dict[str, dict[str, float]] = {}
    for (q, n, layout), ts in times.items():
        out.setdefault(f"{q} {n}", {})[layout] = statistics.median(ts)
    return out


def time_move(conn: psycopg.Connection[Any], ids: dict[str, int], runs: int) -> dict[str, Any]:
    """q5: the move on MOVE_ON, rolled back after each run; median ms and rows written."""
    params = {"u": ids["commune"], "p": ids["other_province"], "d": MOVE_ON}
    a_times, b_times = [], []
    a_rows = b_rows = 0
    for _ in range(runs):
        t, row = _timed(lambda: conn.execute(A_MOVE, params).fetchone())
        conn.rollback()
        a_times.append(t * 1000)
        a_rows = int(row[0]) + int(row[1])
        a_detail = f"{row[0]} ended + {row[1]} inserted"

        def b_move() -> tuple[int, int]:
            period = conn.execute(B_MOVE_PERIOD, params).fetchone()
            assert period is not None
            new, cur = period
            copied = _exec(conn, B_MOVE_COPY, params | {"new": new, "cur": cur})
            return copied, 2  # period rows: one ended, one inserted

        t, (copied, period_rows) = _timed(b_move)
        conn.rollback()
        b_times.append(t * 1000)
        b_rows = copied + period_rows
        b_detail = f"{copied:,} closure rows copied + 1 period ended + 1 inserted"
    return {
        "A": {"ms": statistics.median(a_times), "rows": a_rows, "detail": a_detail},
        "B": {"ms": statistics.median(b_times), "rows": b_rows, "detail": b_detail},
    }


def sizes(conn: psycopg.Connection[Any]) -> dict[str, dict[str, int]]:
    out = {}
    for table in ("unit_closure", "closure_versioned", "closure_period", "closure_periods"):
        row = conn.execute(
            """SELECT pg_relation_size(c.oid), pg_indexes_size(c.oid),
                      pg_total_relation_size(c.oid), (SELECT count(*) FROM """  # noqa: S608
            + table
            + ") FROM pg_class c WHERE c.oid = %(t)s::regclass",
            {"t": table},
        ).fetchone()
        assert row is not None
        out[table] = {"table": row[0], "indexes": row[1], "total": row[2], "rows": row[3]}
    conn.rollback()
    return out


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f}"


def markdown(result: dict[str, Any]) -> str:
    ids, seen, q, move, sz = (result[k] for k in ("samples", "answers", "queries", "move", "sizes"))
    label = {
        "q1": f"q1 subtree ids of a province (unit {ids['province']})",
        "q2": f"q2 commitments per child of a province (unit {ids['province']})",
        "q3": f"q3 commitments per child of the root (unit {ids['root']})",
        "q4": f"q4 lineage of a cell (unit {ids['cell']})",
    }
    lines = [
        "| query | day | rows answered | A versioned ms | B per period ms | B / A |",
        "|---|---|---|---:|---:|---:|",
    ]
    for key, ms in q.items():
        query, name = key.split()
        answer = seen[key]
        if isinstance(answer, dict):
            answer = f"{answer['children']} children, {answer['commitments']:,} commitments"
        elif isinstance(answer, list):
            answer = "line " + " → ".join(str(i) for i in reversed(answer))
        else:
            answer = f"{answer:,} units"
        lines.append(
            f"| {label[query]} | {DAYS[name]} | {answer} | {ms['A']:.2f} | {ms['B']:.2f} "
            f"| {ms['B'] / ms['A']:.2f} |"
        )
    lines.append(
        f"| q5 move a commune + 32 cells to another province on {MOVE_ON} | | "
        f"A: {move['A']['detail']}; B: {move['B']['detail']} | {move['A']['ms']:.1f} "
        f"| {move['B']['ms']:.1f} | {move['B']['ms'] / move['A']['ms']:.0f} |"
    )
    lines += [
        "",
        "| table | rows | heap MiB | indexes MiB | total MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for table, s in sz.items():
        lines.append(
            f"| `{table}` | {s['rows']:,} | {_mib(s['table'])} | {_mib(s['indexes'])} "
            f"| {_mib(s['total'])} |"
        )
    lines += ["", "Building (one-off, seconds, rows written):", ""]
    for step, (t, n) in result["build"].items():
        lines.append(f"- {step}: {t:.1f} s" + (f", {n:,} rows" if n is not None else ""))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://… or libpq")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per query (median)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--move-runs", type=int, default=5, help="runs of q5 (rolled back)")
    parser.add_argument("--skip-build", action="store_true", help="reuse the scratch tables")
    parser.add_argument("--json", action="store_true", help="print JSON after the Markdown")
    args = parser.parse_args()
    # No server-side prepared statements: each run is planned for its own day, as the app's are;
    # and no JIT, as in the app's engine (app/core/db.py).
    with psycopg.connect(
        _dsn(args.database_url), prepare_threshold=None, options="-c jit=off"
    ) as conn:
        result: dict[str, Any] = {
            "run": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "host": f"{platform.node()} ({platform.machine()})",
            "postgres": conn.execute("SHOW server_version").fetchone()[0],  # type: ignore[index]
        }
        result["build"] = {} if args.skip_build else build(conn)
        ids = samples(conn)
        last_year = conn.execute("SELECT max(year) FROM commitment").fetchone()[0]  # type: ignore[index]
        result["samples"] = ids
        result["last_commitment_year"] = last_year
        result["answers"] = check(conn, ids, last_year)
        conn.rollback()
        result["queries"] = time_queries(conn, ids, last_year, args.runs, args.warmup)
        result["sizes"] = sizes(conn)  # before q5, whose rolled-back copies leave dead rows
        result["move"] = time_move(conn, ids, args.move_runs)
    print(markdown(result))
    if args.json:
        print(json.dumps(result, default=str, indent=1))


if __name__ == "__main__":
    main()
