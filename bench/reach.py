"""Issue #17's figures: dispatch through 三竹 Mitake and through LINE with two worker processes,
and ``/metrics`` at a million cases.

``.venv/bin/python bench/reach.py [--cases 1000000] [--notices 20000] [--scrapes 300]``.

Dispatch: a database of its own (``tracker_bench_reach``, made afresh with the tests' catalogue)
gets ``--notices`` pending overdue notices per channel, written by ``notice_rows``/
``insert_notices`` for 200 cases whose applicants chose SMS (Mitake) or bound LINE, a thousand
sharing an instant as a sweep writes them. ``celery -A workers worker --concurrency 2`` sends
them to the channel's stand-in (bench/sending.py); baseline: the same number of messages
through the same clients without the database.

``/metrics``: the bench's database of ``--cases`` cases, 30% open (bench/seed.py), plus
200,000 notices already sent and a thousand pending ones (so the outbox's indexes have a working
office's shape; removed at the end). ``gunicorn "web:create_app()"`` (one sync worker) is
scraped ``--scrapes`` times on one kept-alive connection, then as many ``GET /healthz``: the
same server's floor.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from the checkout

from bench import sending, summary
from bench.common import bench_url, database, database_name, header, log, seeded_line
from bench.seed import OPEN_SHARE, ensure_seeded, recreate_database
from tests.conftest import DATA
from tests.factories import create_case
from tests.support.processes import Processes, free_port
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.db import Database
from tracker.migrate import upgrade
from tracker.notices.outbox import Addressees, insert_notices, notice_rows
from tracker.notices.values import case_values
from tracker.operations.gauges import read_gauges, refresh_case_gauges

DISPATCH_TARGET = 500.0  # notices a second
METRICS_TARGET_MS = 50.0  # p99
BATCH, CASES = 1000, 200  # each (case, trigger instant) is one notice
OUTBOX_SQL = """
INSERT INTO notices (case_id, kind, channel, audience, dedupe_key, status, recipient, language,
                     payload, trigger_at, created_at, not_before, attempts, sent_at, provider_id)
SELECT c.id, 'receipt', 'sms', 'applicant', 'bench-metrics:' || c.id || ':' || g.n,
       CASE WHEN g.n <= :pending THEN 'pending' ELSE 'sent' END,
       '+886912345678', 'zh-TW', '{}'::json, c.received_at, c.received_at,
       CASE WHEN g.n <= :pending THEN now() ELSE c.received_at END, 1,
       c.received_at, 'SM' || g.n
