"""Dispatch through 三竹 Mitake and through LINE, each to its stand-in, with 2 worker processes.

``python -m bench.reach_dispatch --database URL --channel mitake|line [--notices 20000]``:
``URL`` names an empty PostgreSQL database (it is migrated and filled here). The outbox gets
``--notices`` pending overdue notices, written by ``notice_rows``/``insert_notices`` for cases
whose applicants chose SMS (Mitake) or bound LINE, a thousand sharing an instant as a sweep
writes them. The product's ``celery -A workers worker --concurrency 2`` (one node, two prefork
processes, through the tests' process harness) sends them; the benchmark plays beat's part,
sending ``dispatch-notices`` every second until none is left. The stand-in runs as a process of
its own (``python -m tests.support.mitake_standin`` / ``line_standin``). Baseline, in the same
run: the same number of messages through the same clients, from two processes of 8 threads
each, without the database (bench/reach_baseline.py). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from celery import Celery
from sqlalchemy import func, select, text

from config.celery import Queues, TaskNames
from tests.conftest import DATA
from tests.factories import create_case
from tests.support.line_standin import ACCESS_TOKEN, CHANNEL_SECRET
from tests.support.mitake_standin import PASSWORD, USERNAME
from tests.workers.harness import Processes, RedisServer, free_port, wait_until
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.db import Database
from tracker.migrate import upgrade
from tracker.models import Case, Notice
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


def main() -> None:
    """Fill the outbox, send it with the worker, then the baseline; one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--channel", choices=("mitake", "line"), required=True)
    parser.add_argument("--notices", type=int, default=20_000)
    args = parser.parse_args()
    upgrade(args.database)
    db = Database(args.database)
    with db.transaction() as session:
        if session.scalar(select(func.count()).select_from(Case)) == 0:
            load_catalogue(session, read_catalogue(DATA / "test-catalogue.yaml"),
                           now=datetime.now(UTC))  # fmt: skip
    write_outbox(db, args.channel, args.notices)

    directory = Path(tempfile.mkdtemp(prefix="bench-reach-"))
    redis_binary = shutil.which("redis-server") or "redis-server"
    redis = RedisServer(redis_binary, free_port(), directory)
    redis.start()
    port = free_port()
    module = "mitake_standin" if args.channel == "mitake" else "line_standin"
    base = f"http://127.0.0.1:{port}" + ("/api/mtk" if args.channel == "mitake" else "")
    env = {
        "DATABASE_URL": args.database.replace("postgresql+psycopg://", "postgresql://"),
        "REDIS_URL": redis.url,
        "TRACKER_INSTANCE": str(directory / "instance"),
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
    processes = Processes(env, directory / "logs")
    stop = threading.Event()
    try:
        quiet = ["--no-reports"] if args.channel == "mitake" else []
        standin = processes.spawn(
            "standin",
            [sys.executable, "-m", f"tests.support.{module}", "--port", str(port), *quiet],
        )
        wait_until(lambda: "stand-in on" in standin.log(), timeout=30, what="the stand-in")
        processes.worker()
        kicker = threading.Thread(target=_kick, args=(redis.url, stop), daemon=True)
        began = time.perf_counter()
        kicker.start()
        wait_until(lambda: _left(db) == 0, timeout=1800, interval=0.5, what="the outbox empty")
        seconds = time.perf_counter() - began
        stop.set()
        with db.transaction() as session:
            sent = int(session.scalar(select(func.count()).where(Notice.status == "sent")) or 0)
            first = session.scalar(select(func.min(Notice.claimed_at)))
            last = session.scalar(select(func.max(Notice.sent_at)))
        rate = sent / (last - first).total_seconds()
        baseline = _baseline(args.channel, base, args.notices)
    finally:
        stop.set()
        processes.close()
        redis.stop()
    print(
        json.dumps(
            {
                "channel": args.channel,
                "notices": args.notices,
                "sent": sent,
                "wall_seconds": round(seconds, 1),
                "dispatch_per_second": round(rate),
                "clients_alone_per_second": round(baseline),
                "ratio": round(rate / baseline, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
