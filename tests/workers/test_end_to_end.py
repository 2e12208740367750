"""Issue #3's "done when": the real processes (gunicorn web, Celery worker, Celery beat) on
PostgreSQL and Redis send a one-minute case exactly one receipt SMS and exactly one overdue SMS,
the overdue one with its reason, status and expected completion (DESIGN §4.6, §5.3).

The children use the real clock: the case is filed as received 55 s ago, so it falls due a few
seconds after the processes are up, and the next sweep (every SWEEP_EVERY seconds) finds it.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from config.celery import DISPATCH_EVERY, SWEEP_EVERY
from tests.support.processes import Processes, wait_until
from tests.support.twilio_standin import TwilioStandin
from tracker.cases.filing import Application, file_case
from tracker.db import Database
from tracker.deadlines.display import written_date
from tracker.models import Case, Notice

pytestmark = [pytest.mark.processes, pytest.mark.postgres]

PHONE, E164 = "0912-345-678", "+886912345678"
RECEIPT, OVERDUE = "收件確認", "逾期，因"  # how the zh-TW SMS templates name the kind
# From tests/data/watch-catalogue.yaml (service one-minute).
REASON, FIRST_STEP = "資料查核中", "收件"
SWEEP_DONE = re.compile(r"Task sweep-deadlines\[[^\]]+\] succeeded")


def _post_form(url: str, form: dict[str, str], signature: str) -> int:
    request = urllib.request.Request(
        url,
        data=urlencode(form).encode(),
        headers={"X-Twilio-Signature": signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_one_minute_case_gets_one_receipt_and_one_overdue_sms(
    processes: Processes,
    watch_db: Database,
    twilio_standin: TwilioStandin,
    web_port: int,
) -> None:
    # The web process starts from the environment alone and refuses an unsigned callback.
    processes.web(web_port)
    callback_url = f"http://127.0.0.1:{web_port}/webhooks/twilio/status"
    forged = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}
    assert _post_form(callback_url, forged, signature="not-a-signature") == 403

    worker = processes.worker()
    processes.beat()

    now = datetime.now(UTC)
    with watch_db.transaction() as session:
        case = file_case(
            session,
            Application(service_code="one-minute", applicant_name="王小明", phone=PHONE),
            actor="clerk:test",
            now=now,
            received_at=now - timedelta(seconds=55),
        )
        case_id, number = case.id, case.number

    # Due 5 s from now; the first sweep comes SWEEP_EVERY after beat starts, the send within
    # DISPATCH_EVERY of it (a sweep more of margin for a loaded machine).
    wait_until(
        lambda: twilio_standin.accepted_containing(OVERDUE),
        timeout=SWEEP_EVERY * 3 + 10,
        what=lambda: f"the overdue SMS (stand-in got {twilio_standin.snapshot()})",
    )
    sweeps_then = len(SWEEP_DONE.findall(worker.log()))
    # Two more sweeps of the same case must send nothing more (one notice per trigger).
    time.sleep(SWEEP_EVERY * 2 + DISPATCH_EVERY * 2)
    assert len(SWEEP_DONE.findall(worker.log())) >= sweeps_then + 2, "the sweeps did not run"

    [receipt] = twilio_standin.accepted_containing(RECEIPT)
    [overdue] = twilio_standin.accepted_containing(OVERDUE)
    assert len(twilio_standin.accepted) == 2, [r.body for r in twilio_standin.accepted]
    assert receipt.to == overdue.to == E164
    assert number in (receipt.body or "") and number in (overdue.body or "")

    with watch_db.transaction() as session:
        stored = session.get(Case, case_id)
        assert stored is not None and stored.expected_completion is not None
        expected = written_date(stored.expected_completion, "zh-TW")  # 民國, as notices write it
        rows = {
            (n.kind, n.channel): n
            for n in session.scalars(select(Notice).where(Notice.case_id == case_id))
        }
    assert set(rows) == {("receipt", "sms"), ("overdue", "sms"), ("overdue_clerk", "console")}
    assert (rows["receipt", "sms"].status, rows["receipt", "sms"].provider_id) == (
        "sent",
        receipt.sid,
    )
    assert (rows["overdue", "sms"].status, rows["overdue", "sms"].provider_id) == (
        "sent",
        overdue.sid,
    )
    # The clerk is asked to confirm the promise made by rule.
    assert rows["overdue_clerk", "console"].status == "delivered"

    # Twilio's delivery report, signed, reaches the web process and is recorded.
    assert twilio_standin.post_status_callback(receipt.sid or "", "delivered") == 204
    with watch_db.transaction() as session:
        assert (
            session.scalar(select(Notice.status).where(Notice.provider_id == receipt.sid))
            == "delivered"
        )

    body = overdue.body or ""
    assert REASON in body, body
    assert expected in body, body
    # DESIGN §4.6: the overdue notice says the current status (the SOP step) as well.
    assert FIRST_STEP in body, f"the overdue SMS does not say the case's current step: {body}"
