"""Filing at the counter: the service, its documents, the applicant; then the receipt."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.web.counter.conftest import Console, load_case
from tracker.db import Database
from tracker.identifiers import format_lookup_code
from tracker.lifecycle import CaseStatus
from tracker.models import CaseEvent, Notice, User
from web.core.qr import status_qr_svg

APPLICANT = {
    "applicant_name": "王小明",
    "phone": "0912-345-678",
    "email": "",
    "channel": "counter",
    "language": "zh-TW",
    "notify_by": "",
    "note": "",
}


def _file(console: Console, **fields: object):  # type: ignore[no-untyped-def]
    data = {**APPLICANT, "documents": ["0"], **fields}
    return console.post("/counter/file/five-wd", data)


def _errors(page: str) -> dict[str, str]:
    """Each field's error message, by field id."""
    return dict(re.findall(r'<p class="field__error" id="([a-z_]+)-error">([^<]*)</p>', page))


def test_a_clerk_files_for_their_own_department_only(clerk: Console) -> None:
    page = clerk.get("/counter/file").text
    assert 'href="/counter/file/five-wd"' in page
    # Another department's service is neither offered nor open to this clerk.
    assert "Fourteen calendar days" not in page
    assert clerk.get("/counter/file/fourteen-d").status_code == 404
    form = clerk.get("/counter/file/five-wd").text
    # The required documents as a checklist.
    assert re.search(r'<input[^>]*type="checkbox"[^>]*value="0"', form)
    assert "Application form" in form


def test_filing_leads_to_the_receipt(clerk: Console, catalogue_db: Database, app) -> None:  # type: ignore[no-untyped-def]
    response = _file(clerk)
    assert response.status_code == 303
    number = response.location.rsplit("/", 2)[-2]
    assert response.location == f"/counter/cases/{number}/receipt"
    case = load_case(catalogue_db, number)
    assert case.status == CaseStatus.RECEIVED and case.applicant_phone == "+886912345678"
    assert case.due_date is not None

    receipt = clerk.get(response.location)
    assert receipt.status_code == 200
    text = receipt.text
    assert number in text
    assert "Five working days" in text
    assert f"{case.due_date.day} {case.due_date:%b} {case.due_date.year}" in text
    # Where the case went, and the way to it: never a 404 after filing.
    assert f"Case {number} is filed with Sanmin District Office Social Affairs Section." in text
    assert clerk.get(f"/counter/cases/{number}").status_code == 200
    assert format_lookup_code(case.lookup_code) in text
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        expected_qr = status_qr_svg(
            "https://cases.example.gov.tw",
            number,
            case.lookup_code,
            label=f"QR code: the status of case {number}",
        )
    assert str(expected_qr) in text  # the SVG that leads to /status#n=…&c=…
    assert "<svg" in text and "style=" not in text
    # No inline script: only the console's static files (the CSP allows no other).
    assert not re.search(r"<script(?![^>]*\bsrc=)", text)


def test_the_filing_clerk_gets_the_case(clerk: Console, catalogue_db: Database) -> None:
    number = _file(clerk).location.rsplit("/", 2)[-2]
    case = load_case(catalogue_db, number)
    with catalogue_db.transaction() as session:
        clerk_id = session.scalar(select(User.id).where(User.username == "clerk"))
        kinds = session.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        ).all()
        actors = set(session.scalars(select(CaseEvent.actor).where(CaseEvent.case_id == case.id)))
    assert case.assigned_user_id == clerk_id
    assert kinds == ["filed", "assigned"] and actors == {"clerk"}
    queues = clerk.get("/counter").text
    mine = queues[queues.index("My cases") : queues.index("open cases")]
    assert number in mine


def test_field_errors_are_shown_beside_the_fields(clerk: Console, catalogue_db: Database) -> None:
    response = _file(clerk, applicant_name="", phone="12345", email="not-an-email", notify_by="sms")
    assert response.status_code == 422
    page = response.text
    errors = dict(re.findall(r'<p class="field__error" id="([a-z_]+)-error">([^<]*)</p>', page))
    assert errors["applicant_name"] == "Enter “Applicant&#39;s name”."
    assert "Phone: “12345” is not a valid phone number" in errors["phone"]
    assert errors["email"] == "Email: “not-an-email” is not a valid email address."
    # What was typed stays in the form, and nothing was filed.
    assert 'value="12345"' in page
    with catalogue_db.transaction() as session:
        assert session.scalars(select(Notice)).all() == []


