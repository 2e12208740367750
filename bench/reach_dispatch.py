"""Dispatch through 三竹 Mitake and through LINE, each to its stand-in, with 2 worker processes.

``measure_dispatch(url, channel, notices, log_dir)`` (bench/reach.py runs it): ``url`` names a
PostgreSQL database of its own (made afresh, migrated and filled here). The outbox gets
``--notices`` pending overdue notices, written by ``notice_rows``/``insert_notices`` for cases
whose applicants chose SMS (Mitake) or bound LINE, a thousand sharing an instant as a sweep
writes them. The product's ``celery -A workers worker --concurrency 2`` (one node, two prefork
processes, through the tests' process harness) sends them; the benchmark plays beat's part,
sending ``dispatch-notices`` every second until none is left. The stand-in runs as a process of
its own (``python -m tests.support.mitake_standin`` / ``line_standin``). Baseline, in the same
run: the same number of messages through the same clients, from two processes of 8 threads
each, without the database (bench/reach_baseline.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from celery import Celery
from sqlalchemy import func, select, text

from bench.seed import recreate_database
from config.celery import Queues, TaskNames
from tests.conftest import DATA
from tests.factories import create_case
from tests.support.line_standin import ACCESS_TOKEN, CHANNEL_SECRET
from tests.support.mitake_standin import PASSWORD, USERNAME
from tests.support.processes import Processes, free_port, wait_until
from tests.support.servers import RedisServer
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.db import Database
from tracker.migrate import upgrade
from tracker.models import Notice
from tracker.notices.outbox import Addressees, insert_notices, notice_rows
from tracker.notices.values import case_values

BATCH = 1000
CASES = 200  # notices are spread over these; each (case, trigger instant) is one notice
ROOT = Path(__file__).resolve().parents[1]


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
                addressees[case_id],
                "overdue",
                trigger_at=at + timedelta(microseconds=n),
                now=at,
                values=values[case_id],
            )
        with db.transaction() as session:
            insert_notices(session, rows)


def _left(db: Database) -> int:
    with db.transaction() as session:
        return int(
            session.scalar(select(func.count()).where(Notice.status.in_(("pending", "sending"))))
            or 0
        )


def _kick(redis_url: str, stop: threading.Event) -> None:
    app = Celery("bench", broker=redis_url, set_as_current=False)
    while not stop.wait(1.0):
        app.send_task(TaskNames.DISPATCH, queue=Queues.SEND)


def _baseline(channel: str, base: str, total: int) -> float:
    """Messages a second through the clients alone: two processes of 8 threads."""
    start_at = time.time() + 3
    half = total // 2
    senders = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.reach_baseline",
                "--channel",
                channel,
                "--count",
                str(half),
                "--base",
                base,
                "--offset",
                str(1_000_000 + i * half),
                "--start-at",
                str(start_at),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    results = [json.loads(p.communicate(timeout=600)[0]) for p in senders]
    sent = sum(r["sent"] for r in results)
    return sent / (max(r["end"] for r in results) - min(r["start"] for r in results))


def measure_dispatch(url: str, channel: str, notices: int, log_dir: Path) -> dict[str, float]:
    """Fill the outbox, send it with the worker, then the baseline: the figures."""
    recreate_database(url)  # a database of its own, afresh: no two runs meet
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        catalogue = read_catalogue(DATA / "test-catalogue.yaml")
        load_catalogue(session, catalogue, now=datetime.now(UTC))
    write_outbox(db, channel, notices)
    redis = RedisServer(log_dir / "redis").start()
    port = free_port()
    module = "mitake_standin" if channel == "mitake" else "line_standin"
    base = f"http://127.0.0.1:{port}" + ("/api/mtk" if channel == "mitake" else "")
    env = {
        "DATABASE_URL": url.replace("postgresql+psycopg://", "postgresql://"),
        "REDIS_URL": redis.url,
        "TRACKER_INSTANCE": str(log_dir / "instance"),
        "SECRET_KEY": "bench-" + "r" * 40,
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "SMS_QUIET_HOURS": "",
        "PATH": "/usr/bin:/bin",
        "MITAKE_USERNAME": USERNAME,
        "MITAKE_PASSWORD": PASSWORD,
        "MITAKE_API_BASE": f"http://127.0.0.1:{port}/api/mtk",
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE": f"http://127.0.0.1:{port}",
    }
    processes = Processes(env, log_dir)
    stop = threading.Event()
    try:
        # Mitake's delivery reports would go to a web process this run does not start.
        quiet = ["--no-reports"] if channel == "mitake" else []
        argv = [sys.executable, "-m", f"tests.support.{module}", "--port", str(port), *quiet]
        processes.spawn("standin", argv, port=port).wait_for_port()
        processes.worker()
        kicker = threading.Thread(target=_kick, args=(redis.url, stop), daemon=True)
        kicker.start()
        wait_until(lambda: _left(db) == 0, timeout=1800, interval=0.5, what="the outbox empty")
        stop.set()
        with db.transaction() as session:
            sent = int(session.scalar(select(func.count()).where(Notice.status == "sent")) or 0)
            first = session.scalar(select(func.min(Notice.claimed_at)))
            last = session.scalar(select(func.max(Notice.sent_at)))
        rate = sent / (last - first).total_seconds()
        baseline = _baseline(channel, base, notices)
    finally:
        stop.set()
        processes.close()
        redis.stop()
        db.dispose()
    return {"sent": sent, "rate": rate, "baseline": baseline}
