"""Due instant to provider with the real worker and beat, and the processes' memory.

Latency. ``cases`` open cases with a mobile number, told by SMS only, fall due within one minute
starting ``lead`` seconds after the processes are up; the time from each due instant to the
stand-in receiving that case's overdue SMS is the figure. Cases the seed left due before the run
ends are parked (``watch_at`` cleared) meanwhile and put back after.
The parts are started as for dispatch (bench/workers_dispatch.py).
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bench import summary
from bench.common import copy_back, has_table, log, snapshot, vacuum
from bench.sending import started
from tests.support.processes import children_of, free_port, rss_kib
from tracker.db import Database

PARKED, CHOSEN = "bench_latency_parked", "bench_latency_original"
NUMBER = re.compile(r"\d{8}-\d{4,}")


@dataclass(frozen=True)
class LatencyRun:
    """One minute of ``cases`` due instants, each to its SMS reaching the stand-in (seconds)."""

    cases: int
    received: int
    parked: int
    total: list[float]  # due instant -> stand-in received the SMS
    to_notice: list[float]  # due instant -> the sweep wrote the notice (created_at)
    to_sent: list[float]  # notice written -> dispatcher stamped it sent (sent_at)

    pct = staticmethod(summary.percentile)


def _put_back(conn: Connection, table: str) -> None:
    if has_table(conn, table):
        copy_back(conn, table)
        conn.execute(text(f"DROP TABLE {table}"))


def _prepare_latency(db: Database, count: int, until: datetime) -> tuple[list[int], int]:
    """Park what the seed left due before ``until``; choose ``count`` running cases with a
    mobile number and no open pause, kept as they were. Returns (ids, parked)."""
    with db.engine.begin() as conn:
        _put_back(conn, PARKED)
        _put_back(conn, CHOSEN)
        conn.execute(
            text(f"CREATE UNLOGGED TABLE {PARKED} AS SELECT id, watch_at FROM cases"
                 " WHERE watch_at <= :until"),
            {"until": until},
        )  # fmt: skip
        parked = int(conn.scalar(text(f"SELECT count(*) FROM {PARKED}")) or 0)
        conn.execute(text(f"UPDATE cases c SET watch_at = NULL FROM {PARKED} p WHERE c.id = p.id"))
        ids = [
            int(i)
            for (i,) in conn.execute(
                text(
                    "SELECT c.id FROM cases c WHERE c.status IN ('received', 'in_progress')"
                    " AND c.applicant_phone IS NOT NULL AND c.watch_at IS NOT NULL"
                    " AND NOT EXISTS (SELECT FROM pauses p"
                    "   WHERE p.case_id = c.id AND p.resumed_at IS NULL)"
                    " ORDER BY md5(c.id::text || 'latency') LIMIT :n"
                ),
                {"n": count},
            )
        ]
        if len(ids) < count:
            raise RuntimeError(f"only {len(ids):,} running cases with a mobile; need {count:,}")
        snapshot(conn, CHOSEN, ids)
    vacuum(db.url)
    return ids, parked


def _make_due(db: Database, ids: list[int], start: datetime, spread: timedelta) -> None:
    """The chosen cases fall due evenly over [start, start + spread), told by SMS only."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "WITH chosen AS (SELECT id, (:start)::timestamptz"
                "   + (row_number() OVER (ORDER BY md5(id::text)) - 1) * (:spread / :n) AS due"
                "   FROM unnest(CAST(:ids AS bigint[])) AS id)"
                " UPDATE cases c SET due_at = chosen.due,"
                "   due_date = CASE WHEN c.due_date IS NULL THEN NULL"
                "     ELSE (chosen.due AT TIME ZONE 'Asia/Taipei')::date END,"
                "   watch_at = chosen.due, watched_until = now(), notify_by = 'sms',"
                "   expected_completion = NULL, overdue_since = NULL"
                " FROM chosen WHERE c.id = chosen.id"
            ),
            {"start": start, "spread": spread, "n": len(ids), "ids": ids},
        )


