"""Sending: dispatch throughput, due-instant-to-provider latency, and the processes' memory.

All three run the product's real processes (bench/workers_procs.py): ``celery -A workers worker
--concurrency 2`` (one node, two prefork pool processes, as docker-compose runs it), a private
``redis-server``, the Twilio stand-in and the SMTP sink each as a process of its own, and for the
latency ``celery -A workers beat`` with the real schedule. The database is the all-open watch
database of the sweep figure.

Throughput. The outbox gets ``notices`` pending rows, written by
``tracker.notices.outbox.notice_rows`` and ``insert_notices`` from real cases (``case_values``), 70%
SMS and 30% email, two thirds receipts and one third overdue notices, in batches of 1,000 sharing an
instant as a sweep writes them. The benchmark then plays beat's part, sending ``dispatch-notices``
to ``send-notices`` every second until every row is sent. Notices per second run from the first
``claimed_at`` to the last ``sent_at``. Baseline: the same number of messages, same mix and texts,
sent with the same clients (``TwilioSms``, ``SmtpEmail``) from two processes of 8 threads each,
without the database.

Latency. ``due`` open cases with a mobile number, told by SMS only, are made due within one
minute starting ``lead`` seconds after the processes are up; the time from each due instant to
the stand-in receiving that case's overdue SMS is the figure. Cases the seed left due before the
test ends are parked (their ``watch_at`` cleared) for the test and put back afterwards, so the
sweeps find only those cases.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection

from bench.common import log
from bench.core_closure import vacuum
from bench.workers_procs import Stack, children_of, rss_kib, started
from config.celery import Queues, TaskNames
from notifications.dispatch import Dispatcher
from notifications.render import render
from tracker.db import Database
from tracker.models import Case
from tracker.notices.links import console_url, status_url, survey_url
from tracker.notices.outbox import Addressees, insert_notices, notice_rows
from tracker.notices.values import case_values

SMS_SHARE = 0.7
OVERDUE_SHARE = 1 / 3
WRITE_BATCH = 1000  # rows sharing one created_at/not_before, as one sweep batch writes them
KICK_EVERY = 1.0  # seconds between dispatch tasks (beat sends one every 2 s)
BLAST_THREADS = 8  # the Dispatcher's default thread pool per batch
PUBLIC_BASE = "http://127.0.0.1:8000"  # only rendered into the baseline's texts
PARKED = "bench_latency_parked"
LATENCY_ORIGINAL = "bench_latency_original"
NUMBER = re.compile(r"\d{8}-\d{4,}")
FRAME_LINE = re.compile(r":\d+\)$")


# --- throughput ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchRun:
    """One outbox of notices sent by the workers, and the same mix sent without the database."""

    notices: int
    sms: int
    sent: int
    failed: int
    retries: int  # attempts beyond the first
    seconds: float  # first claimed_at to last sent_at
    standin_accepted: int
    sessions: int  # PostgreSQL sessions opened on the database during the run
    baseline_sent: int
    baseline_seconds: float

    @property
    def rate(self) -> float:
        """Notices sent per second."""
        return self.sent / self.seconds

    @property
    def baseline_rate(self) -> float:
        """Messages per second without the database."""
        return self.baseline_sent / self.baseline_seconds


@dataclass(frozen=True)
class DispatchFigures:
    runs: list[DispatchRun]
    claim_sql: str
    claim_plan: list[str]
    worker_rss_kib: list[tuple[str, int]]  # (process, KiB) after the runs
    worker_log: Path
    profile: str | None = None  # py-spy's view of a further, uncounted run

    @property
    def rate(self) -> float:
        """Median notices per second."""
        return statistics.median(r.rate for r in self.runs)

    @property
    def baseline_rate(self) -> float:
        """Median baseline messages per second."""
        return statistics.median(r.baseline_rate for r in self.runs)


def _pick_cases(conn: Connection, column: str, count: int, salt: str) -> list[int]:
    """``count`` open cases with ``column`` set, spread over the table (a salted hash order)."""
    return [
        int(i)
        for (i,) in conn.execute(
            text(
                f"SELECT id FROM cases WHERE {column} IS NOT NULL"
                " AND status IN ('received', 'in_progress', 'awaiting_supplement')"
                " ORDER BY md5(id::text || :salt) LIMIT :n"
            ),
            {"salt": salt, "n": count},
        )
    ]


def write_outbox(db: Database, total: int, salt: str) -> int:
    """``total`` pending notices from real cases, as the tracker writes them; returns SMS count."""
    rng = random.Random(salt)
    sms_count = round(total * SMS_SHARE)
    with db.engine.connect() as conn:
        phones = _pick_cases(conn, "applicant_phone", sms_count, salt)
        emails = _pick_cases(conn, "applicant_email", total - sms_count, salt)
    jobs = [(i, "sms") for i in phones] + [(i, "email") for i in emails]
    rng.shuffle(jobs)  # the mix arrives interleaved, not all SMS first
    for start in range(0, len(jobs), WRITE_BATCH):
        chunk = jobs[start : start + WRITE_BATCH]
        now = datetime.now(UTC)
        with db.transaction() as session:
            cases = {
                c.id: c
                for c in session.scalars(select(Case).where(Case.id.in_([i for i, _ in chunk])))
            }
            rows: list[dict[str, Any]] = []
            for case_id, channel in chunk:
                case = cases[case_id]
                values = case_values(case)
                kind = "receipt"
                if rng.random() < OVERDUE_SHARE:
                    kind = "overdue"
                    reason = case.service_version.overdue_reason
                    values["reason"] = reason.get(case.language) or reason.get("zh-TW") or ""
                    values["expected_completion"] = (date.today() + timedelta(days=5)).isoformat()
                address = case.applicant_phone if channel == "sms" else case.applicant_email
                rows += notice_rows(
                    Addressees.of(case),
                    kind,
                    trigger_at=now,
                    now=now,
                    values=values,
                    channels=[(channel, address)],
                )
            insert_notices(session, rows)
    return sms_count


class _Captured(Exception):
    """Stops the claim once its statement has been seen."""


def claim_plan(db: Database) -> tuple[str, list[str]]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of ``Dispatcher.claim`` as it is sent, rolled back."""
    sent: list[tuple[str, dict[str, Any]]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if statement.lstrip().startswith("UPDATE notices"):
            sent.append((statement, dict(params)))
            raise _Captured

    # claim() needs only the database and the clock.
    dispatcher = Dispatcher(db, None, None)  # type: ignore[arg-type]
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        dispatcher.claim(200)
    except _Captured:
        pass
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, params = sent[0]
    with db.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            plan = [str(row[0]) for row in cursor.fetchall()]
        conn.rollback()
    return statement, plan


def _texts(db: Database, path: Path) -> None:
    """One SMS and one email as the dispatcher renders them, for the baseline's sender."""
    with db.engine.connect() as conn:
        rows = {
            channel: (kind, language, payload)
            for channel, kind, language, payload in conn.execute(
                text(
                    "SELECT DISTINCT ON (channel) channel, kind, language, payload FROM notices"
                    " WHERE kind = 'receipt' AND language = 'zh-TW' ORDER BY channel, id"
                )
            )
        }
    rendered = {}
    for channel, (kind, language, payload) in rows.items():
        values = dict(payload)
        number = values["case_number"]
        values["status_url"] = status_url(PUBLIC_BASE, number)
        values["survey_url"] = survey_url(PUBLIC_BASE, number, "bench-secret")
        values["console_url"] = console_url(PUBLIC_BASE, number)
        rendered[channel] = render(kind, channel, language, values)
    sms, email = rendered["sms"], rendered["email"]
    path.write_text(
        json.dumps(
            {"sms": sms.sms, "subject": email.subject, "text": email.text, "html": email.html}
        )
    )


def _outbox_counts(db: Database) -> dict[str, Any]:
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE status IN ('sent', 'delivered')) AS sent,"
                " count(*) FILTER (WHERE status = 'failed') AS failed,"
                " count(*) FILTER (WHERE status IN ('pending', 'sending')) AS waiting,"
                " coalesce(sum(attempts - 1) FILTER (WHERE attempts > 1), 0) AS retries,"
                " min(claimed_at) AS first_claim, max(sent_at) AS last_sent"
                " FROM notices"
            )
        ).one()
    return dict(row._mapping)


