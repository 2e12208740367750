"""``/metrics`` at a million cases: the latency of a scrape, against ``/healthz`` in the same run.

``measure_metrics(url, scrapes, notices, log_dir)`` (bench/reach.py runs it): the database
holds the bench's cases (bench/seed.py, 30% open) at the schema's head. The run adds ``notices``
notices already sent and a thousand pending ones (so the outbox's indexes have the shape of a
working office's; removed again at the end), counts the case gauges as the sweep does,
starts ``gunicorn "web:create_app()"`` (one sync worker) through
the tests' process harness, and times ``--scrapes`` sequential ``GET /metrics`` from loopback on
one kept-alive connection, then as many ``GET /healthz``: the same server's floor.
"""

from __future__ import annotations

import http.client
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from tests.support.processes import Processes, free_port
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


def measure_metrics(url: str, scrapes: int, notices: int, log_dir: Path) -> dict[str, object]:
    """The scrape and /healthz timings (ms), and the direct costs of the gauges."""
    database = Database(url)
    try:
        with database.transaction() as session:
            session.execute(text(OUTBOX_SQL), {"count": notices, "pending": 1000})
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # As autovacuum leaves a working database: the visibility map set (index-only).
            conn.execute(text("VACUUM ANALYZE notices"))
        with database.transaction() as session:
            began = time.perf_counter()
            refresh_case_gauges(session, datetime.now(UTC), every=timedelta(0))
            count_ms = (time.perf_counter() - began) * 1000
        with database.transaction() as session:
            began = time.perf_counter()
            gauges = read_gauges(session, datetime.now(UTC))
            read_ms = (time.perf_counter() - began) * 1000
        env = {
            "DATABASE_URL": url.replace("postgresql+psycopg://", "postgresql://"),
            "TRACKER_INSTANCE": str(log_dir / "instance"),
            "SECRET_KEY": "bench-" + "m" * 40,
            "PATH": "/usr/bin:/bin",
        }
        port = free_port()
        processes = Processes(env, log_dir)
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
        with database.transaction() as session:
            session.execute(text("DELETE FROM notices WHERE dedupe_key LIKE 'bench-metrics:%'"))
        database.dispose()
    return {
        "metrics_ms": scraped,
        "healthz_ms": floor,
        "count_ms": count_ms,
        "read_ms": read_ms,
        "open": sum(gauges.open_cases.values()),
    }