FROM generate_series(1, :count) AS g(n) JOIN cases c ON c.id = g.n
ON CONFLICT (dedupe_key) DO NOTHING
"""


def write_outbox(db: Database, channel: str, total: int) -> None:
    """``total`` pending overdue notices for ``channel`` (sms by Mitake, or line)."""
    now = datetime.now(UTC)
    with db.transaction() as session:
        session.execute(text("TRUNCATE notices, case_events, pauses, cases CASCADE"))
        cases = [
            create_case(session, now=now - timedelta(days=10), phone=f"09{i:08d}")
            for i in range(CASES)
        ]
        if channel == "line":
            for i, case in enumerate(cases):
                case.applicant_line_id = f"U{i:032x}"
        session.flush()
        session.execute(text("DELETE FROM notices"))
        extra = {"reason": "案件審核中", "expected_completion": "2026-12-10"}
        values = {case.id: {**case_values(case), **extra} for case in cases}
        addressees = {case.id: Addressees.of(case) for case in cases}
    for first in range(0, total, BATCH):
        rows = []
        at = now - timedelta(seconds=total - first)
        for n in range(first, min(first + BATCH, total)):
            case_id = cases[n % CASES].id
            rows += notice_rows(
                addressees[case_id], "overdue", trigger_at=at + timedelta(microseconds=n),
                now=at, values=values[case_id],
            )  # fmt: skip
        with db.transaction() as session:
            insert_notices(session, rows)


def measure_dispatch(url: str, channel: str, notices: int, log_dir: Path) -> dict[str, float]:
    """Fill the outbox, send it with the worker, then the baseline: the figures."""
    recreate_database(url)  # a database of its own, afresh: no two runs meet
    upgrade(url)
    with database(url) as db:
        with db.transaction() as session:
            catalogue = read_catalogue(DATA / "test-catalogue.yaml")
            load_catalogue(session, catalogue, now=datetime.now(UTC))
        write_outbox(db, channel, notices)
        with sending.started(db, log_dir, channel=channel) as stack:
            sending.send_all(db, stack.redis.url, notices)
            counts, rate = sending.sent_rate(db)
            baseline = sending.baseline(channel, stack, notices)
    return {"sent": counts["sent"], "rate": rate, "baseline": baseline}


def _timed(connection: http.client.HTTPConnection, path: str, count: int) -> list[float]:
    """Milliseconds of ``count`` sequential GETs of ``path``."""
    found = []
    for _ in range(count):
        began = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        found.append((time.perf_counter() - began) * 1000)
        assert response.status == 200, (response.status, body[:200])
    return found


def measure_metrics(url: str, scrapes: int, log_dir: Path) -> dict[str, Any]:
    """The scrape and /healthz timings (ms), and the direct costs of the gauges."""
    with database(url) as db:
        try:
            with db.transaction() as session:
                session.execute(text(OUTBOX_SQL), {"count": 200_000, "pending": 1000})
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # As autovacuum leaves a working database: the visibility map set (index-only).
                conn.execute(text("VACUUM ANALYZE notices"))
            with db.transaction() as session:
                began = time.perf_counter()
                refresh_case_gauges(session, datetime.now(UTC), every=timedelta(0))
                count_ms = (time.perf_counter() - began) * 1000
            with db.transaction() as session:
                began = time.perf_counter()
                gauges = read_gauges(session, datetime.now(UTC))
                read_ms = (time.perf_counter() - began) * 1000
            env = {
                "DATABASE_URL": url.replace("postgresql+psycopg://", "postgresql://"),
                "TRACKER_INSTANCE": str(log_dir / "instance"),
                "SECRET_KEY": "bench-" + "m" * 40,
                "PATH": "/usr/bin:/bin",
            }
            port, processes = free_port(), Processes(env, log_dir)
            try:
                processes.web(port)
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                _timed(connection, "/metrics", 20)  # warm: pools, plans, caches
                scraped = _timed(connection, "/metrics", scrapes)
                floor = _timed(connection, "/healthz", scrapes)
                connection.close()
            finally:
                processes.close()
        finally:
            with db.transaction() as session:
                session.execute(text("DELETE FROM notices WHERE dedupe_key LIKE 'bench-metrics:%'"))
    open_cases = sum(gauges.open_cases.values())
    return {"metrics": scraped, "healthz": floor, "count_ms": count_ms, "read_ms": read_ms,
            "open": open_cases}  # fmt: skip


def main() -> None:
    """Measure both, print the section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--notices", type=int, default=20_000, help="per channel")
    parser.add_argument("--scrapes", type=int, default=300)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench-reach-"))
    log(f"reach: logs in {work}")
    dispatch: dict[str, dict[str, float]] = {}
    for channel in ("mitake", "line"):
        log(f"reach: dispatch through {channel}, {args.notices:,} notices")
        found = measure_dispatch(bench_url("_reach"), channel, args.notices, work / channel)
        dispatch[channel] = found
        summary.record(
            "#17", f"dispatch through {channel}, 2 worker processes, stand-in", [found["rate"]],
            "/s", f"≥ {DISPATCH_TARGET:,.0f}/s", found["rate"] >= DISPATCH_TARGET,
            found["rate"] / found["baseline"], "the same messages through the clients, no database",
        )  # fmt: skip

    url = bench_url()
    opened = round(args.cases * OPEN_SHARE)
    record, now = ensure_seeded(url, cases=args.cases, open_=opened, force=args.reseed)
    log(f"reach: /metrics on {database_name(url)}, {args.scrapes} scrapes")
    m = measure_metrics(url, args.scrapes, work / "metrics")
    p99, floor_p99 = summary.percentile(m["metrics"], 0.99), summary.percentile(m["healthz"], 0.99)
    ok = p99 <= METRICS_TARGET_MS
    summary.record(
        "#17", f"/metrics p99, {args.cases:,} cases", [p99], "ms", f"≤ {METRICS_TARGET_MS:.0f} ms",
        ok, statistics.median(m["metrics"]) / statistics.median(m["healthz"]),
        "`GET /healthz` on the same gunicorn (medians)",
    )  # fmt: skip

    header("Reach: Mitake and LINE dispatch, /metrics", started, url=url,
           data=[seeded_line(database_name(url), record, now)])  # fmt: skip
    print("\n| channel | notices | dispatch /s | clients alone /s | ratio |")
    print("|---|---:|---:|---:|---:|")
    for channel, found in dispatch.items():
        print(
            f"| {channel} | {found['sent']:,.0f} | {found['rate']:,.0f} | "
            f"{found['baseline']:,.0f} | {found['rate'] / found['baseline']:.2f} |"
        )
    print(
        f"\n`/metrics` on `{database_name(url)}` ({m['open']:,} open cases): p50 "
        f"{statistics.median(m['metrics']):.1f} ms, **p99 {p99:.1f} ms** over {args.scrapes} "
        f"scrapes ({summary.verdict(ok)} ≤ {METRICS_TARGET_MS:.0f} ms); `/healthz` p50 "
        f"{statistics.median(m['healthz']):.1f} ms, p99 {floor_p99:.1f} ms. The gauges read at a "
        f"scrape: {m['read_ms']:.1f} ms; the sweep's count of the open and overdue cases, once a "
        f"minute: {m['count_ms']:.0f} ms."
    )


if __name__ == "__main__":
    main()