@contextmanager
def kicking(redis_url: str, every: float) -> Iterator[None]:
    """Send ``dispatch-notices`` to its queue every ``every`` seconds, as beat would."""
    app = Celery("bench", broker=redis_url, set_as_current=False)
    stop = threading.Event()

    def kick() -> None:
        while not stop.is_set():
            app.send_task(TaskNames.DISPATCH, queue=Queues.SEND)
            stop.wait(every)

    thread = threading.Thread(target=kick, name="kick", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        app.close()


def _blast(stack: Stack, sms: int, email: int, texts: Path) -> tuple[int, float]:
    """The baseline: two sender processes; returns (messages accepted, seconds)."""
    start_at = time.time() + 5  # after both have imported the SDK
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                *("-m", "bench.workers_procs", "blast"),
                *("--sms", str(part_sms), "--email", str(part_email)),
                *("--threads", str(BLAST_THREADS), "--texts", str(texts)),
                *("--twilio-base", stack.standin_url, "--smtp-url", stack.smtp_url),
                *("--start-at", str(start_at)),
            ],
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.PIPE,
            text=True,
        )
        for part_sms, part_email in ((sms // 2, email // 2), (sms - sms // 2, email - email // 2))
    ]
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        results.append(json.loads(out.strip().splitlines()[-1]))
    sent = sum(r["sent"] for r in results)
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    return sent, seconds


def _sessions(db: Database) -> int:
    """Sessions ever opened on this database (PostgreSQL 14+): connection churn shows here."""
    with db.engine.connect() as conn:
        found = conn.scalar(
            text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        )
        conn.rollback()
    return int(found or 0)


def _clear_outbox(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM notices"))
    vacuum(db)


def measure_dispatch(
    db: Database, log_dir: Path, *, notices: int, runs: int, profile: bool = False
) -> DispatchFigures:
    """``runs`` outboxes of ``notices`` sent by one worker node of two processes."""
    _clear_outbox(db)
    texts = log_dir / "texts.json"
    results: list[DispatchRun] = []
    stack = Stack(db.url, log_dir / "dispatch")
    claim_sql, plan = "", []
    rss: list[tuple[str, int]] = []
    with started(stack, "redis", "standin", "smtp_sink", "worker"):
        for run in range(1, runs + 1):
            log(f"dispatch: run {run}/{runs}: writing {notices:,} notices")
            sms = write_outbox(db, notices, salt=f"run{run}")
            with db.engine.connect() as conn:  # autovacuum would have analysed a busy outbox
                conn.execute(text("ANALYZE notices"))
                conn.commit()
            if run == 1:
                claim_sql, plan = claim_plan(db)
                _texts(db, texts)
            stack.standin_reset()
            log(f"dispatch: run {run}/{runs}: sending ({sms:,} SMS)")
            sessions = _sessions(db)
            counts = _send_all(db, stack, notices)
            sessions = _sessions(db) - sessions
            seconds = (counts["last_sent"] - counts["first_claim"]).total_seconds()
            accepted = sum(1 for r in stack.standin_received() if r["status"] == 201)
            log(
                f"dispatch: run {run}/{runs}: {counts['sent']:,} sent in {seconds:.1f} s "
                f"({counts['sent'] / seconds:,.0f}/s), {counts['failed']} failed, "
                f"{counts['retries']} retries; baseline"
            )
            time.sleep(3)  # let the queued wake-ups drain: they find nothing and end at once
            stack.standin_reset()
            base_sent, base_seconds = _blast(stack, sms, notices - sms, texts)
            log(
                f"dispatch: run {run}/{runs}: baseline {base_sent:,} in {base_seconds:.1f} s "
                f"({base_sent / base_seconds:,.0f}/s)"
            )
            results.append(
                DispatchRun(
                    notices,
                    sms,
                    int(counts["sent"]),
                    int(counts["failed"]),
                    int(counts["retries"]),
                    seconds,
                    accepted,
                    sessions,
                    base_sent,
                    base_seconds,
                )
            )
            _clear_outbox(db)
        worker = next(c for c in stack.children if c.name == "worker")
        rss = [("worker (main)", rss_kib(worker.pid))]
        rss += [(f"worker (pool {i})", rss_kib(p)) for i, p in enumerate(children_of(worker.pid))]
        profiled = _profile_run(db, stack, worker.pid, notices) if profile else None
    return DispatchFigures(results, claim_sql, plan, rss, stack.log_dir / "worker.log", profiled)


def _send_all(db: Database, stack: Stack, total: int) -> dict[str, Any]:
    """Wake the workers every KICK_EVERY seconds until the outbox has nothing left to send."""
    deadline = time.monotonic() + max(300, total / 50)
    with kicking(stack.redis_url, KICK_EVERY):
        while True:
            counts = _outbox_counts(db)
            if counts["waiting"] == 0:
                return counts
            if time.monotonic() > deadline:
                raise RuntimeError(f"dispatch did not finish: {counts}")
            time.sleep(0.5)


def _profile_run(db: Database, stack: Stack, worker_pid: int, notices: int) -> str:
    """py-spy over the worker node (both pool processes) while it sends one more outbox.

    Two recorders at once, neither pausing the workers (``--nonblocking``): ``--idle`` samples
    every thread whether it runs or waits (where a notice's time goes: PostgreSQL, the providers),
    ``--gil`` only the thread holding the GIL (where the Python CPU goes, which bounds a process
    of 8 sending threads).
    """
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return "py-spy is not installed (`.venv/bin/pip install py-spy`): no profile"
    log("dispatch: profiled run (not counted)")
    write_outbox(db, notices, salt="profile")
    outputs = {mode: stack.log_dir / f"py-spy-{mode}.txt" for mode in ("idle", "gil")}
    spies = [
        subprocess.Popen(
            [
                spy,
                *("record", "--pid", str(worker_pid), "--subprocesses", "--nonblocking"),
                *("--rate", "100", "--format", "raw", "--output", str(path), f"--{mode}"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for mode, path in outputs.items()
    ]
    try:
        time.sleep(2)  # py-spy attaches
        _send_all(db, stack, notices)
    finally:
        for spy_process in spies:
            spy_process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for spy_process in spies:
            spy_process.wait(timeout=60)
    _clear_outbox(db)
    if not all(path.exists() for path in outputs.values()):
        return "py-spy wrote no profile"
    wall = summarise_profile(outputs["idle"], within="Dispatcher.deliver", own=False)
    cpu = summarise_profile(outputs["gil"], top=20)
    return (
        "Wall time of the sending threads (`--idle`, samples inside `Dispatcher.deliver`):\n\n"
        f"{wall}\nPython CPU (`--gil`, the thread holding the GIL):\n\n{cpu}"
    )


# Frames every sending thread has: they say nothing about where its time goes.
_GENERIC = ("(threading.py)", "(concurrent/futures/thread.py)")


def summarise_profile(
    raw: Path, *, within: str | None = None, top: int = 25, own: bool = True
) -> str:
    """Inclusive (and own) shares per function from py-spy's collapsed stacks, as markdown.

    ``within``: count only the samples whose stack holds this function.
    """
    inclusive: dict[str, int] = {}
    owned: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text or not count_text.isdigit():
            continue
        if within is not None and f";{within} (" not in stack_text:
            continue
        count = int(count_text)
        total += count
        # Frames are "function (file:line)"; with --subprocesses a process frame comes first.
        # Grouped by function and file, the line dropped.
        frames = [
            _short(FRAME_LINE.sub(")", f)) for f in stack_text.split(";") if FRAME_LINE.search(f)
        ]
        frames = [f for f in frames if not f.endswith(_GENERIC)]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        if frames:
            owned[frames[-1]] = owned.get(frames[-1], 0) + count
    if not total:
        return "py-spy recorded no samples\n"
    lines = [f"{total:,} samples.", ""]
    tables = [("inclusive", inclusive)] + ([("own", owned)] if own else [])
    for title, table in tables:
        lines += [f"| function ({title}) | share |", "|---|---:|"]
        for frame, count in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"| `{frame}` | {count / total:.1%} |")
        lines.append("")
    return "\n".join(lines)


def _short(frame: str) -> str:
    """``send_sms (notifications/channels/twilio_sms.py)``: paths from the checkout or site."""
    for marker in ("site-packages/", "/lib/python3.11/", str(Path(__file__).parents[1]) + "/"):
        if marker in frame:
            head, _, tail = frame.partition("(")
            return f"{head}({tail.split(marker, 1)[1]}"
    return frame


# --- latency ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencyRun:
    """One minute of ``cases`` due instants, each to its SMS reaching the stand-in (seconds)."""

    cases: int
    received: int
    parked: int
    total: list[float]  # due instant -> stand-in received the SMS
    to_notice: list[float]  # due instant -> the sweep wrote the notice (created_at)
    to_sent: list[float]  # notice written -> dispatcher stamped it sent (sent_at)

    @staticmethod
    def pct(values: list[float], share: float) -> float:
        """The ``share`` percentile (nearest rank)."""
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _park(db: Database, until: datetime) -> int:
    """Clear ``watch_at`` of every case the seed left due before ``until`` (kept aside)."""
    with db.engine.begin() as conn:
        if conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": PARKED}):
            _unpark_in(conn)
        conn.execute(
            text(
                f"CREATE UNLOGGED TABLE {PARKED} AS SELECT id, watch_at FROM cases"
                " WHERE watch_at <= :until"
            ),
            {"until": until},
        )
        parked = int(conn.scalar(text(f"SELECT count(*) FROM {PARKED}")) or 0)
        conn.execute(text(f"UPDATE cases c SET watch_at = NULL FROM {PARKED} p WHERE c.id = p.id"))
    return parked


def _unpark_in(conn: Connection) -> None:
    conn.execute(
        text(f"UPDATE cases c SET watch_at = p.watch_at FROM {PARKED} p WHERE c.id = p.id")
    )
    conn.execute(text(f"DROP TABLE {PARKED}"))


def _choose_latency_cases(db: Database, count: int) -> list[int]:
    """Running cases with a mobile number and no open pause; their rows kept as they were."""
    with db.engine.begin() as conn:
        if conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": LATENCY_ORIGINAL}):
            _restore_latency_cases(conn)
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
        conn.execute(
            text(
                f"CREATE UNLOGGED TABLE {LATENCY_ORIGINAL} AS SELECT * FROM cases"
                " WHERE id = ANY(:ids)"
            ),
            {"ids": ids},
        )
    return ids


def _restore_latency_cases(conn: Connection) -> None:
    columns = [
        name
        for (name,) in conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'cases' AND column_name <> 'id' ORDER BY ordinal_position"
            )
        )
    ]
    conn.execute(
        text(
            f"UPDATE cases c SET ({', '.join(columns)}) = "
            f"({', '.join(f's.{name}' for name in columns)})"
            f" FROM {LATENCY_ORIGINAL} s WHERE c.id = s.id"
        )
    )
    conn.execute(text(f"DROP TABLE {LATENCY_ORIGINAL}"))


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


def _undo_latency_run(db: Database, since: datetime) -> None:
    """Put the chosen cases back as they were; delete what the run wrote."""
    with db.engine.begin() as conn:
        columns = [
            name
            for (name,) in conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = 'cases' AND column_name <> 'id' ORDER BY ordinal_position"
                )
            )
        ]
        conn.execute(
            text(
                f"UPDATE cases c SET ({', '.join(columns)}) = "
                f"({', '.join(f's.{name}' for name in columns)})"
                f" FROM {LATENCY_ORIGINAL} s WHERE c.id = s.id"
            )
        )
        conn.execute(text("DELETE FROM notices WHERE created_at >= :s"), {"s": since})
        conn.execute(
            text("DELETE FROM case_events WHERE actor = 'system:watch' AND at >= :s"),
            {"s": since},
        )
    vacuum(db)


