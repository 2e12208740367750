"""The deadline watch's tick (``workers.jobs.sweep_deadlines``) with a fixed clock.

In an all-open seed nothing is due at the seed's "now", T. ``prepare`` makes exactly ``due``
running cases fall due in (T-60s, T], so a tick at T finds exactly those and one at T-60s none.
Those rows are kept in unlogged tables as seeded (put back at the end, or after an interrupted
run) and as prepared (put back between runs).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from bench import summary
from bench.common import columns_of, copy_back, explain_as_sent, has_table, log, snapshot, vacuum
from tracker.calendar.store import load_calendar
from tracker.db import Database
from tracker.models import Agency
from tracker.watch.sweep import sweep_batch
from workers import jobs

ORIGINAL = "bench_watch_original"  # the chosen rows as seeded
PREPARED = "bench_watch_due"  # the same rows, due in the minute before T
WRITTEN = "bench_watch_written"  # prefix: what the last tick wrote (cases, notices, events)
WINDOW = timedelta(seconds=60)
INDEX = "ix_cases_watch_at"
WATCH_ACTOR = "system:watch"  # tracker.watch.sweep.ACTOR: the events a tick writes
BASELINE_ACTOR = "bench:baseline"

_CANDIDATES = """
SELECT c.id FROM cases c
WHERE c.status IN ('received', 'in_progress') AND c.due_at > :t AND c.watch_at > :t
  AND c.expected_completion IS NULL AND c.overdue_since IS NULL
  AND NOT EXISTS (SELECT FROM pauses p WHERE p.case_id = c.id AND p.resumed_at IS NULL)
ORDER BY md5(c.id::text)
LIMIT :n
"""
# Spread evenly over (T-60s, T]; day-based limits keep a due date, the day the instant falls on.
_MAKE_DUE = """
WITH chosen AS (
  SELECT id, (:t)::timestamptz - (row_number() OVER (ORDER BY id) - 1) * (:window / :n) AS due
  FROM unnest(CAST(:ids AS bigint[])) AS id
)
UPDATE cases c SET
  due_at = chosen.due,
  due_date = CASE WHEN c.due_date IS NULL THEN NULL
                  ELSE (chosen.due AT TIME ZONE 'Asia/Taipei')::date END,
  watch_at = chosen.due,
  watched_until = (:t)::timestamptz - :window,
  expected_completion = NULL,
  overdue_since = NULL
FROM chosen WHERE c.id = chosen.id
"""


@dataclass(frozen=True)
class EmptyRun:
    """One run of ticks that find nothing, each followed by one baseline round trip (ms)."""

    median_ms: float
    p95_ms: float
    baseline_median_ms: float


@dataclass(frozen=True)
class BusyRun:
    """One committed tick that found the due cases, and its set-wise baseline."""

    cases: int
    notices: int
    seconds: float
    baseline_seconds: float


@dataclass(frozen=True)
class SweepFigures:
    database: str
    open_cases: int
    watched: int  # open cases in the partial index (watch_at set)
    due: int
    empty: list[EmptyRun]
    busy: list[BusyRun]
    sql: str
    plan_busy: list[str]
    plan_empty: list[str]

    @property
    def busy_seconds(self) -> float:
        """Median busy tick."""
        return statistics.median(r.seconds for r in self.busy)

    @property
    def busy_baseline(self) -> float:
        """Median baseline of the busy tick."""
        return statistics.median(r.baseline_seconds for r in self.busy)

    @property
    def empty_ms(self) -> float:
        """Median over the runs of each run's median empty tick."""
        return statistics.median(r.median_ms for r in self.empty)

    @property
    def empty_baseline_ms(self) -> float:
        """Median over the runs of each run's median baseline round trip."""
        return statistics.median(r.baseline_median_ms for r in self.empty)

    def uses_index(self, plan: list[str]) -> bool:
        """Whether ``plan`` range-scans the watch's partial index (plain or bitmap)."""
        return any(
            f"Index Scan using {INDEX}" in line or f"Bitmap Index Scan on {INDEX}" in line
            for line in plan
        )


def _delete_written(conn: Connection, t: datetime) -> None:
    """The notices and events a tick at ``t`` (or its baseline) wrote."""
    conn.execute(text("DELETE FROM notices WHERE created_at = :t"), {"t": t})
    conn.execute(
        text("DELETE FROM case_events WHERE at = :t AND actor IN (:a, :b)"),
        {"t": t, "a": WATCH_ACTOR, "b": BASELINE_ACTOR},
    )


def drop_tables(conn: Connection) -> None:
    """Forget the benchmark's own tables."""
    for table in (ORIGINAL, PREPARED, *(f"{WRITTEN}_{k}" for k in ("cases", "notices", "events"))):
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))


