"""The sending figures' shared parts: the started processes, beat's part, and the baseline.

``started(db, log_dir, ...)`` runs the product's processes through the tests' harness
(tests/support/processes.py): ``celery -A workers worker --concurrency 2`` (two prefork pool
processes, as docker-compose runs it), a private ``redis-server``, the provider's stand-in and
the SMTP sink, each a process of its own, and ``celery -A workers beat`` when asked.
``send_all`` plays beat's part, sending ``dispatch-notices`` every second until the outbox is
empty. The baseline is this module run as a script, twice side by side:

``python -m bench.sending --channel twilio|mitake|line --count N [--email N] --base URL
[--smtp-url URL] [--texts FILE] [--offset N] [--start-at EPOCH]``: the very clients the workers
use (``TwilioSms``/``SmtpEmail``, ``MitakeSms``, ``LinePush``) send N messages (of which
``--email`` by email, interleaved) to the stand-in from 8 threads, as many as the Dispatcher
uses per batch, without the database. It prints one JSON line: start, end (epoch s), sent.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import text

from config.celery import Queues, TaskNames
from notifications.channels import LinePush, MitakeSms, SmtpEmail, TwilioSms
from tests.support.line_standin import ACCESS_TOKEN, CHANNEL_SECRET
from tests.support.mitake_standin import PASSWORD, USERNAME
from tests.support.processes import (
    MAIL_FROM,
    ROOT,
    TWILIO_FROM,
    Processes,
    child_env,
    free_port,
    wait_until,
)
from tests.support.servers import RedisServer
from tests.support.twilio_standin import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from tracker.db import Database

TEXT = "【三民區公所】案號20261207-0001逾期：案件審核中；進度收件，預計2026-12-10完成。"
STANDINS = {"twilio": "twilio_standin", "mitake": "mitake_standin", "line": "line_standin"}


@dataclass
class Stack:
    """The started parts: the processes, Redis, and where the stand-in listens."""

    processes: Processes
    redis: RedisServer
    base: str  # the provider's API base, as the workers' clients are given it
    smtp_url: str

    def received(self) -> list[dict[str, Any]]:
        """Everything the Twilio stand-in received."""
        with urllib.request.urlopen(f"{self.base}/_standin/received", timeout=60) as r:
            found: list[dict[str, Any]] = json.load(r)
        return found

    def reset(self) -> None:
        """Make the Twilio stand-in forget what it received (it keeps everything in memory)."""
        request = urllib.request.Request(f"{self.base}/_standin/reset", data=b"{}")
        urllib.request.urlopen(request, timeout=30).close()


@contextmanager
def started(
    db: Database, log_dir: Path, *, channel: str = "twilio", worker: bool = True, beat: bool = False
) -> Iterator[Stack]:
    """Redis, the channel's stand-in, the SMTP sink, the worker (and beat); all stopped after."""
    redis = RedisServer(log_dir / "redis").start()
    port, smtp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}" + ("/api/mtk" if channel == "mitake" else "")
    env = child_env(
        database_url=db.url,
        redis_url=redis.url,
        twilio_api_base=base if channel == "twilio" else "http://127.0.0.1:9",
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        web_port=free_port(),
        instance=log_dir / "instance",
    )
    if channel != "twilio":
        env |= {
            "SMS_PROVIDER": "mitake",
            "MITAKE_USERNAME": USERNAME,
            "MITAKE_PASSWORD": PASSWORD,
            "MITAKE_API_BASE": f"http://127.0.0.1:{port}/api/mtk",
            "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "LINE_API_BASE": f"http://127.0.0.1:{port}",
        }
    processes = Processes(env, log_dir)
    try:
        module = f"tests.support.{STANDINS[channel]}"
        # Mitake's delivery reports would go to a web process these runs do not start.
        quiet = ["--no-reports"] if channel == "mitake" else []
        argv = [sys.executable, "-m", module, "--port", str(port), *quiet]
        processes.spawn(STANDINS[channel], argv, port=port).wait_for_port()
        processes.standin("tests.support.smtp_sink", port=smtp_port)
        if worker:
            processes.worker()
        if beat:
            processes.beat()
        yield Stack(processes, redis, base, env["SMTP_URL"])
    finally:
        processes.close()
        redis.stop()


def waiting(db: Database) -> int:
    """Notices pending or being sent."""
    with db.engine.connect() as conn:
        query = "SELECT count(*) FROM notices WHERE status IN ('pending', 'sending')"
        return int(conn.scalar(text(query)) or 0)


def send_all(db: Database, redis_url: str, total: int) -> None:
    """Send ``dispatch-notices`` every second, as beat would, until no notice is waiting."""
    app = Celery("bench", broker=redis_url, set_as_current=False)
    stop = threading.Event()

    def kick() -> None:
        while not stop.is_set():
            app.send_task(TaskNames.DISPATCH, queue=Queues.SEND)
            stop.wait(1.0)

    thread = threading.Thread(target=kick, name="kick", daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: waiting(db) == 0, timeout=max(300, total / 20), interval=0.5,
            what="the outbox sent",
        )  # fmt: skip
    finally:
        stop.set()
        thread.join(timeout=10)
        app.close()


