"""Dispatch throughput, and the started parts the sending figures share (bench/workers_latency.py).

The sending figures run the product's real processes through the tests' harness
(tests/support/processes.py): ``celery -A workers worker --concurrency 2`` (one node, two
prefork pool processes, as docker-compose runs it), a private ``redis-server``, the Twilio
stand-in and the SMTP sink each as a process of its own (no provider shares a GIL with the
benchmark), and for the latency ``celery -A workers beat`` with the real schedule.

Throughput. The outbox gets ``notices`` pending rows written by
``tracker.notices.outbox.notice_rows``/``insert_notices`` from real cases, 70% SMS and 30% email,
two thirds receipts and one third overdue notices (their text from
``tracker.watch.overdue.OverdueAccount``), in batches of 1,000 sharing an instant as a sweep
writes them. The benchmark plays beat's part, sending ``dispatch-notices`` every second until
every row is sent. Baseline: the same messages through the same clients without the database
(bench/dispatch_baseline.py, two processes).
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from bench import pyspy
from bench.common import ROOT, explain_as_sent, log, vacuum
from config.celery import Queues, TaskNames
from notifications.dispatch import Dispatcher
from notifications.render import render
from tests.support.processes import Processes, child_env, children_of, free_port, rss_kib
from tests.support.servers import RedisServer
from tracker.db import Database
from tracker.models import Case
from tracker.notices.links import console_url, status_url, survey_url
from tracker.notices.outbox import Addressees, insert_notices, notice_rows
from tracker.notices.values import case_values
from tracker.watch.overdue import OverdueAccount

SMS_SHARE = 0.7
OVERDUE_SHARE = 1 / 3
WRITE_BATCH = 1000  # rows sharing one created_at/not_before, as one sweep batch writes them
KICK_EVERY = 1.0  # seconds between dispatch tasks
PUBLIC_BASE = "http://127.0.0.1:8000"  # only rendered into the baseline's texts


@dataclass
class Stack:
    """The started parts: the processes, Redis, and where the stand-ins listen."""

    processes: Processes
    redis: RedisServer
    twilio_base: str
    smtp_url: str

    def received(self) -> list[dict[str, Any]]:
        """Everything the Twilio stand-in received."""
        with urllib.request.urlopen(f"{self.twilio_base}/_standin/received", timeout=60) as r:
            found: list[dict[str, Any]] = json.load(r)
        return found

    def reset(self) -> None:
        """Make the stand-in forget what it received (it keeps everything in memory)."""
        request = urllib.request.Request(f"{self.twilio_base}/_standin/reset", data=b"{}")
        urllib.request.urlopen(request, timeout=30).close()


@contextmanager
def started(
    db: Database, log_dir: Path, *, worker: bool = True, beat: bool = False
) -> Iterator[Stack]:
    """Redis, both stand-ins, the worker (and beat); all stopped on the way out."""
    redis = RedisServer(log_dir / "redis").start()
    twilio_port, smtp_port = free_port(), free_port()
    env = child_env(
        database_url=db.url,
        redis_url=redis.url,
        twilio_api_base=f"http://127.0.0.1:{twilio_port}",
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        web_port=free_port(),
        instance=log_dir / "instance",
    )
    processes = Processes(env, log_dir)
    try:
        processes.standin("tests.support.twilio_standin", port=twilio_port)
        processes.standin("tests.support.smtp_sink", port=smtp_port)
        if worker:
            processes.worker()
        if beat:
            processes.beat()
        yield Stack(processes, redis, env["TWILIO_API_BASE"], env["SMTP_URL"])
    finally:
        processes.close()
        redis.stop()


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
    profile: str | None = None  # py-spy's view of a further, uncounted run

    @property
    def rate(self) -> float:
        """Median notices per second."""
        return statistics.median(r.rate for r in self.runs)

    @property
    def baseline_rate(self) -> float:
        """Median baseline messages per second."""
        return statistics.median(r.baseline_rate for r in self.runs)


def write_outbox(db: Database, total: int, salt: str) -> int:
    """``total`` pending notices from real cases, as the tracker writes them; the SMS count."""
    rng = random.Random(salt)
    sms_count = round(total * SMS_SHARE)
    with db.engine.connect() as conn:
        jobs = [(i, "sms") for i in _pick(conn, "applicant_phone", sms_count, salt)]
        jobs += [(i, "email") for i in _pick(conn, "applicant_email", total - sms_count, salt)]
    rng.shuffle(jobs)  # the mix arrives interleaved, not all SMS first
    promised = date.today() + timedelta(days=5)
    for start in range(0, len(jobs), WRITE_BATCH):
        chunk = jobs[start : start + WRITE_BATCH]
        now = datetime.now(UTC)
        with db.transaction() as session:
            ids = [i for i, _ in chunk]
            cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
            rows: list[dict[str, Any]] = []
            for case_id, channel in chunk:
                case = cases[case_id]
                values, kind = case_values(case), "receipt"
                if rng.random() < OVERDUE_SHARE:
                    kind = "overdue"
                    reason = case.service_version.overdue_reason
                    account = OverdueAccount(None, reason, promised, date_is_default=True)
                    values |= account.values(case.language)
                address = case.applicant_phone if channel == "sms" else case.applicant_email
                rows += notice_rows(
                    Addressees.of(case), kind, trigger_at=now, now=now, values=values,
                    channels=[(channel, address)],
                )  # fmt: skip
            insert_notices(session, rows)
    return sms_count


def _pick(conn: Connection, column: str, count: int, salt: str) -> list[int]:
    """``count`` open cases with ``column`` set, spread over the table (a salted hash order)."""
    rows = conn.execute(
        text(
            f"SELECT id FROM cases WHERE {column} IS NOT NULL"
            " AND status IN ('received', 'in_progress', 'awaiting_supplement')"
            " ORDER BY md5(id::text || :salt) LIMIT :n"
        ),
        {"salt": salt, "n": count},
    )
    return [int(i) for (i,) in rows]


def _texts(db: Database, path: Path) -> None:
    """One SMS and one email as the dispatcher renders them, for the baseline's sender."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT ON (channel) channel, kind, language, payload FROM notices"
                " WHERE kind = 'receipt' AND language = 'zh-TW' ORDER BY channel, id"
            )
        ).all()
    rendered = {}
    for channel, kind, language, payload in rows:
        values, number = dict(payload), payload["case_number"]
        values["status_url"] = status_url(PUBLIC_BASE, number)
        values["survey_url"] = survey_url(PUBLIC_BASE, number, "bench-secret")
        values["console_url"] = console_url(PUBLIC_BASE, number)
        rendered[channel] = render(kind, channel, language, values)
    sms, email = rendered["sms"], rendered["email"]
    texts = {"sms": sms.sms, "subject": email.subject, "text": email.text, "html": email.html}
    path.write_text(json.dumps(texts))