def _latency_run(
    db: Database, ids: list[int], log_dir: Path, *, lead: float, spread: float, parked: int
) -> LatencyRun:
    since = datetime.now(UTC)
    with started(db, log_dir, beat=True) as stack:
        start = datetime.now(UTC) + timedelta(seconds=lead)
        _make_due(db, ids, start, timedelta(seconds=spread))
        log(f"latency: {len(ids):,} cases due from {start:%H:%M:%S} over {spread:.0f} s")
        deadline = time.monotonic() + lead + spread + 600
        while True:
            with db.engine.connect() as conn:
                done = conn.scalar(
                    text(
                        "SELECT count(*) FROM notices WHERE kind = 'overdue' AND channel = 'sms'"
                        " AND status IN ('sent', 'delivered', 'failed') AND created_at >= :s"
                    ),
                    {"s": since},
                )
            if (done or 0) >= len(ids):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done:,} of {len(ids):,} overdue SMS went out")
            time.sleep(1)
        received = stack.received()
    with db.engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT c.number, c.due_at, n.created_at, n.sent_at FROM cases c"
                " JOIN notices n ON n.case_id = c.id AND n.kind = 'overdue' AND n.channel = 'sms'"
                " WHERE c.id = ANY(:ids) AND n.created_at >= :s"
            ),
            {"ids": ids, "s": since},
        ).all()
        # Put the chosen cases back as they were (the snapshot stays for the next run).
        copy_back(conn, CHOSEN)
        conn.execute(text("DELETE FROM notices WHERE created_at >= :s"), {"s": since})
        conn.execute(
            text("DELETE FROM case_events WHERE actor = 'system:watch' AND at >= :s"),
            {"s": since},
        )
    vacuum(db.url)
    due = {number: due_at for number, due_at, _, _ in rows}
    total = []
    for message in received:
        match = NUMBER.search(message.get("body") or "")
        if message["status"] == 201 and match and match.group(0) in due:
            at = datetime.fromisoformat(message["at"])
            total.append((at - due.pop(match.group(0))).total_seconds())
    to_notice = [(created - due_at).total_seconds() for _, due_at, created, _ in rows]
    to_sent = [(sent - created).total_seconds() for _, _, created, sent in rows if sent]
    return LatencyRun(len(ids), len(total), parked, total, to_notice, to_sent)


def measure_latency(
    db: Database, log_dir: Path, *, cases: int, runs: int, lead: float, spread: float
) -> list[LatencyRun]:
    """``runs`` of ``cases`` due in one minute, each with fresh processes."""
    # Park everything the seed left due before the last run can end (generously).
    until = datetime.now(UTC) + timedelta(seconds=runs * (lead + spread + 900) + 3600)
    ids, parked = _prepare_latency(db, cases, until)
    log(f"latency: parked {parked:,} cases the seed left due before {until:%Y-%m-%d %H:%M}")
    results = []
    try:
        for run in range(1, runs + 1):
            result = _latency_run(
                db, ids, log_dir / f"latency-{run}", lead=lead, spread=spread, parked=parked
            )
            results.append(result)
            log(
                f"latency: run {run}/{runs}: p50 {statistics.median(result.total):.1f} s, "
                f"p99 {result.pct(result.total, 0.99):.1f} s, max {max(result.total):.1f} s"
            )
    finally:
        with db.engine.begin() as conn:
            _put_back(conn, CHOSEN)
            _put_back(conn, PARKED)
        vacuum(db.url)
    return results


# --- memory ----------------------------------------------------------------------------------


def web_memory(db: Database, log_dir: Path, settle: float = 5.0) -> list[tuple[str, int]]:
    """RSS of ``gunicorn "web:create_app()" --workers 2``, idle, master and workers (KiB)."""
    with started(db, log_dir / "web", worker=False) as stack:
        web = stack.processes.web(free_port(), workers=2)
        time.sleep(settle)
        found = [("gunicorn (master)", rss_kib(web.pid))]
        workers = children_of(web.pid)
        found += [(f"gunicorn (worker {i})", rss_kib(p)) for i, p in enumerate(workers)]
    return found
