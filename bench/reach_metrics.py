"""``/metrics`` at a million cases: the latency of a scrape, against ``/healthz`` in the same run.

``python -m bench.reach_metrics --database URL [--scrapes 300] [--notices 200000]``: the
database must hold the bench's million cases (bench/seed.py) at the schema's head. The run adds
``--notices`` notices already sent and a thousand pending ones (so the outbox's indexes have the
shape of a working office's), starts ``gunicorn "web:create_app()"`` (one sync worker) through
the tests' process harness, and times ``--scrapes`` sequential ``GET /metrics`` from loopback on
one kept-alive connection, then as many ``GET /healthz``: the same server's floor. Prints how
long the gauges (tracker.operations.gauges) take read directly, and one JSON line of figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from tests.workers.harness import Processes, free_port
from tracker.db import Database
from tracker.operations.gauges import read_gauges, refresh_case_gauges

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


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    """Seed the outbox, start gunicorn, time the scrapes; print the plans and the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--scrapes", type=int, default=300)
    parser.add_argument("--notices", type=int, default=200_000)
    args = parser.parse_args()
    database = Database(args.database)
    with database.transaction() as session:
        session.execute(text(OUTBOX_SQL), {"count": args.notices, "pending": 1000})
        cases = session.scalar(text("SELECT count(*) FROM cases"))
        notices = session.scalar(text("SELECT count(*) FROM notices"))
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # As autovacuum leaves a working database: the visibility map set (index-only scans).
        conn.execute(text("VACUUM ANALYZE notices"))
        conn.execute(text("VACUUM ANALYZE cases"))
    with database.transaction() as session:
        began = time.perf_counter()
        refresh_case_gauges(session, datetime.now(UTC), every=timedelta(0))
        count_ms = (time.perf_counter() - began) * 1000
    with database.transaction() as session:
        began = time.perf_counter()
        gauges = read_gauges(session, datetime.now(UTC))
        direct_ms = (time.perf_counter() - began) * 1000
    print(
        f"the sweep's count of the case gauges (once a minute): {count_ms:.0f} ms; "
        f"the gauges read at a scrape: {direct_ms:.1f} ms; open {gauges.open_cases}"
    )

    directory = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    env = {
        "DATABASE_URL": args.database.replace("postgresql+psycopg://", "postgresql://"),
        "TRACKER_INSTANCE": str(directory / "instance"),
        "SECRET_KEY": "bench-" + "m" * 40,
        "PATH": "/usr/bin:/bin",
    }
    port = free_port()
    processes = Processes(env, directory / "logs")
    try:
        processes.web(port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        _timed(connection, "/metrics", 20)  # warm: pools, plans, caches
        scrapes = _timed(connection, "/metrics", args.scrapes)
        floor = _timed(connection, "/healthz", args.scrapes)
        connection.close()
    finally:
        processes.close()
    figures = {
        "case_gauges_count_ms": round(count_ms),
        "cases": cases,
        "notices": notices,
        "scrapes": args.scrapes,
        "metrics_p50_ms": round(statistics.median(scrapes), 2),
        "metrics_p99_ms": round(_p(scrapes, 0.99), 2),
        "healthz_p50_ms": round(statistics.median(floor), 2),
        "healthz_p99_ms": round(_p(floor, 0.99), 2),
        "ratio_p50": round(statistics.median(scrapes) / statistics.median(floor), 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
