"""Dispatch throughput with the real worker (bench/workers.py runs it).

The outbox gets ``notices`` pending rows written by ``tracker.notices.outbox.notice_rows``/
``insert_notices`` from real cases, 70% SMS and 30% email, two thirds receipts and one third
overdue notices (their text from ``tracker.watch.overdue.OverdueAccount``), in batches of 1,000
sharing an instant as a sweep writes them. ``celery -A workers worker --concurrency 2`` sends
them to the Twilio stand-in and the SMTP sink while the benchmark plays beat's part
(bench/sending.py). Baseline: the same messages through the same clients without the database.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from bench import sending
from bench.common import log, vacuum
from notifications.render import render
from tests.support.processes import children_of, rss_kib
from tracker.db import Database
from tracker.models import Case
from tracker.notices.links import console_url, status_url, survey_url
from tracker.notices.outbox import Addressees, insert_notices, notice_rows
from tracker.notices.values import case_values
from tracker.watch.overdue import OverdueAccount

SMS_SHARE = 0.7
OVERDUE_SHARE = 1 / 3
WRITE_BATCH = 1000  # rows sharing one created_at/not_before, as one sweep batch writes them
PUBLIC_BASE = "http://127.0.0.1:8000"  # only rendered into the baseline's texts


@dataclass(frozen=True)
class DispatchRun:
    """One outbox of notices sent by the workers, and the same mix sent without the database."""

    notices: int
    sms: int
    counts: dict[str, Any]  # sent, failed, retries, sessions opened (bench/sending.py)
    rate: float
    standin_accepted: int
    baseline_rate: float


@dataclass(frozen=True)
class DispatchFigures:
    runs: list[DispatchRun]
    worker_rss_kib: list[tuple[str, int]]  # (process, KiB) after the runs

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
    """One SMS and one email as the dispatcher renders them, for the baseline's senders."""
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


def _clear_outbox(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM notices"))
    vacuum(db.url)


def measure_dispatch(db: Database, log_dir: Path, *, notices: int, runs: int) -> DispatchFigures:
    """``runs`` outboxes of ``notices`` sent by one worker node of two processes."""
    _clear_outbox(db)
    texts, results = log_dir / "texts.json", []
    with sending.started(db, log_dir / "dispatch") as stack:
        for run in range(1, runs + 1):
            log(f"dispatch: run {run}/{runs}: writing {notices:,} notices")
            sms = write_outbox(db, notices, salt=f"run{run}")
            with db.engine.connect() as conn:  # autovacuum would have analysed a busy outbox
                conn.execute(text("ANALYZE notices"))
                conn.commit()
            _texts(db, texts)
            stack.reset()
            log(f"dispatch: run {run}/{runs}: sending ({sms:,} SMS)")
            before = _sessions(db)
            sending.send_all(db, stack.redis.url, notices)
            counts, rate = sending.sent_rate(db)
            counts["sessions"] -= before
            accepted = sum(1 for r in stack.received() if r["status"] == 201)
            time.sleep(3)  # let the queued wake-ups drain: they find nothing and end at once
            stack.reset()
            base = sending.baseline("twilio", stack, notices, email=notices - sms, texts=texts)
            results.append(DispatchRun(notices, sms, counts, rate, accepted, base))
            log(
                f"dispatch: run {run}/{runs}: {counts['sent']:,} sent ({rate:,.0f}/s), "
                f"{counts['failed']} failed, {counts['retries']} retries; baseline {base:,.0f}/s"
            )
            _clear_outbox(db)
        worker = next(c for c in stack.processes.children if c.name == "worker")
        rss = [("worker (main)", rss_kib(worker.pid))]
        rss += [(f"worker (pool {i})", rss_kib(p)) for i, p in enumerate(children_of(worker.pid))]
    return DispatchFigures(results, rss)


def _sessions(db: Database) -> int:
    """PostgreSQL sessions opened on the database so far."""
    with db.engine.connect() as conn:
        query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        return int(conn.scalar(text(query)) or 0)