def _latency_run(
    db: Database, ids: list[int], log_dir: Path, *, lead: float, spread: float, parked: int
) -> LatencyRun:
    since = datetime.now(UTC)
    stack = Stack(db.url, log_dir)
    with started(stack, "redis", "standin", "smtp_sink", "worker", "beat"):
        up = datetime.now(UTC)
        start = up + timedelta(seconds=lead)
        _make_due(db, ids, start, timedelta(seconds=spread))
        log(f"latency: processes up at {up:%H:%M:%S}; {len(ids):,} cases due from {start:%H:%M:%S}")
        deadline = time.monotonic() + lead + spread + 600
        while True:
            with db.engine.connect() as conn:
                done = int(
                    conn.scalar(
                        text(
                            "SELECT count(*) FROM notices WHERE kind = 'overdue'"
                            " AND channel = 'sms' AND status IN ('sent', 'delivered', 'failed')"
                            " AND created_at >= :s"
                        ),
                        {"s": since},
                    )
                    or 0
                )
            if done >= len(ids):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done:,} of {len(ids):,} overdue SMS went out")
            time.sleep(1)
        received = stack.standin_received()
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.number, c.due_at, n.created_at, n.sent_at FROM cases c"
                " JOIN notices n ON n.case_id = c.id AND n.kind = 'overdue' AND n.channel = 'sms'"
                " WHERE c.id = ANY(:ids) AND n.created_at >= :s"
            ),
            {"ids": ids, "s": since},
        ).all()
    due = {number: due_at for number, due_at, _, _ in rows}
    total: list[float] = []
    for message in received:
        if message["status"] != 201:
            continue
        match = NUMBER.search(message.get("body") or "")
        if match and match.group(0) in due:
            at = datetime.fromisoformat(message["at"])
            total.append((at - due.pop(match.group(0))).total_seconds())
    to_notice = [(created - due_at).total_seconds() for _, due_at, created, _ in rows]
    to_sent = [(sent - created).total_seconds() for _, _, created, sent in rows if sent]
    _undo_latency_run(db, since)
    return LatencyRun(len(ids), len(total), parked, total, to_notice, to_sent)