def sent_rate(db: Database) -> tuple[dict[str, Any], float]:
    """The outbox's counts, and notices sent per second (first claim to last send)."""
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE status IN ('sent', 'delivered')) AS sent,"
                " count(*) FILTER (WHERE status = 'failed') AS failed,"
                " coalesce(sum(attempts - 1) FILTER (WHERE attempts > 1), 0) AS retries,"
                " min(claimed_at) AS first_claim, max(sent_at) AS last_sent,"
                " (SELECT sessions FROM pg_stat_database WHERE datname = current_database())"
                "   AS sessions FROM notices"
            )
        ).one()
    counts = dict(row._mapping)
    seconds = (counts["last_sent"] - counts["first_claim"]).total_seconds()
    return counts, counts["sent"] / seconds


def baseline(
    channel: str, stack: Stack, count: int, *, email: int = 0, texts: Path | None = None
) -> float:
    """Messages a second through the clients alone: two processes of 8 threads, side by side."""
    start_at = time.time() + 5  # after both have imported the SDKs
    halves = ((count // 2, email // 2, 0), (count - count // 2, email - email // 2, count // 2))
    senders = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "bench.sending", "--channel", channel),
                *("--count", str(part), "--email", str(part_email), "--base", stack.base),
                *("--smtp-url", stack.smtp_url, "--offset", str(1_000_000 + offset)),
                *("--start-at", str(start_at), *(("--texts", str(texts)) if texts else ())),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for part, part_email, offset in halves
    ]
    results = [json.loads(p.communicate(timeout=900)[0].splitlines()[-1]) for p in senders]
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    return sum(r["sent"] for r in results) / seconds


def _sender(args: argparse.Namespace) -> Callable[[int, str], None]:
    """The channel's client, as a function of (message number, sms or email)."""
    texts = json.loads(args.texts.read_text()) if args.texts else {"sms": TEXT}
    key = "{}:overdue:2026-12-07T16:00:00+00:00:" + args.channel
    if args.channel == "mitake":
        mitake = MitakeSms(USERNAME, PASSWORD, api_base=args.base)
        return lambda i, _: mitake.send_sms(
            f"+8869{i:08d}", texts["sms"], reference=str(i), dedupe_key=key.format(i)
        )
    if args.channel == "line":
        line = LinePush(ACCESS_TOKEN, api_base=args.base)
        return lambda i, _: line.push_line(
            f"U{i:032x}", texts["sms"], reference=str(i), dedupe_key=key.format(i)
        )
    sms = TwilioSms(
        DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, from_number=TWILIO_FROM, api_base=args.base,
        status_callback="http://127.0.0.1:9/webhooks/twilio/status",
    )  # fmt: skip
    email = SmtpEmail(args.smtp_url, MAIL_FROM)

    def send(i: int, kind: str) -> None:
        if kind == "sms":
            sms.send_sms(f"+8869{i:08d}", texts["sms"], reference=str(i))
        else:
            email.send_email(
                f"applicant{i}@mail.example", texts["subject"], texts["text"], texts["html"],
                reference=str(i),
            )  # fmt: skip

    return send


def main() -> None:
    """The baseline sender: send, then print the JSON line."""
    parser = argparse.ArgumentParser(description="the baseline: the clients alone")
    parser.add_argument("--channel", choices=tuple(STANDINS), required=True)
    parser.add_argument("--count", type=int, required=True, help="messages in all")
    parser.add_argument("--email", type=int, default=0, help="of which email (twilio only)")
    parser.add_argument("--base", required=True, help="the provider's API base")
    parser.add_argument("--smtp-url", default="")
    parser.add_argument("--texts", type=Path, help="JSON: sms, subject, text, html")
    parser.add_argument("--offset", type=int, default=0, help="first message number")
    parser.add_argument("--start-at", type=float, default=0.0, help="epoch second to start at")
    args = parser.parse_args()
    send = _sender(args)
    total = args.count
    kinds = [
        "email" if (i + 1) * args.email // total > i * args.email // total else "sms"
        for i in range(total)
    ]

    def attempt(job: tuple[int, str]) -> bool:
        try:
            send(args.offset + job[0], job[1])
        except Exception:  # counted, not fatal: the figure says how many went through
            return False
        return True

    while time.time() < args.start_at:  # both senders start together
        time.sleep(0.001)
    start = time.time()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, enumerate(kinds)))
    end = time.time()
    print(json.dumps({"start": start, "end": end, "sent": sum(results), "tried": total}))


if __name__ == "__main__":
    main()
