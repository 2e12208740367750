"""Filing a case: validation, numbering, lookup codes, the first deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from tests.conftest import NOW
from tests.factories import create_case
from tracker.db import Database
from tracker.errors import InvalidInput
from tracker.identifiers import LOOKUP_ALPHABET, LOOKUP_LENGTH
from tracker.lifecycle import CaseStatus
from tracker.models import Case, CaseEvent


def test_a_filed_case_has_a_number_a_code_and_a_due_date(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as session:
        case = create_case(session, "five-wd")
        number, code = case.number, case.lookup_code
    with catalogue_db.transaction() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        assert case.number == "20260413-0001"
        assert len(code) == LOOKUP_LENGTH and set(code) <= set(LOOKUP_ALPHABET)
        assert case.status is CaseStatus.RECEIVED
        # Received Monday 2026-04-13: 5 working days → Monday 2026-04-20.
        assert case.due_date == date(2026, 4, 20)
        assert case.due_at == datetime(2026, 4, 20, 16, 0, tzinfo=UTC)  # 04-21 00:00 Taipei
        assert case.received_at == NOW and case.received_at.tzinfo is not None
        assert case.applicant_phone == "+886912345678"
        assert case.notify_by == "sms"
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
        assert [(e.kind, e.public, e.actor) for e in events] == [("filed", True, "clerk:test")]


def test_numbers_run_per_day_of_receipt(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as session:
        first = create_case(session).number
        second = create_case(session).number
        next_day = create_case(session, now=datetime(2026, 4, 14, 1, tzinfo=UTC)).number
    assert (first, second, next_day) == ("20260413-0001", "20260413-0002", "20260414-0001")


def test_lookup_codes_differ(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as session:
        codes = {create_case(session).lookup_code for _ in range(20)}
    assert len(codes) == 20


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"service_code": "no-such-service"}, "service"),
        ({"applicant_name": "   "}, "applicant_name"),
        ({"applicant_name": "王" * 101}, "applicant_name"),
        ({"applicant_name": "王\x00明"}, "applicant_name"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "07-311-0000", "notify_by": "sms"}, "phone"),
        ({"phone": None, "email": "not-an-address"}, "email"),
        ({"notify_by": "email"}, "email"),
        ({"notify_by": "pigeon"}, "notify_by"),
        ({"channel": "fax"}, "channel"),
        ({"language": "fr"}, "language"),
    ],
)
def test_bad_applications_are_refused_and_change_nothing(
    catalogue_db: Database, fields: dict[str, object], bad: str
) -> None:
    fields = dict(fields)  # the parameters are shared by both backends
    service = str(fields.pop("service_code", "five-wd"))
    with pytest.raises(InvalidInput) as refused, catalogue_db.transaction() as session:
        create_case(session, service, **fields)
    assert bad in refused.value.fields
    with catalogue_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0


def test_every_problem_is_reported_at_once(catalogue_db: Database) -> None:
    with pytest.raises(InvalidInput) as refused, catalogue_db.transaction() as session:
        create_case(session, "nope", applicant_name="", phone="x", language="fr")
    assert set(refused.value.fields) == {"service", "applicant_name", "phone", "language"}


def test_international_and_taiwan_mobile_forms_are_the_same_number(
    catalogue_db: Database,
) -> None:
    with catalogue_db.transaction() as session:
        a = create_case(session, phone="+886 912 345 678").applicant_phone
        b = create_case(session, phone="0912345678").applicant_phone
    assert a == b == "+886912345678"


def test_a_future_receipt_is_refused(catalogue_db: Database) -> None:
    with pytest.raises(InvalidInput) as refused, catalogue_db.transaction() as session:
        create_case(session, received_at=datetime(2026, 5, 1, tzinfo=UTC))
    assert "received_at" in refused.value.fields