def put_back(db: Database, t: datetime) -> bool:
    """Leave the database as seeded (the end of a measure, or an interrupted earlier one)."""
    with db.engine.begin() as conn:
        if not has_table(conn, ORIGINAL):
            return False
        copy_back(conn, ORIGINAL)
        _delete_written(conn, t)
        drop_tables(conn)
    vacuum(db.url)
    return True


def prepare(db: Database, t: datetime, due: int) -> list[int]:
    """Make ``due`` cases fall due in (T-60s, T]; returns their ids."""
    if put_back(db, t):
        log(f"{_name(db)}: put back an interrupted earlier run")
    with db.engine.begin() as conn:
        drop_tables(conn)
        ids = [int(i) for (i,) in conn.execute(text(_CANDIDATES), {"t": t, "n": due})]
        if len(ids) < due:
            raise RuntimeError(f"only {len(ids):,} running cases are due after {t}; need {due:,}")
        snapshot(conn, ORIGINAL, ids)
        conn.execute(text(_MAKE_DUE), {"t": t, "window": WINDOW, "n": due, "ids": ids})
        snapshot(conn, PREPARED, ids)
    vacuum(db.url)
    _check_due(db, t, due)
    return ids


def _check_due(db: Database, t: datetime, due: int) -> None:
    """Exactly ``due`` cases are due at T, none at T-60s: else the figure would lie."""
    with db.engine.connect() as conn:
        at_t = conn.scalar(text("SELECT count(*) FROM cases WHERE watch_at <= :t"), {"t": t})
        before = conn.scalar(
            text("SELECT count(*) FROM cases WHERE watch_at <= :t"), {"t": t - WINDOW}
        )
        window = conn.scalar(
            text("SELECT count(*) FROM cases WHERE watch_at > :a AND watch_at <= :t"),
            {"a": t - WINDOW, "t": t},
        )
    if (at_t, before, window) != (due, 0, due):
        raise RuntimeError(
            f"{_name(db)}: {at_t:,} cases due at T, {before:,} at T-60s, {window:,} in the "
            f"window; expected {due:,}, 0, {due:,}"
        )


def _name(db: Database) -> str:
    return db.engine.url.database or "?"


def _empty_run(db: Database, t_empty: datetime, ticks: int) -> EmptyRun:
    """``ticks`` empty ticks, each followed by a ``SELECT 1`` transaction from the same pool."""
    tick_ms: list[float] = []
    base_ms: list[float] = []
    for _ in range(ticks):
        started = time.perf_counter()
        totals = jobs.sweep_deadlines(db, lambda: t_empty)
        tick_ms.append((time.perf_counter() - started) * 1000)
        if totals["cases"]:
            raise RuntimeError(f"an empty tick found {totals['cases']} cases")
        started = time.perf_counter()
        with db.transaction() as session:
            session.execute(text("SELECT 1"))
        base_ms.append((time.perf_counter() - started) * 1000)
    return EmptyRun(
        statistics.median(tick_ms), summary.percentile(tick_ms, 0.95), statistics.median(base_ms)
    )


def _keep_written(db: Database, t: datetime, ids: list[int]) -> int:
    """Copy what the tick wrote aside (for the baseline); returns the notices."""
    with db.engine.begin() as conn:
        for kind in ("notices", "events"):
            conn.execute(text(f"DROP TABLE IF EXISTS {WRITTEN}_{kind}"))
        snapshot(conn, f"{WRITTEN}_cases", ids)
        conn.execute(
            text(
                f"CREATE UNLOGGED TABLE {WRITTEN}_notices AS SELECT * FROM notices"
                " WHERE created_at = :t"
            ),
            {"t": t},
        )
        conn.execute(
            text(
                f"CREATE UNLOGGED TABLE {WRITTEN}_events AS SELECT * FROM case_events"
                " WHERE at = :t AND actor = :a"
            ),
            {"t": t, "a": WATCH_ACTOR},
        )
        return int(conn.scalar(text(f"SELECT count(*) FROM {WRITTEN}_notices")) or 0)