def _outbox(db: Database) -> dict[str, Any]:
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE status IN ('sent', 'delivered')) AS sent,"
                " count(*) FILTER (WHERE status = 'failed') AS failed,"
                " count(*) FILTER (WHERE status IN ('pending', 'sending')) AS waiting,"
                " coalesce(sum(attempts - 1) FILTER (WHERE attempts > 1), 0) AS retries,"
                " min(claimed_at) AS first_claim, max(sent_at) AS last_sent,"
                " (SELECT sessions FROM pg_stat_database WHERE datname = current_database())"
                "   AS sessions"
                " FROM notices"
            )
        ).one()
    return dict(row._mapping)


def _send_all(db: Database, redis_url: str, total: int) -> dict[str, Any]:
    """Send ``dispatch-notices`` every KICK_EVERY seconds, as beat would, until all are sent."""
    app = Celery("bench", broker=redis_url, set_as_current=False)
    stop = threading.Event()

    def kick() -> None:
        while not stop.is_set():
            app.send_task(TaskNames.DISPATCH, queue=Queues.SEND)
            stop.wait(KICK_EVERY)

    thread = threading.Thread(target=kick, name="kick", daemon=True)
    thread.start()
    deadline = time.monotonic() + max(300, total / 50)
    try:
        while (counts := _outbox(db))["waiting"]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"dispatch did not finish: {counts}")
            time.sleep(0.5)
        return counts
    finally:
        stop.set()
        thread.join(timeout=10)
        app.close()