def measure_latency(
    db: Database, log_dir: Path, *, cases: int, runs: int, lead: float, spread: float
) -> list[LatencyRun]:
    """``runs`` of ``cases`` due in one minute, each with fresh processes."""
    # Park everything the seed left due before the last run can end (generously).
    until = datetime.now(UTC) + timedelta(seconds=runs * (lead + spread + 900) + 3600)
    parked = _park(db, until)
    log(f"latency: parked {parked:,} cases the seed left due before {until:%Y-%m-%d %H:%M}")
    results = []
    try:
        ids = _choose_latency_cases(db, cases)
        vacuum(db)
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
            if conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": LATENCY_ORIGINAL}):
                _restore_latency_cases(conn)
            if conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": PARKED}):
                _unpark_in(conn)
        vacuum(db)
    return results


# --- memory ----------------------------------------------------------------------------------


def web_memory(db: Database, log_dir: Path, settle: float = 5.0) -> list[tuple[str, int]]:
    """RSS of ``gunicorn "web:create_app()" --workers 2``, idle, master and workers (KiB)."""
    stack = Stack(db.url, log_dir / "web")
    with started(stack, "redis", "web"):
        time.sleep(settle)
        web = next(c for c in stack.children if c.name == "web")
        found = [("gunicorn (master)", rss_kib(web.pid))]
        workers = children_of(web.pid)
        found += [(f"gunicorn (worker {i})", rss_kib(p)) for i, p in enumerate(workers)]
    return found
