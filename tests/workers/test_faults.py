"""Faults with real parts (issue #3): racing sweeps, a killed worker, a Redis outage, provider
errors, a closure re-timing and two beats, each against PostgreSQL, a private Redis, the real
Celery worker and beat processes, the Twilio stand-in and an SMTP sink.

The children run on the real clock. A test that needs another time passes it explicitly (the
racing sweeps take a fixed clock) or moves the data, never the children's clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Interval, func, literal, select, update
from sqlalchemy.orm import Session

from config import load_settings
from config.celery import DISPATCH_EVERY
from notifications.channels import channels_from_settings
from notifications.dispatch import FIRST_BACKOFF, STUCK_AFTER, Dispatcher
from tests.conftest import NOW
from tests.factories import create_case
from tests.support.processes import ROOT, Processes, wait_until
from tests.support.servers import RedisServer
from tests.support.smtp_sink import SmtpSink
from tests.support.twilio_standin import Scripted, TwilioStandin
from tracker.calendar.store import load_calendar
from tracker.db import Database
from tracker.deadlines.display import written_date
from tracker.deadlines.timezones import local_date
from tracker.models import Case, CaseEvent, Department, Notice, Service
from tracker.notices.outbox import SENDING

pytestmark = [pytest.mark.processes, pytest.mark.postgres]

RECEIPT, RETIMED = "收件確認", "期限調整"  # how the zh-TW SMS templates open


def _file_cases(db: Database, count: int, service: str = "five-wd", **fields: Any) -> list[int]:
    """File ``count`` cases now (the real clock: the children's dispatch must find them due)."""
    now = datetime.now(UTC)
    with db.transaction() as session:
        return [create_case(session, service, now=now, **fields).id for _ in range(count)]


def status_counts(db: Database) -> dict[str, int]:
    """How many notices are in each status."""
    with db.transaction() as session:
        rows = session.execute(select(Notice.status, func.count()).group_by(Notice.status))
        return dict(rows.all())  # type: ignore[arg-type]


def _phone(i: int) -> tuple[str, str]:
    """A distinct mobile number per applicant, as typed and as Twilio receives it."""
    return f"0912-000-{i:03d}", f"+886912000{i:03d}"


# --- two sweeps at once ----------------------------------------------------------------------

# A sweep in a process of its own. It warms up (imports, a connection), says "ready", and starts
# only when the test writes "go" to every sweep at once: a barrier across processes.
_SWEEP_CHILD = """
import json, sys, time
from datetime import datetime
from sqlalchemy import text
from tracker.db import Database
from workers import jobs

url, clock, batch = sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])
# Small batches: the two sweeps interleave over many transactions, not one taking everything.
jobs.SWEEP_BATCH = batch
database = Database(url)
with database.engine.connect() as connection:
    connection.execute(text("SELECT 1"))
print("ready", flush=True)
sys.stdin.readline()
began = time.time()
totals = jobs.sweep_deadlines(database, lambda: clock)
print(json.dumps({"totals": totals, "began": began, "ended": time.time()}), flush=True)
"""


def test_two_sweeps_at_once_write_one_overdue_notice_per_case(watch_db: Database) -> None:
    cases = 600
    with watch_db.transaction() as session:
        # 5wd from Monday 2026-04-13: due 04-20, overdue from 04-21 00:00 Taipei.
        for _ in range(cases):
            create_case(session, "five-wd", now=NOW)
    clock = datetime(2026, 4, 21, 2, 0, tzinfo=UTC)  # 10:00 Taipei, every case is overdue

    children = [
        subprocess.Popen(
            [sys.executable, "-c", _SWEEP_CHILD, watch_db.url, clock.isoformat(), "50"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            line = child.stdout.readline().strip()
            if line != "ready":
                _, stderr = child.communicate(timeout=30)
                pytest.fail(f"a sweep process did not start ({line!r}):\n{stderr}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=60) for child in children]
    finally:
        for child in children:
            child.kill()
    for child, (_, stderr) in zip(children, outputs, strict=True):
        assert child.returncode == 0, stderr
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    print("sweeps:", results)

    # They really raced: their runs overlapped and each handled part of the cases.
    first, second = results
    assert first["began"] < second["ended"] and second["began"] < first["ended"]
    assert all(r["totals"].get("overdue", 0) > 0 for r in results), results
    assert sum(r["totals"]["cases"] for r in results) == cases
    assert sum(r["totals"].get("overdue", 0) for r in results) == cases

    with watch_db.transaction() as session:
        per_key = Counter(
            session.execute(
                select(Notice.case_id, Notice.kind, Notice.channel).where(
                    Notice.kind.in_(("overdue", "overdue_clerk"))
                )
            ).all()
        )
        events = Counter(
            session.scalars(select(CaseEvent.case_id).where(CaseEvent.kind == "overdue"))
        )
        watched = Counter(session.scalars(select(Case.watched_until)))
    # One applicant SMS and one clerk console notice per case, one overdue event per case.
    assert Counter(per_key.values()) == Counter({1: 2 * cases})
    assert Counter((kind, channel) for _, kind, channel in per_key) == {
        ("overdue", "sms"): cases,
        ("overdue_clerk", "console"): cases,
    }
    assert len(events) == cases and set(events.values()) == {1}
    assert watched == {clock: cases}


# --- a worker killed mid-batch ---------------------------------------------------------------


def test_a_worker_killed_mid_batch_loses_nothing(
    processes: Processes,
    watch_db: Database,
    twilio_standin: TwilioStandin,
) -> None:
    notices = 1000
    _file_cases(watch_db, notices)
    # A little latency per message keeps a batch on the wire long enough to be cut in two.
    twilio_standin.latency = 0.03
    worker = processes.worker()
    processes.beat()

    wait_until(
        lambda: len(twilio_standin.accepted) >= 150,
        timeout=40,
        interval=0.02,  # a kill soon after the threshold lands inside the first batch of 200
        what="the worker to get going",
    )
    worker.kill()  # SIGKILL to the main process and its pool: nothing gets to clean up
    accepted_at_kill = len(twilio_standin.accepted)
    # Requests already on the wire still reach the stand-in, and a COMMIT a pool process sent
    # just before it died still lands in PostgreSQL: let them land before counting.
    time.sleep(1.0)
    with watch_db.transaction() as session:
        stuck = list(session.scalars(select(Notice.id).where(Notice.status == SENDING)))
    in_flight_at_kill = len(stuck)
    with watch_db.transaction() as session:
        recorded = set(session.scalars(select(Notice.provider_id).where(Notice.status == "sent")))
    # Messages "Twilio" accepted whose "sent" the dead worker never committed: the crash window.
    unrecorded = [r for r in twilio_standin.accepted if r.sid not in recorded]
    assert 0 < accepted_at_kill < notices, "the kill did not land mid-batch"
    assert in_flight_at_kill > 0, "nothing was in flight when the worker was killed"

    worker.start().wait_for_log(" ready.")
    # The self-healing sweep re-queues rows claimed more than STUCK_AFTER ago. Instead of waiting
    # for that, the dead worker's claims are made older; requeue_stuck then runs on the real clock,
    # so what it re-queues is due at once. Only those rows: the restarted worker is claiming
    # others meanwhile, and taking a live send for a dead one would itself send twice.
    older = STUCK_AFTER + timedelta(seconds=1)
    with watch_db.transaction() as session:
        session.execute(
            update(Notice)
            .where(Notice.id.in_(stuck))
            .values(claimed_at=Notice.claimed_at - literal(older, Interval()))
        )
    settings = load_settings(processes.env)
    dispatcher = Dispatcher(watch_db, channels_from_settings(settings), settings)
    assert dispatcher.requeue_stuck() == in_flight_at_kill

    wait_until(
        lambda: status_counts(watch_db) == {"sent": notices},
        timeout=60,
        what=lambda: f"every notice to be sent (now {status_counts(watch_db)})",
    )
    accepted = twilio_standin.accepted
    duplicates = sum(count - 1 for count in Counter((r.to, r.body) for r in accepted).values())
    print(
        f"\nSIGKILL mid-batch: {notices} notices, {accepted_at_kill} accepted at the kill, "
        f"{in_flight_at_kill} in 'sending' at the kill, {len(unrecorded)} accepted but not "
        f"recorded, {duplicates} duplicate SMS"
    )
    # Nothing lost: every notice was sent, and each row names a message the provider accepted.
    with watch_db.transaction() as session:
        provider_ids = set(session.scalars(select(Notice.provider_id)))
    assert provider_ids <= {r.sid for r in accepted}
    assert len({(r.to, r.body) for r in accepted}) == notices
    # Nothing doubled: the SMS the dead worker got accepted but never recorded were found in
    # Twilio's message list and recorded instead of sent again (notifications/dispatch.py).
    assert len(unrecorded) <= in_flight_at_kill
    assert duplicates == 0


# --- Redis stopped for 30 s ------------------------------------------------------------------

OUTAGE = 30.0
SENDING_TICK = "Sending due task"  # what beat logs for each wake-up it sends


def test_a_redis_outage_loses_nothing(
    processes: Processes,
    redis_server: RedisServer,
    watch_db: Database,
    twilio_standin: TwilioStandin,
) -> None:
    # Each process is restarted if it exits, as compose's `restart: unless-stopped` does
    # (docker-compose.yml): this test is about the outbox. Whether beat itself survives an
    # outage is test_beat_survives_a_redis_outage.
    worker = processes.worker(supervised=True)
    beat = processes.beat(supervised=True)
    processes.supervise()
    _file_cases(watch_db, 1, phone=_phone(0)[0])
    wait_until(
        lambda: twilio_standin.accepted_containing(RECEIPT), timeout=20, what="the first receipt"
    )

    # SIGTERM with --save "": Redis comes back empty, its queues and beat's schedule gone.
    redis_server.stop()
    stopped = time.monotonic()
    backlog = 20
    for i in range(1, backlog + 1):
        _file_cases(watch_db, 1, phone=_phone(i)[0])  # the outbox is in PostgreSQL
    time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))
    assert len(twilio_standin.accepted) == 1  # nothing can be sent without wake-ups
    redis_server.start()
    restarted = time.monotonic()

    wait_until(
        lambda: len(twilio_standin.accepted) >= backlog + 1,
        timeout=60,
        what=lambda: f"the backlog after Redis came back ({status_counts(watch_db)})",
    )
    print(
        f"\nbacklog of {backlog} delivered {time.monotonic() - restarted:.1f} s after Redis "
        f"returned; restarts: worker {worker.restarts} {worker.exits}, "
        f"beat {beat.restarts} {beat.exits}"
    )
    time.sleep(DISPATCH_EVERY * 2)
    assert sorted(r.to or "" for r in twilio_standin.accepted) == sorted(
        _phone(i)[1] for i in range(backlog + 1)
    )
    assert status_counts(watch_db) == {"sent": backlog + 1}
    # The worker reconnects by itself (Celery's broker connection retry).
    assert worker.restarts == 0, f"the worker exited during the outage: {worker.exits}"


def test_a_redis_outage_during_a_running_task_does_not_stop_the_worker(
    processes: Processes,
    redis_server: RedisServer,
    watch_db: Database,
    twilio_standin: TwilioStandin,
) -> None:
    # Not supervised: an exit of the worker is the failure this test looks for. (kombu 5.7 ends
    # a worker with "Unrecoverable error" when Redis goes away while it holds a task it has not
    # acknowledged yet; the wake-ups are acknowledged when received, so it never holds one.)
    worker = processes.worker()
    processes.beat()
    twilio_standin.latency = 1.0
    count = 24  # three rounds of the dispatcher's 8 sending threads: a task of about 3 s
    for i in range(count):
        _file_cases(watch_db, 1, phone=_phone(i)[0])
    wait_until(lambda: twilio_standin.received, timeout=20, what="a dispatch task under way")
    redis_server.stop()
    time.sleep(5)
    assert worker.alive, f"the worker exited when Redis went away mid-task:\n{worker.tail()}"
    redis_server.start()
    twilio_standin.latency = 0.0
    wait_until(
        lambda: len(twilio_standin.accepted) >= count,
        timeout=60,
        what=lambda: f"every receipt after Redis came back ({status_counts(watch_db)})",
    )
    assert worker.alive, f"the worker exited after Redis came back:\n{worker.tail()}"
    assert status_counts(watch_db) == {"sent": count}
    assert len(twilio_standin.accepted) == count


def test_beat_survives_a_redis_outage(processes: Processes, redis_server: RedisServer) -> None:
    beat = processes.beat()
    beat.wait_for_log(SENDING_TICK)
    redis_server.stop()
    # Beat's loop wakes at least every beat_max_loop_interval (5 s): it meets the outage.
    time.sleep(10)
    redis_server.start()
    resumed_from = len(beat.log())

    def sending_again() -> bool:
        if not beat.alive:
            pytest.fail(
                f"beat exited (code {beat.process and beat.process.returncode}) when Redis went "
                "away: with nothing to restart it, no wake-up is ever sent again"
            )
        return SENDING_TICK in beat.log()[resumed_from:]

    wait_until(sending_again, timeout=30, what="beat to send wake-ups again")


# --- provider failures -----------------------------------------------------------------------


def test_server_errors_are_retried_and_a_rejected_number_falls_back_to_email(
    processes: Processes,
    watch_db: Database,
    twilio_standin: TwilioStandin,
    smtp_sink: SmtpSink,
) -> None:
    bad_phone, bad_e164, bad_email = "0987-654-321", "+886987654321", "wang@example.org"
    twilio_standin.reject_number(bad_e164, 21211)
    processes.worker()
    processes.beat()

    [bad_case] = _file_cases(watch_db, 1, phone=bad_phone, email=bad_email, notify_by="sms")
    [fallback] = wait_until(lambda: smtp_sink.messages, timeout=20, what="the fallback email")
    assert fallback.rcpt_tos == [bad_email]

    # Now the provider answers the next three calls with server errors.
    twilio_standin.script(*(Scripted(status, 20500) for status in (500, 503, 500)))
    good = 5
    good_cases = [_file_cases(watch_db, 1, phone=_phone(i)[0])[0] for i in range(good)]
    wait_until(
        lambda: len(twilio_standin.accepted_containing(RECEIPT)) >= good,
        timeout=FIRST_BACKOFF.total_seconds() + 30,
        what=lambda: f"the retried receipts ({status_counts(watch_db)})",
    )
    time.sleep(DISPATCH_EVERY * 2)

    received = twilio_standin.received
    to_bad = [r for r in received if r.to == bad_e164]
    # A permanent error is tried once, never again.
    assert [(r.status, r.error_code) for r in to_bad] == [(400, 21211)]
    assert len(smtp_sink.messages) == 1
    good_numbers = {_phone(i)[1] for i in range(good)}
    errors = [r for r in received if r.to in good_numbers and r.status != 201]
    assert sorted(r.status for r in errors) == [500, 500, 503]
    assert sorted(r.to or "" for r in twilio_standin.accepted) == sorted(good_numbers)

    with watch_db.transaction() as session:
        rows = session.scalars(select(Notice).order_by(Notice.id)).all()
        by_case = {(n.case_id, n.channel): n for n in rows}
    sms = by_case[bad_case, "sms"]
    assert (sms.status, sms.attempts) == ("failed", 1)
    assert sms.error is not None and sms.error.startswith("21211")
    email = by_case[bad_case, "email"]
    assert (email.kind, email.status) == ("receipt", "sent")
    good_rows = [by_case[case_id, "sms"] for case_id in good_cases]
    assert {n.status for n in good_rows} == {"sent"}
    assert sorted(n.attempts for n in good_rows) == [1, 1, 2, 2, 2]


# --- a closure re-times open cases -----------------------------------------------------------


def test_a_closure_tells_each_applicant_their_new_date_once(
    processes: Processes,
    watch_db: Database,
    twilio_standin: TwilioStandin,
) -> None:
    applicants = 20
    case_ids = [_file_cases(watch_db, 1, phone=_phone(i)[0])[0] for i in range(applicants)]
    processes.worker()
    processes.beat()
    wait_until(
        lambda: len(twilio_standin.accepted_containing(RECEIPT)) == applicants,
        timeout=20,
        what="the receipts",
    )

    with watch_db.transaction() as session:
        agency = session.scalar(
            select(Department.agency_id).join(Service).where(Service.code == "five-wd")
        )
        calendar = load_calendar(session, agency)
        old_due = _due_dates(session, case_ids)
    # The first counted working day of every case filed today: inside each period.
    closed = calendar.nth_working_day_after(local_date(datetime.now(UTC)), 1)
    result = processes.tracker("calendar", "close", closed.isoformat(), "--reason", "颱風停止上班")
    assert result.returncode == 0, result.stderr
    assert f"{applicants} open cases re-timed" in result.stdout

    with watch_db.transaction() as session:
        new_due = _due_dates(session, case_ids)
        numbers = dict(
            session.execute(select(Case.id, Case.number).where(Case.id.in_(case_ids))).all()
        )
    assert all(new_due[i] > old_due[i] for i in case_ids)

    wait_until(
        lambda: len(twilio_standin.accepted_containing(RETIMED)) >= applicants,
        timeout=20,
        what="the re-timing notices",
    )
    time.sleep(DISPATCH_EVERY * 2)
    retimed = twilio_standin.accepted_containing(RETIMED)
    assert Counter(r.to for r in retimed) == Counter({_phone(i)[1]: 1 for i in range(applicants)})
    for i, case_id in enumerate(case_ids):
        [sms] = [r for r in retimed if r.to == _phone(i)[1]]
        body = sms.body or ""
        assert numbers[case_id] in body and written_date(new_due[case_id], "zh-TW") in body, body
        assert "颱風停止上班" in body, body
    with watch_db.transaction() as session:
        statuses = Counter(session.scalars(select(Notice.status).where(Notice.kind == "retimed")))
    assert statuses == {"sent": applicants}


def _due_dates(session: Session, case_ids: list[int]) -> dict[int, date]:
    rows = session.execute(select(Case.id, Case.due_date).where(Case.id.in_(case_ids)))
    found: dict[int, date] = {}
    for case_id, due in rows:
        assert due is not None  # day limits, not paused: every case has a due date
        found[case_id] = due
    return found


# --- two beats -------------------------------------------------------------------------------


def test_of_two_beats_only_the_lock_holder_sends_and_the_other_takes_over(
    processes: Processes,
) -> None:
    first = processes.beat("beat-a")
    second = processes.beat("beat-b")
    time.sleep(15)
    counts = {b.name: b.log().count(SENDING_TICK) for b in (first, second)}
    print(f"\nticks sent in 15 s: {counts}")
    active, standby = sorted((first, second), key=lambda b: -counts[b.name])
    assert counts[active.name] >= 5 and counts[standby.name] == 0, counts

    # The holder dies without releasing the lock: the other takes over once it expires.
    active.kill()
    wait_until(
        lambda: SENDING_TICK in standby.log(),
        timeout=45,  # redbeat_lock_timeout (30 s) and a loop interval or two
        what=f"{standby.name} to take over",
    )