def _baseline(stack: Stack, sms: int, email: int, texts: Path) -> tuple[int, float]:
    """Two sender processes without the database; (messages accepted, seconds)."""
    start_at = time.time() + 5  # after both have imported the SDK
    halves = ((sms // 2, email // 2), (sms - sms // 2, email - email // 2))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.dispatch_baseline",
                "--sms",
                str(part_sms),
                "--email",
                str(part_email),
                "--texts",
                str(texts),
                "--twilio-base",
                stack.twilio_base,
                "--smtp-url",
                stack.smtp_url,
                "--start-at",
                str(start_at),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for part_sms, part_email in halves
    ]
    results = [json.loads(p.communicate(timeout=600)[0].splitlines()[-1]) for p in procs]
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    return sum(r["sent"] for r in results), seconds


def _clear_outbox(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM notices"))
    vacuum(db.url)


def measure_dispatch(
    db: Database, log_dir: Path, *, notices: int, runs: int, profile: bool
) -> DispatchFigures:
    """``runs`` outboxes of ``notices`` sent by one worker node of two processes."""
    _clear_outbox(db)
    texts, results = log_dir / "texts.json", []
    claim_sql, plan = "", []
    with started(db, log_dir / "dispatch") as stack:
        for run in range(1, runs + 1):
            log(f"dispatch: run {run}/{runs}: writing {notices:,} notices")
            sms = write_outbox(db, notices, salt=f"run{run}")
            with db.engine.connect() as conn:  # autovacuum would have analysed a busy outbox
                conn.execute(text("ANALYZE notices"))
                conn.commit()
            if run == 1:
                dispatcher = Dispatcher(db, None, None)  # type: ignore[arg-type]  # claims only
                claim_sql, plan = explain_as_sent(
                    db.engine,
                    partial(dispatcher.claim, 200),
                    lambda sql: sql.lstrip().startswith("UPDATE notices"),
                )
                _texts(db, texts)
            stack.reset()
            log(f"dispatch: run {run}/{runs}: sending ({sms:,} SMS)")
            sessions = _outbox(db)["sessions"]
            counts = _send_all(db, stack.redis.url, notices)
            seconds = (counts["last_sent"] - counts["first_claim"]).total_seconds()
            accepted = sum(1 for r in stack.received() if r["status"] == 201)
            time.sleep(3)  # let the queued wake-ups drain: they find nothing and end at once
            stack.reset()
            base_sent, base_seconds = _baseline(stack, sms, notices - sms, texts)
            result = DispatchRun(
                notices, sms, int(counts["sent"]), int(counts["failed"]),
                int(counts["retries"]), seconds, accepted,
                int(counts["sessions"] - sessions), base_sent, base_seconds,
            )  # fmt: skip
            results.append(result)
            log(
                f"dispatch: run {run}/{runs}: {result.sent:,} sent in {seconds:.1f} s "
                f"({result.rate:,.0f}/s), {result.failed} failed, {result.retries} retries; "
                f"baseline {result.baseline_rate:,.0f}/s"
            )
            _clear_outbox(db)
        worker = next(c for c in stack.processes.children if c.name == "worker")
        rss = [("worker (main)", rss_kib(worker.pid))]
        rss += [(f"worker (pool {i})", rss_kib(p)) for i, p in enumerate(children_of(worker.pid))]
        profiled = _profile_run(db, stack, worker.pid, notices, log_dir) if profile else None
    return DispatchFigures(results, claim_sql, plan, rss, profiled)


def _profile_run(db: Database, stack: Stack, pid: int, notices: int, folder: Path) -> str:
    """py-spy over the worker node while it sends one more outbox (not counted): ``--idle``
    for where a notice's time goes (PostgreSQL, the providers), ``--gil`` for the Python CPU,
    which bounds a process of sending threads."""
    log("dispatch: profiled run (not counted)")
    write_outbox(db, notices, salt="profile")
    with pyspy.recording(pid, folder, ("idle", "gil")) as outputs:
        _send_all(db, stack.redis.url, notices)
    _clear_outbox(db)
    wall = pyspy.summarise(outputs["idle"], within="Sender.attempt")
    cpu = pyspy.summarise(outputs["gil"], within="dispatch_notices", top=20, own=True)
    return (
        "Wall time of the sending threads (`--idle`, samples inside `Sender.attempt`):\n\n"
        f"{wall}\nPython CPU (`--gil`, the thread holding the GIL, inside the "
        f"`dispatch_notices` task):\n\n{cpu}"
    )
