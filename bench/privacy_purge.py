"""The retention purge at 1,000,000 cases, 100,000 of them past retention, with baselines.

Run: ``.venv/bin/python bench/privacy_purge.py [--cases N] [--expired N] [--runs 3]``. Prints a
markdown section for BENCHMARKS.md on stdout; progress goes to stderr.

The database is ``tracker_bench_purge`` (its own: a run erases rows), seeded by bench/seed.py
when missing or stale (30% of the cases open), then given what the purge also erases and the
seed does not write: one receipt per case and a survey answer for one completed case in ten
(bench/web_reports.py's ``add_notices_and_surveys``, through ``tracker.notices.outbox``), a
closing event with a note for every closed case and a comment on a third of the answers.

The seed's cases closed within the last 18 months and every service of the demo catalogue keeps
the default five years. The purge therefore runs "five years later": at the instant whose
cutoff (``tracker.cases.retention.retention_cutoff``) is the closing of the ``--expired``-th
oldest closed case, so that exactly the ``--expired`` oldest are past retention. Timed: the
whole ``purge(database, now)``, in its committed batches of 5,000. Baselines in the same run, on
the same rows: ``SELECT count(*)`` of them through the partial index the purge reads, and one
plain ``UPDATE cases SET applicant_phone = NULL`` of them in a single statement (rolled back).
After each run the rows are put back from unlogged snapshots (also after an interrupted run),
the audit entries removed, and the tables vacuumed. Target ≤ 30 s (issue 15).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import Connection, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from bench import summary
from bench.common import (
    bench_url,
    copy_back,
    database_name,
    has_table,
    header,
    libpq_url,
    log,
    snapshot,
    vacuum,
    wait_for_quiet,
)
from bench.seed import OPEN_SHARE, ensure_seeded
from bench.web_reports import add_notices_and_surveys
from tracker.cases.retention import PERSONAL_DATA_PURGED, PurgeReport, purge, retention_cutoff
from tracker.catalogue.specs import DEFAULT_RETENTION
from tracker.db import Database
from tracker.deadlines.timezones import TAIPEI

TARGET_S = 30.0
ACTOR = "import:bench-purge"
CASES, EVENTS, NOTICES, SURVEYS = (
    "bench_purge_cases",
    "bench_purge_events",
    "bench_purge_notices",
    "bench_purge_surveys",
)

CLOSING_NOTES_SQL = f"""
INSERT INTO case_events (case_id, at, actor, kind, from_status, to_status, public, note, data)
SELECT id, closed_at, '{ACTOR}', 'completed', 'in_progress', status, true,
       '結果：已通知申請人' || applicant_name || '，電話 ' || coalesce(applicant_phone, '—'), '{{}}'
FROM cases WHERE closed_at IS NOT NULL
"""
COMMENTS_SQL = "UPDATE survey_responses SET comment = '承辦人很親切，謝謝' WHERE id % 3 = 0"
HELD = "closed_at IS NOT NULL AND personal_data_erased_at IS NULL"


def add_free_text(url: str) -> None:
    """Closing notes and survey comments, once per seed (what the purge erases besides cases)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        done = conn.execute("SELECT 1 FROM case_events WHERE actor = %s LIMIT 1", (ACTOR,))
        if done.fetchone():
            return
        log("  closing notes for the closed cases, comments on a third of the answers")
        with conn.transaction():
            conn.execute(CLOSING_NOTES_SQL)
            conn.execute(COMMENTS_SQL)
        conn.execute("VACUUM (ANALYZE) case_events, survey_responses")


def purge_instant(conn: Connection, expired: int) -> tuple[datetime, list[int]]:
    """The instant at which the ``expired`` oldest closed cases are past five years, and their ids.

    Every service keeps the default retention (checked), so the cutoff is the same for all.
    """
    kept = conn.scalar(text("SELECT count(*) FROM service_versions WHERE retention <> :r"),
                       {"r": str(DEFAULT_RETENTION)})  # fmt: skip
    assert kept == 0, "the bench expects every service at the default retention"
    rows = conn.execute(
        text(f"SELECT id, closed_at FROM cases WHERE {HELD} ORDER BY closed_at LIMIT :n"),
        {"n": expired + 1},
    ).all()
    local = rows[-1].closed_at.astimezone(TAIPEI)
    # Five years on, on the Taipei calendar (29 February has no anniversary: the 28th).
    day = 28 if (local.month, local.day) == (2, 29) else local.day
    now = local.replace(year=local.year + DEFAULT_RETENTION.amount, day=day).astimezone(UTC)
    cutoff = retention_cutoff(now, DEFAULT_RETENTION)
    return now, [row.id for row in rows if row.closed_at < cutoff]


def take_snapshots(conn: Connection, ids: list[int]) -> None:
    """Keep what a purge of ``ids`` changes, in unlogged tables."""
    snapshot(conn, CASES, ids)
    for table, source, columns in (
        (EVENTS, "case_events", "id, note"),
        (NOTICES, "notices", "id, recipient, payload, rendered, done_note"),
        (SURVEYS, "survey_responses", "id, comment"),
    ):
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        conn.execute(
            text(f"CREATE UNLOGGED TABLE {table} AS SELECT {columns} FROM {source}"
                 " WHERE case_id = ANY(:ids)"),
            {"ids": ids},
        )  # fmt: skip


