"""Closure re-timing: ``tracker.calendar.changes.declare_closure`` over a million open cases.

Every run is the real thing, one transaction committed. Between runs (untimed) the database is
put back as the seed left it: the changed cases are copied back from a snapshot taken before
the first run, the events, notices and the closure are deleted, the calendar revision is bumped
(so cached calendars forget the closure) and VACUUM ANALYZE clears the dead rows, so each run
starts from the same state. The baseline is the plain ``UPDATE cases SET updated_at =
updated_at`` of the same ids, committed: the least a re-timing of those rows could cost.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from bench.common import copy_back, has_table, log, snapshot, vacuum
from tracker.calendar.changes import declare_closure
from tracker.db import Database
from tracker.deadlines.workcalendar import WorkCalendar

ACTOR = "bench"
REASON = "颱風停止上班 (benchmark)"


@dataclass(frozen=True)
class ClosureRun:
    """One committed closure and its baseline."""

    retimed: int
    seconds: float
    commit_seconds: float
    baseline_seconds: float
    wal_bytes: int  # written by the closure's transaction (and anything else meanwhile)


@dataclass(frozen=True)
class ClosureFigures:
    day: date
    candidates: int
    runs: list[ClosureRun]

    @property
    def median_seconds(self) -> float:
        """Median closure time over the runs."""
        return statistics.median(r.seconds for r in self.runs)

    @property
    def median_baseline(self) -> float:
        """Median baseline time over the runs."""
        return statistics.median(r.baseline_seconds for r in self.runs)


# The rows a closure of :d may change, kept as they were so every run can be undone exactly,
# whatever columns re-timing writes now or later (due dates, version, the watch's columns).
SNAPSHOT = "bench_closure_snapshot"
_CANDIDATES = (
    "status IN ('received', 'in_progress', 'awaiting_supplement')"
    " AND due_at > (:d)::timestamp AT TIME ZONE 'Asia/Taipei'"
    " AND received_at < (:d + 1)::timestamp AT TIME ZONE 'Asia/Taipei'"
)


def count_candidates(db: Database, day: date) -> int:
    """Open running cases whose period contains ``day``: what the closure has to look at."""
    with db.engine.connect() as conn:
        query = text(f"SELECT count(*) FROM cases WHERE {_CANDIDATES}")
        return int(conn.execute(query, {"d": day}).scalar_one())


def prepare(db: Database, day: date, since: datetime) -> None:
    """Undo an interrupted earlier run, then snapshot the rows a closure of ``day`` may change."""
    with db.engine.begin() as conn:
        has_snapshot = has_table(conn, SNAPSHOT)
        closed = conn.scalar(text("SELECT count(*) FROM closures WHERE day = :d"), {"d": day})
    if has_snapshot:
        if restore(db, day, since):
            log("closure: put back an interrupted earlier run")
            vacuum(db.url)
    elif closed:
        raise RuntimeError(f"{day} is already closed and there is no snapshot: run with --reseed")
    with db.engine.begin() as conn:
        ids = conn.scalars(text(f"SELECT id FROM cases WHERE {_CANDIDATES}"), {"d": day}).all()
        snapshot(conn, SNAPSHOT, ids)


def drop_snapshot(db: Database) -> None:
    """Leave the database as seeded once every run has been undone."""
    with db.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {SNAPSHOT}"))


def restore(db: Database, day: date, since: datetime) -> int:
    """Undo the benchmark's closure of ``day`` (run since ``since``); returns the cases put back."""
    with db.engine.begin() as session:
        # Re-timing bumps the version of every case it changes: only those need putting back.
        restored = copy_back(session, SNAPSHOT, changed_only=True)
        session.execute(
            text("DELETE FROM case_events WHERE kind = 'retimed' AND actor = :actor"),
            {"actor": ACTOR},
        )
        # DESIGN 4.2: applicants are told their new date; whatever notices the run queued go too.
        session.execute(text("DELETE FROM notices WHERE created_at >= :since"), {"since": since})
        session.execute(text("DELETE FROM closures WHERE day = :d"), {"d": day})
        # Cached calendars are keyed by this revision: they must forget the closure.
        session.execute(text("UPDATE calendar_revision SET revision = revision + 1"))
    return restored


def _declare(db: Database, day: date) -> tuple[int, float, float, list[int]]:
    started = time.perf_counter()
    with db.sessions() as session:
        result = declare_closure(session, day, reason=REASON, actor=ACTOR, now=datetime.now(UTC))
        before_commit = time.perf_counter()
        session.commit()
    finished = time.perf_counter()
    ids = [r.case_id for r in result.retimed]
    return len(ids), finished - started, finished - before_commit, ids


def _wal_position(db: Database) -> int:
    """Bytes of WAL written since the cluster began: differences give what a step wrote."""
    with db.engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) or 0)


def _baseline(db: Database, ids: list[int]) -> float:
    started = time.perf_counter()
    with db.engine.connect() as conn:
        conn.execute(
            text("UPDATE cases SET updated_at = updated_at WHERE id = ANY(:ids)"), {"ids": ids}
        )
        conn.commit()
    return time.perf_counter() - started


def measure_closure(db: Database, day: date, *, seeded_at: datetime, runs: int) -> ClosureFigures:
    """``runs`` committed closures of ``day``, each with its baseline, the database restored."""
    prepare(db, day, seeded_at)
    vacuum(db.url)  # for the CHECKPOINT: the seed or an earlier measure left WAL behind
    # The holidays package computes each year once per process: not what a closure costs.
    WorkCalendar().working_days_between(day - timedelta(days=800), day + timedelta(days=800))
    candidates = count_candidates(db, day)
    log(f"closure: {candidates:,} candidate cases for {day}")
    results: list[ClosureRun] = []
    for run in range(1, runs + 1):
        since = datetime.now(UTC)
        wal_before = _wal_position(db)
        retimed, seconds, commit_seconds, ids = _declare(db, day)
        wal_bytes = _wal_position(db) - wal_before
        log(
            f"closure: run {run}/{runs}: {retimed:,} re-timed in {seconds:.2f} s, "
            f"{wal_bytes / 2**20:,.0f} MiB of WAL; restoring"
        )
        if restore(db, day, since) != retimed:
            raise RuntimeError("the restore did not put back every re-timed case")
        vacuum(db.url)
        baseline = _baseline(db, ids)
        vacuum(db.url)
        log(f"closure: run {run}/{runs}: baseline UPDATE of {len(ids):,} rows in {baseline:.2f} s")
        results.append(ClosureRun(retimed, seconds, commit_seconds, baseline, wal_bytes))
    drop_snapshot(db)
    return ClosureFigures(day, candidates, results)