def _baseline(db: Database) -> float:
    """The tick's writes replayed set-wise: the same rows, three statements, one commit.

    The case rows get the very values the tick gave them (index entries included), the notices
    and events are the tick's own rows (a new dedupe key, the baseline's actor): what the database
    must do at the least, without the ORM, the rules or a round trip per row.
    """
    with db.engine.connect() as conn:
        columns, notice_columns = columns_of(conn, "cases"), columns_of(conn, "notices")
        conn.rollback()
        notice_sources = ", ".join(
            "'baseline:' || dedupe_key" if name == "dedupe_key" else name for name in notice_columns
        )
        started = time.perf_counter()
        conn.execute(
            text(
                f"UPDATE cases c SET ({', '.join(columns)}) = "
                f"({', '.join(f'w.{name}' for name in columns)})"
                f" FROM {WRITTEN}_cases w WHERE c.id = w.id"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO notices ({', '.join(notice_columns)})"
                f" SELECT {notice_sources} FROM {WRITTEN}_notices"
            )
        )
        conn.execute(
            text(
                "INSERT INTO case_events (case_id, at, actor, kind, from_status, to_status, public,"
                " note, data) SELECT case_id, at, :a, kind, from_status, to_status, public, note,"
                f" data FROM {WRITTEN}_events"
            ),
            {"a": BASELINE_ACTOR},
        )
        conn.commit()
        return time.perf_counter() - started


def _reset(db: Database, t: datetime) -> int:
    """Back to the prepared state: swept rows copied back, written rows deleted, then VACUUM."""
    with db.engine.begin() as conn:
        restored = copy_back(conn, PREPARED, changed_only=True)
        _delete_written(conn, t)
    vacuum(db.url)
    return restored


def _busy_run(db: Database, t: datetime, ids: list[int], due: int) -> BusyRun:
    started = time.perf_counter()
    totals = jobs.sweep_deadlines(db, lambda: t)
    seconds = time.perf_counter() - started
    cases = totals["cases"]
    if cases != due:
        raise RuntimeError(f"the tick handled {cases:,} cases, not {due:,}")
    notices = _keep_written(db, t, ids)
    if _reset(db, t) != due:
        raise RuntimeError("the reset did not put back every swept case")
    baseline = _baseline(db)
    # The baseline bumps the same versions, so the same reset undoes it.
    _reset(db, t)
    return BusyRun(cases, notices, seconds, baseline)


def _warm_calendars(db: Database, t: datetime) -> None:
    """Load every agency's calendar over this year and the next, as a running worker has.

    The empty ticks look at no due date; without this, the first busy tick of the process would
    pay for the holiday rules' import and the year tables that a worker's earlier
    ticks have long since paid for.
    """
    with db.transaction() as session:
        for agency in session.scalars(select(Agency.id)):
            load_calendar(session, agency).working_days_between(t.date(), date(t.year + 1, 12, 31))


def measure_sweep(db: Database, t: datetime, *, due: int, runs: int, ticks: int) -> SweepFigures:
    """``runs`` of (``ticks`` empty ticks, one tick with ``due`` cases), baselines, the plans."""
    name = _name(db)
    log(f"{name}: preparing {due:,} cases due in ({(t - WINDOW).isoformat()}, {t.isoformat()}]")
    ids = prepare(db, t, due)
    with db.engine.connect() as conn:
        open_cases = int(
            conn.scalar(
                text(
                    "SELECT count(*) FROM cases"
                    " WHERE status IN ('received', 'in_progress', 'awaiting_supplement')"
                )
            )
            or 0
        )
        watched = int(conn.scalar(text("SELECT count(*) FROM cases WHERE watch_at IS NOT NULL")))

    def first_batch() -> None:
        with db.sessions() as session:
            sweep_batch(session, now=t, batch_size=jobs.SWEEP_BATCH)

    def sweep_select(sql: str) -> bool:
        return "FOR UPDATE" in sql and "FROM cases" in sql

    # The sweep's select as sweep_batch sends it, with the clock at T, then at T-60s.
    statement, plan_busy = explain_as_sent(db.engine, first_batch, sweep_select)
    _, plan_empty = explain_as_sent(
        db.engine,
        first_batch,
        sweep_select,
        params=lambda p: {k: t - WINDOW if isinstance(v, datetime) else v for k, v in p.items()},
    )
    # Warm-up (not counted): the first ticks of a process load the calendar and prepare
    # statements; a worker has done that long before a tick is timed.
    _empty_run(db, t - WINDOW, 20)
    _warm_calendars(db, t)
    empty: list[EmptyRun] = []
    busy: list[BusyRun] = []
    try:
        for run in range(1, runs + 1):
            empty.append(_empty_run(db, t - WINDOW, ticks))
            log(
                f"{name}: run {run}/{runs}: empty tick median {empty[-1].median_ms:.2f} ms "
                f"(SELECT 1 {empty[-1].baseline_median_ms:.2f} ms)"
            )
            busy.append(_busy_run(db, t, ids, due))
            log(
                f"{name}: run {run}/{runs}: {busy[-1].cases:,} due in {busy[-1].seconds:.2f} s, "
                f"{busy[-1].notices:,} notices; baseline {busy[-1].baseline_seconds:.2f} s"
            )
    finally:
        put_back(db, t)
    return SweepFigures(
        name, open_cases, watched, due, empty, busy, statement, plan_busy, plan_empty
    )
