"""/metrics (Prometheus text, loopback or token only), /healthz and /readyz, per backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from tests.conftest import NOW
from tests.factories import create_case
from tests.web.conftest import make_app
from tracker.db import Database
from tracker.lifecycle import CaseStatus
from tracker.models import Case, ProviderCredit
from tracker.operations.gauges import read_gauges, refresh_case_gauges
from tracker.operations.heartbeats import SWEEP, record_credit, record_heartbeat

TOKEN = "metrics-token-" + "t" * 20
OUTSIDE = {"REMOTE_ADDR": "203.0.113.5"}
# A week after the test cases were filed: the five-working-day ones are overdue.
LATER = NOW + timedelta(days=9)


@pytest.fixture
def app(catalogue_db: Database, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(catalogue_db, tmp_path, METRICS_TOKEN=TOKEN)
    yield app
    app.extensions["database"].dispose()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with time_machine.travel(LATER, tick=False):
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return _samples(response.get_data(as_text=True))


def test_healthz_answers(client: FlaskClient) -> None:
    assert client.get("/healthz").get_data(as_text=True) == "ok\n"


def test_readyz_checks_the_database_and_its_schema(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"ready": True, "database": "ok"}


def test_readyz_is_503_when_redis_does_not_answer(catalogue_db: Database, tmp_path: Path) -> None:
    app = make_app(catalogue_db, tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["redis"].startswith("unreachable")
    app.extensions["database"].dispose()


def test_metrics_are_refused_from_elsewhere_without_the_token(client: FlaskClient) -> None:
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=wrong).status_code == 404
    forged = {"X-Forwarded-For": "127.0.0.1"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=forged).status_code == 404


def test_metrics_with_the_token_from_anywhere(client: FlaskClient) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", environ_base=OUTSIDE, headers=bearer).status_code == 200


def test_a_local_proxy_does_not_make_every_client_local(client: FlaskClient) -> None:
    # nginx on the same machine: the socket peer is loopback, the client is not.
    behind = {"X-Forwarded-For": "198.51.100.23"}
    assert client.get("/metrics", headers=behind).status_code == 404


def test_the_gauges_count_cases_and_notices(client: FlaskClient, catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        for _ in range(3):
            create_case(s)  # five-wd, sanmin: overdue by LATER
        create_case(s, "one-month", email="x@example.org", notify_by="email")  # yanchao
        record_heartbeat(s, SWEEP, NOW)
        record_credit(s, "sms", 4321, NOW)
    with catalogue_db.transaction() as s:
        assert refresh_case_gauges(s, LATER)  # the sweep's count, once a minute
    samples = _scrape(client)
    assert samples[("tracker_open_cases", (("status", "received"),))] == 4
    assert samples[("tracker_overdue_cases", (("agency", "sanmin"),))] == 3
    assert ("tracker_overdue_cases", (("agency", "yanchao"),)) not in samples
    assert samples[("tracker_notices", (("channel", "sms"), ("status", "pending")))] == 3
    assert samples[("tracker_notices", (("channel", "email"), ("status", "pending")))] == 1
    assert samples[("tracker_outbox_oldest_pending_age_seconds", ())] == 9 * 86400
    assert samples[("tracker_sweep_lag_seconds", ())] > 0
    assert samples[("tracker_last_run_timestamp_seconds", (("job", "sweep"),))] == NOW.timestamp()
    assert samples[("tracker_gateway_credit", (("channel", "sms"),))] == 4321
    assert samples[("tracker_cases_counted_timestamp_seconds", ())] == LATER.timestamp()


def test_the_case_gauges_are_counted_once_a_minute(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        create_case(s)
        assert refresh_case_gauges(s, LATER)
        assert not refresh_case_gauges(s, LATER + timedelta(seconds=59))
        create_case(s, "one-month")
        assert refresh_case_gauges(s, LATER + timedelta(minutes=1))
        assert read_gauges(s, LATER).open_cases == {"received": 2}
        s.execute(update(Case).values(status=CaseStatus.WITHDRAWN))
        assert refresh_case_gauges(s, LATER + timedelta(minutes=2))
        gauges = read_gauges(s, LATER)
    assert gauges.open_cases == {}  # a status with nothing left in it is gone
    assert gauges.cases_counted_at == LATER + timedelta(minutes=2)


def test_requests_are_timed_by_endpoint(client: FlaskClient) -> None:
    client.get("/healthz")
    client.get("/no-such-page")
    samples = _scrape(client)
    count = "tracker_http_request_duration_seconds_count"
    assert samples[(count, (("endpoint", "operations.healthz"),))] >= 1
    assert samples[(count, (("endpoint", "unmatched"),))] >= 1


def test_the_credit_recorded_only_moves_forward(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        record_credit(s, "sms", 100, NOW)
        record_credit(s, "sms", 200, NOW - timedelta(minutes=1))  # a late answer
    with catalogue_db.transaction() as s:
        assert s.get_one(ProviderCredit, "sms").remaining == 100