def restore(conn: Connection) -> None:
    """Put back what a purge changed, from the snapshots (this run's or an interrupted one's)."""
    if not has_table(conn, CASES):
        return
    copy_back(conn, CASES, changed_only=True)
    conn.execute(text(f"UPDATE case_events e SET note = s.note FROM {EVENTS} s WHERE e.id = s.id"))
    conn.execute(
        text(
            f"UPDATE notices n SET recipient = s.recipient, payload = s.payload, rendered ="
            f" s.rendered, done_note = s.done_note FROM {NOTICES} s WHERE n.id = s.id"
        )
    )
    conn.execute(
        text(
            f"UPDATE survey_responses r SET comment = s.comment FROM {SURVEYS} s WHERE r.id = s.id"
        )
    )
    conn.execute(text("DELETE FROM audit_log WHERE action = :a"), {"a": PERSONAL_DATA_PURGED})
    for table in (CASES, EVENTS, NOTICES, SURVEYS):
        conn.execute(text(f"DROP TABLE {table}"))


def baselines(db: Database, cutoff_ids: list[int], cutoff: datetime) -> tuple[float, float]:
    """Seconds for a count of the rows through the partial index, and a one-column UPDATE."""
    with db.engine.connect() as conn:
        started = time.perf_counter()
        counted = conn.scalar(
            text(f"SELECT count(*) FROM cases WHERE {HELD} AND closed_at < :c"), {"c": cutoff}
        )
        count_s = time.perf_counter() - started
        assert counted == len(cutoff_ids), (counted, len(cutoff_ids))
        conn.rollback()
        started = time.perf_counter()
        conn.execute(
            text(f"UPDATE cases SET applicant_phone = NULL WHERE {HELD} AND closed_at < :c"),
            {"c": cutoff},
        )
        update_s = time.perf_counter() - started
        conn.rollback()
    return count_s, update_s


def one_run(url: str, db: Database, now: datetime, ids: list[int]) -> tuple[float, PurgeReport]:
    """Snapshot, purge (timed), check, put back, vacuum."""
    with db.engine.begin() as conn:
        take_snapshots(conn, ids)
    last_logged = [time.perf_counter()]

    def progress(report: PurgeReport) -> None:
        if time.perf_counter() - last_logged[0] > 5:
            log(f"    {report.total:,} erased")
            last_logged[0] = time.perf_counter()

    started = time.perf_counter()
    report = purge(db, now, progress=progress)
    seconds = time.perf_counter() - started
    assert report.total == len(ids), (report.total, len(ids))
    with db.engine.begin() as conn:
        restore(conn)
    vacuum(url)
    return seconds, report


def main() -> None:
    """Seed if needed, measure, print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the database")
    parser.add_argument("--expired", type=int, default=100_000, help="of which past retention")
    parser.add_argument("--runs", type=int, default=3, help="timed purges")
    parser.add_argument("--reseed", action="store_true", help="seed the database again")
    parser.add_argument("--wait-quiet", type=float, default=600.0, help="s to wait for quiet")
    args = parser.parse_args()
    started = time.perf_counter()
    url = bench_url("_purge")
    open_ = round(args.cases * OPEN_SHARE)
    record, seeded_now = ensure_seeded(url, cases=args.cases, open_=open_, force=args.reseed)
    notices, surveys, _ = add_notices_and_surveys(url)
    add_free_text(url)
    db = Database(url)
    with db.engine.begin() as conn:
        restore(conn)  # what an interrupted run left
        now, ids = purge_instant(conn, args.expired)
    cutoff = retention_cutoff(now, DEFAULT_RETENTION)
    vacuum(url)
    quiet = wait_for_quiet(args.wait_quiet)
    times, counts, updates = [], [], []
    for run in range(args.runs):
        count_s, update_s = baselines(db, ids, cutoff)
        counts.append(count_s)
        updates.append(update_s)
        log(f"  run {run + 1}: purging {len(ids):,} cases")
        seconds, report = one_run(url, db, now, ids)
        log(f"  run {run + 1}: {seconds:,.1f} s in {report.batches} batches")
        times.append(seconds)
    db.dispose()

    purge_s, update_s = statistics.median(times), statistics.median(updates)
    header(f"Retention purge at {args.cases:,} cases", started, url=url, quiet=quiet)
    print(
        f"- data: `{database_name(url)}`, {record.cases:,} cases ({record.open:,} open), seeded by "
        f"bench/seed.py {'in this run' if seeded_now else 'on ' + record.seeded_at[:10]}; "
        f"{notices:,} notices, {surveys:,} survey answers, a closing note per closed case"
    )
    print(
        f"- purge: `tracker.cases.retention.purge` at {now.isoformat()} (five years after the "
        f"{len(ids):,}th oldest closing): {len(ids):,} cases past retention, erased in batches "
        f"of 5,000 committed each; median of {args.runs} runs (min–max), rows put back between"
    )
    print()
    print("| what | s |")
    print("|---|---:|")
    print(f"| purge of {len(ids):,} cases (cases, notes, notices, surveys, audit) | "
          f"{summary.spread(times)} |")  # fmt: skip
    print(f"| baseline: `UPDATE cases SET applicant_phone = NULL` of the same rows | "
          f"{summary.spread(updates)} |")  # fmt: skip
    print(f"| baseline: `SELECT count(*)` of the same rows | {summary.spread(counts, '.3f')} |")
    print()
    print(
        f"Purge: **{purge_s:,.1f} s** ({'meets' if purge_s <= TARGET_S else 'MISSES'} the target "
        f"of {TARGET_S:,.0f} s), {purge_s / update_s:.1f}× one UPDATE of one column of the same "
        "rows in the same run."
    )
    summary.record(
        "#15",
        f"retention purge, {len(ids):,} expired at {args.cases:,} cases",
        times,
        "s",
        target=f"≤ {TARGET_S:,.0f} s",
        meets=purge_s <= TARGET_S,
        ratio=purge_s / update_s,
        baseline="one `UPDATE` of one column of the same rows",
    )


if __name__ == "__main__":
    main()
