"""Issue #17 with the real processes: gunicorn, a Celery worker and beat, on PostgreSQL and Redis,
send through 三竹 Mitake and LINE to their stand-ins, take Mitake's delayed delivery reports and
LINE's signed webhook, and /metrics adds up what every process counted.

Two one-minute cases fall due a few seconds after the processes are up (the children use the
real clock). The first goes by SMS through Mitake; the second is bound to LINE through the chat
(its code, then "確認"), so its overdue notice is a LINE push with the SMS's words.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from config.celery import SWEEP_EVERY
from tests.support.line_standin import ACCESS_TOKEN, CHANNEL_SECRET, LineStandin, new_user_id
from tests.support.mitake_standin import PASSWORD, USERNAME, MitakeStandin
from tests.support.processes import Processes, wait_until
from tracker.cases.filing import Application, file_case
from tracker.cases.line_binding import format_code, line_offer
from tracker.db import Database
from tracker.models import Case, Notice, ProviderCredit

pytestmark = [pytest.mark.processes, pytest.mark.postgres]

OVERDUE = "逾期"


@pytest.fixture
def mitake() -> Iterator[MitakeStandin]:
    """Mitake, reporting delivery a second after each message, as the real one does later."""
    with MitakeStandin(callback_delay=1.0, credit=5000) as standin:
        yield standin


@pytest.fixture
def line() -> Iterator[LineStandin]:
    with LineStandin() as standin:
        yield standin


@pytest.fixture
def reach_processes(
    process_env: dict[str, str], mitake: MitakeStandin, line: LineStandin, tmp_path: Path
) -> Iterator[Processes]:
    """The children with Mitake as the SMS gateway, LINE, and one metrics directory."""
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    env = {key: value for key, value in process_env.items() if not key.startswith("TWILIO_")}
    env |= {
        "MITAKE_USERNAME": USERNAME,
        "MITAKE_PASSWORD": PASSWORD,
        "MITAKE_API_BASE": mitake.base_url,
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE": line.base_url,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "LOG_FORMAT": "json",
    }
    procs = Processes(env, tmp_path / "logs")
    try:
        yield procs
    except BaseException:
        for title, text in procs.report():
            print(f"--- {title}\n{text}")
        raise
    finally:
        procs.close()


def _file(db: Database, name: str, **fields: str) -> tuple[int, str]:
    now = datetime.now(UTC)
    with db.transaction() as session:
        case = file_case(
            session,
            Application(service_code="one-minute", applicant_name=name, **fields),
            actor="clerk:test",
            now=now,
            received_at=now - timedelta(seconds=50),
        )
        return case.id, case.number


def _code(db: Database, case_id: int) -> str:
    with db.transaction() as session:
        offer = line_offer(session, session.get_one(Case, case_id), datetime.now(UTC))
        assert offer is not None
        assert offer.code is not None
        return format_code(offer.code)


def _rows(db: Database, case_id: int) -> dict[tuple[str, str], Notice]:
    with db.transaction() as session:
        notices = session.scalars(select(Notice).where(Notice.case_id == case_id)).all()
        for notice in notices:
            session.expunge(notice)
    return {(n.kind, n.channel): n for n in notices}


def test_mitake_and_line_through_the_real_processes(
    reach_processes: Processes,
    watch_db: Database,
    mitake: MitakeStandin,
    line: LineStandin,
    web_port: int,
) -> None:
    web = f"http://127.0.0.1:{web_port}"
    web_child = reach_processes.web(web_port)
    worker = reach_processes.worker()
    reach_processes.beat()

    sms_case, sms_number = _file(watch_db, "王小明", phone="0912-345-678")
    line_case, line_number = _file(watch_db, "林美華", phone="0987-654-321")
    user = new_user_id()
    follow = line.event("follow", user)
    sent_code = line.event("message", user, _code(watch_db, line_case))
    assert line.send_events(f"{web}/webhooks/line", follow, sent_code) == 200
    wait_until(
        lambda: any("確認" in text for p in line.delivered for text in p.texts),
        timeout=30,
        what="the bot's question (line_confirm) pushed by the worker",
    )
    assert line.send_events(f"{web}/webhooks/line", line.event("message", user, "確認")) == 200

    def overdue_everywhere() -> bool:
        by_sms = [r for r in mitake.accepted if OVERDUE in r.smbody]
        by_line = [p for p in line.delivered if any(OVERDUE in t for t in p.texts)]
        return len(by_sms) == 1 and len(by_line) == 1

    wait_until(overdue_everywhere, timeout=SWEEP_EVERY * 4 + 10, what="both overdue notices")
    # Mitake's reports come a second later, to gunicorn; each is acknowledged as Mitake asks.
    wait_until(
        lambda: len([r for r in mitake.reports if r.acknowledged]) == 3,
        timeout=20,
        what=lambda: f"three acknowledged delivery reports ({mitake.reports})",
    )

    # SMS: the receipt of both cases (the second before its binding), then one overdue notice.
    assert sorted(r.dstaddr for r in mitake.accepted) == ["0912345678", "0912345678", "0987654321"]
    assert all(r.charset == "UTF8" for r in mitake.received)
    assert not any(r.credentials_in_url for r in mitake.received)
    sms_rows = _rows(watch_db, sms_case)
    assert sms_rows["overdue", "sms"].status == "delivered"
    assert sms_rows["receipt", "sms"].status == "delivered"
    (overdue_sms,) = [r for r in mitake.accepted if OVERDUE in r.smbody]
    assert sms_number in overdue_sms.smbody

    # LINE: the question, the confirmation, the overdue notice; nothing by SMS after binding.
    line_rows = _rows(watch_db, line_case)
    assert ("overdue", "sms") not in line_rows
    assert line_rows["overdue", "line"].status == "sent"
    assert line_rows["line_bound", "line"].status == "sent"
    (overdue_push,) = [p for p in line.delivered if any(OVERDUE in t for t in p.texts)]
    assert line_number in overdue_push.texts[0]
    assert overdue_push.retry_key is not None

    with watch_db.transaction() as session:
        credit = session.get_one(ProviderCredit, "sms")
        assert credit.remaining == mitake.credit

    # /metrics adds up the worker's pool processes and gunicorn's: the sends counted by the
    # worker, the reports counted by the web process.
    text = requests.get(f"{web}/metrics", timeout=10).text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert (
        samples[("tracker_notice_outcomes_total", (("channel", "sms"), ("outcome", "sent")))] == 3
    )
    assert (
        samples[("tracker_notice_outcomes_total", (("channel", "line"), ("outcome", "sent")))] == 3
    )
    reports = ("tracker_delivery_reports_total", (("outcome", "delivered"), ("provider", "mitake")))
    assert samples[reports] == 3
    assert samples[("tracker_gateway_credit", (("channel", "sms"),))] == mitake.credit
    assert samples[("tracker_last_run_timestamp_seconds", (("job", "sweep"),))] > 0

    # LOG_FORMAT=json: gunicorn's and Celery's lines are JSON objects, with no phone number.
    for child in (web_child, worker):
        lines = [json.loads(line) for line in child.log().splitlines() if line.startswith("{")]
        assert {"time", "level", "logger", "message"} <= set(lines[0]), child.name
        assert not any("0912345678" in json.dumps(line) for line in lines)