def test_sms_needs_a_mobile(clerk: Console) -> None:
    response = _file(clerk, phone="07-311-0000", notify_by="sms")
    assert response.status_code == 422
    assert "A mobile number (09xx) is needed to notify by SMS." in response.text


def test_missing_documents_must_be_asked_for(clerk: Console, catalogue_db: Database) -> None:
    refused = _file(clerk, documents=[])
    assert refused.status_code == 422
    assert "Tick every document received" in refused.text
    filed = _file(clerk, documents=[], request_missing="y")
    assert filed.status_code == 303
    case = load_case(catalogue_db, filed.location.rsplit("/", 2)[-2])
    assert case.status == CaseStatus.AWAITING_SUPPLEMENT
    assert case.pauses[-1].items == ["申請書"]  # in the applicant's language
    receipt = clerk.get(filed.location).text
    assert "after the missing documents arrive" in receipt


def test_an_empty_form_shows_every_error_at_once(clerk: Console, catalogue_db: Database) -> None:
    blank = dict.fromkeys(APPLICANT, "") | {"channel": "counter", "language": "zh-TW"}
    response = _file(clerk, documents=[], **blank)
    assert response.status_code == 422
    errors = _errors(response.text)
    assert "Tick every document received" in errors["documents"]
    assert errors["applicant_name"] == "Enter “Applicant&#39;s name”."
    # With the documents refused and the name fixed, the contact problems still show together.
    response = _file(clerk, documents=[], phone="12345", email="not-an-email")
    assert response.status_code == 422
    assert set(_errors(response.text)) == {"documents", "phone", "email"}
    with catalogue_db.transaction() as session:
        assert session.scalars(select(Notice)).all() == []
        assert session.scalars(select(CaseEvent)).all() == []


def test_a_service_that_is_not_open_is_not_found(clerk: Console) -> None:
    assert clerk.get("/counter/file/no-such-service").status_code == 404


def test_the_form_is_in_chinese_by_default(clerk: Console) -> None:
    clerk.client.delete_cookie("lang")
    page = clerk.get("/counter/file/five-wd").text
    assert "申請人姓名" in page
    response = _file(clerk, applicant_name="")
    assert "請填寫「申請人姓名」。" in response.text


def test_one_tick_says_every_document_was_brought(clerk: Console, catalogue_db: Database) -> None:
    filed = _file(clerk, documents=[], all_documents="y")
    assert filed.status_code == 303
    case = load_case(catalogue_db, filed.location.rsplit("/", 2)[-2])
    assert case.status == CaseStatus.RECEIVED  # nothing missing, nothing asked for


def test_a_one_stop_counter_chooses_the_department_first(
    console: Console, catalogue_db: Database
) -> None:
    assert console.login("onestop").status_code == 303
    page = console.get("/counter/file").text
    # The agency's departments, each a choice; no service before one is chosen.
    assert 'href="/counter/file?department=sanmin/civil"' in page
    assert 'href="/counter/file?department=sanmin/social"' in page
    assert "/counter/file/five-wd" not in page
    civil = console.get("/counter/file?department=sanmin/civil").text
    assert 'href="/counter/file/fourteen-d"' in civil
    assert "/counter/file/five-wd" not in civil
    # Another agency's department is not this counter's.
    assert console.get("/counter/file?department=yanchao/social").status_code == 404
    assert console.get("/counter/file/one-month").status_code == 404
    filed = console.post("/counter/file/fourteen-d", {**APPLICANT})
    assert filed.status_code == 303
    number = filed.location.rsplit("/", 2)[-2]
    receipt = console.get(filed.location).text
    assert "is filed with Sanmin District Office Civil Affairs Section" in receipt
    assert console.get(f"/counter/cases/{number}").status_code == 200
