"""Probe: oversized bodies, broken UTF-8 and impossible dates get a clear 4xx, never a 500,
and nothing is stored."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.probes.snapshot import row_counts
from tests.web.api.conftest import ApiClient, Keys
from tests.web.counter.conftest import Console, file_social_case, load_case
from tracker.db import Database
from tracker.models import Case, CaseEvent

TEN_MB = 10 * 1024 * 1024
BIG = "x" * TEN_MB
FORM = "application/x-www-form-urlencoded"
BAD_DAYS = ("2026-02-30", "2026-13-01", "tomorrow", "99999-01-01", "9999-12-31", "0001-01-01")
BAD_INSTANTS = (
    "2026-02-30T10:00:00+08:00",
    "tomorrow",
    "99999-01-01T00:00:00+08:00",
    "9999-12-31T23:00:00+08:00",
    "2026-04-13T25:00:00+08:00",
)


def _token(console: Console) -> str:
    assert console.token is not None
    return console.token


def _raw_post(console: Console, path: str, body: bytes) -> TestResponse:
    return console.client.post(path, data=body, content_type=FORM)


def multipart(fields: dict[str, bytes | str]) -> tuple[bytes, str]:
    """A multipart/form-data body of text fields, their bytes as given; its content type."""
    boundary = "probe-boundary-7f3a"
    body = b""
    for name, value in fields.items():
        raw = value.encode() if isinstance(value, str) else value
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + raw
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _multipart_post(client: FlaskClient, path: str, fields: dict[str, bytes | str]) -> TestResponse:
    body, content_type = multipart(fields)
    return client.post(path, data=body, content_type=content_type)


def test_ten_megabyte_bodies_are_refused(
    console: Console, api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    number = file_social_case(catalogue_db).number
    version = load_case(catalogue_db, number).version
    console.login("clerk")  # a login is audited: counted from here on
    before = row_counts(catalogue_db)
    token = _token(console)
    sent = {
        "status": console.client.post(
            "/status", data={"csrf_token": token, "number": BIG, "code": "x"}
        ),
        # As a file part: parsed to a temporary file unless the app limits the body itself.
        "status, multipart": console.client.post(
            "/status",
            data={"csrf_token": token, "number": (io.BytesIO(BIG.encode()), "big.txt")},
            content_type="multipart/form-data",
        ),
        "login": console.client.post(
            "/counter/login", data={"csrf_token": token, "username": BIG, "password": "x"}
        ),
    }
    sent["filing"] = console.client.post(
        "/counter/file/five-wd",
        data={"csrf_token": token, "documents": "0", "applicant_name": "王小明", "note": BIG},
    )
    sent["note"] = console.client.post(
        f"/counter/cases/{number}/note",
        data={
            "csrf_token": token,
            "note-csrf_token": token,
            "note-version": str(version),
            "note-note": BIG,
        },
    )
    sent["api"] = api.post(
        "/cases", {"service": "five-wd", "applicant_name": "王小明", "phone": "0912345678",
                   "note": BIG},
    )  # fmt: skip
    sent["open311"] = api.client.post(
        "/open311/v2/requests.json",
        data={"api_key": keys.full, "service_code": "five-wd", "last_name": "王",
              "email": "w@example.org", "description": BIG},
    )  # fmt: skip
    for name, response in sent.items():
        assert response.status_code == 413, (name, response.status_code)
    assert sent["api"].json["error"]["code"] == "body_too_large"
    assert "too large" in sent["open311"].json[0]["description"]
    assert "more than the form" in sent["filing"].get_data(as_text=True)  # the site's own page
    assert row_counts(catalogue_db) == before
    assert load_case(catalogue_db, number).version == version


def test_broken_utf8_is_refused(
    console: Console, api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    number = file_social_case(catalogue_db).number
    version = load_case(catalogue_db, number).version
    console.login("clerk")  # a login is audited: counted from here on
    before = row_counts(catalogue_db)
    token = _token(console)
    sent = {
        "status": _raw_post(
            console, "/status", f"csrf_token={token}&number=%FF%FE&code=%C3%28".encode()
        ),
        "open311 POST": api.client.post(
            "/open311/v2/requests.json",
            data=f"api_key={keys.full}&service_code=five-wd&last_name=%C3%28&email=w%40example.org",
            content_type=FORM,
        ),
        "open311 GET": api.client.get("/open311/v2/requests.json?service_code=%FF"),
        "api GET": api.get("/cases?service=%FF%FE"),
        "api POST": api.post(
            "/cases",
            data=b'{"service": "five-wd", "applicant_name": "\xff\xfe", "phone": "0912345678"}',
            headers={"Content-Type": "application/json"},
        ),
        "filing, escaped": _raw_post(
            console,
            "/counter/file/five-wd",
            f"csrf_token={token}&documents=0&applicant_name=%C3%28&phone=0912-345-678".encode(),
        ),
        "filing, raw bytes": _raw_post(
            console,
            "/counter/file/five-wd",
            f"csrf_token={token}&documents=0&phone=0912-345-678&applicant_name=".encode()
            + b"\xe7\x8e",
        ),
        "note": _raw_post(
            console,
            f"/counter/cases/{number}/note",
            # A UTF-16 surrogate, encoded as UTF-8: not valid UTF-8 either.
            f"csrf_token={token}&note-csrf_token={token}&note-version={version}"
            "&note-note=%ED%A0%80".encode(),
        ),
        "search": console.client.get("/counter/search?q=%FF"),
        # The same broken bytes as multipart text fields (no file part).
        "status, multipart": _multipart_post(
            console.client, "/status", {"csrf_token": token, "number": b"\xff\xfe", "code": "x"}
        ),
        "filing, multipart": _multipart_post(
            console.client,
            "/counter/file/five-wd",
            {
                "csrf_token": token,
                "documents": "0",
                "applicant_name": b"\xe7\x8e",
                "phone": "0912-345-678",
            },
        ),
        "note, multipart": _multipart_post(
            console.client,
            f"/counter/cases/{number}/note",
            {
                "csrf_token": token,
                "note-csrf_token": token,
                "note-version": str(version),
                "note-note": b"\xed\xa0\x80",
            },
        ),
        "open311 POST, multipart": _multipart_post(
            api.client,
            "/open311/v2/requests.json",
            {
                "api_key": keys.full,
                "service_code": "five-wd",
                "last_name": b"\xc3\x28",
                "email": "w@example.org",
            },
        ),
    }
    for name, response in sent.items():
        assert response.status_code == 400, (name, response.status_code)
    for name in ("status", "filing, escaped", "filing, raw bytes", "note", "search",
                 "status, multipart", "filing, multipart", "note, multipart"):  # fmt: skip
        assert "could not be understood" in sent[name].get_data(as_text=True), name
    assert sent["api POST"].json["error"]["code"] == "invalid_json"
    assert sent["api GET"].json["error"]["code"] == "bad_request"
    assert row_counts(catalogue_db) == before
    assert load_case(catalogue_db, number).version == version


def test_a_multipart_form_in_utf8_is_taken_as_typed(
    console: Console, catalogue_db: Database
) -> None:
    console.login("clerk")
    console.get("/counter/file/five-wd")
    # U+FFFD typed on purpose is valid UTF-8: only bytes that do not decode are refused.
    note = "申請人說明：收據上印著 \ufffd 符號"
    filed = _multipart_post(
        console.client,
        "/counter/file/five-wd",
        {"csrf_token": _token(console), "documents": "0", "applicant_name": "王小明",
         "phone": "0912-345-678", "note": note},
    )  # fmt: skip
    assert filed.status_code == 303, filed.get_data(as_text=True)[:800]
    number = filed.location.split("/")[3]  # /counter/cases/<number>/receipt
    with catalogue_db.transaction() as session:
        event = session.scalar(
            select(CaseEvent).join(Case).where(Case.number == number, CaseEvent.kind == "filed")
        )
        assert event is not None and event.note == note


def _stored(database: Database) -> dict[str, int]:
    """The rows of every table but the audit log (signing in is audited)."""
    counts = row_counts(database)
    del counts["audit_log"]
    return counts


def _console_refuses(
    console: Console, database: Database, number: str, action: str, data: dict[str, str]
) -> None:
    version = load_case(database, number).version
    response = console.post(
        f"/counter/cases/{number}/{action}", {"version": str(version), **data}, prefix=action
    )
    assert response.status_code == 422, (action, data, response.status_code)
    assert 'aria-invalid="true"' in response.get_data(as_text=True), (action, data)


def test_impossible_dates_are_refused_with_a_message(
    console: Console, api: ApiClient, catalogue_db: Database
) -> None:
    number = file_social_case(catalogue_db).number
    version = load_case(catalogue_db, number).version
    before = _stored(catalogue_db)
    console.login("clerk")
    for day in BAD_DAYS:
        _console_refuses(console, catalogue_db, number, "request_supplement",
                         {"other_items": "印章", "deadline": day})  # fmt: skip
        _console_refuses(console, catalogue_db, number, "overdue_info",
                         {"reason": "等待回函", "expected_completion": day})  # fmt: skip
    for amount in ("tomorrow", "99999", "-1", "1.5"):
        _console_refuses(console, catalogue_db, number, "extend", {"amount": amount, "reason": "x"})
    console.login("root")
    for day in BAD_DAYS:
        response = console.post(
            "/counter/admin/closures", {"day": day, "agency": "sanmin", "reason": "颱風"}
        )
        assert response.status_code == 422, (day, response.status_code)
        assert 'aria-invalid="true"' in response.get_data(as_text=True), day

    base = {"service": "five-wd", "applicant_name": "王小明", "phone": "0912345678"}
    for instant in BAD_INSTANTS:
        response = api.post("/cases", {**base, "received_at": instant})
        assert response.status_code == 422, (instant, response.json)
        assert "received_at" in response.json["error"]["fields"]
    for day in BAD_DAYS:
        checks = {
            "expected_completion": api.post(
                f"/cases/{number}/actions/overdue_info",
                {"reason": "等待回函", "expected_completion": day},
            ),
            "deadline": api.post(
                f"/cases/{number}/actions/request_supplement", {"items": ["印章"], "deadline": day}
            ),
            "day": api.post("/calendar/closures", {"day": day, "reason": "颱風"}),
        }
        for name, response in checks.items():
            assert response.status_code == 422, (name, day, response.json)
            assert name in response.json["error"]["fields"], (name, day)
        listed = api.get("/cases", query_string={"due_before": day})
        assert listed.status_code == 400 and "due_before" in listed.json["error"]["fields"]
        for name in ("start_date", "end_date"):
            found = api.client.get(f"/open311/v2/requests.json?{urlencode({name: day})}")
            assert found.status_code == 400, (name, day, found.json)
            assert name in found.json[0]["description"]
    assert _stored(catalogue_db) == before
    assert load_case(catalogue_db, number).version == version


def test_a_file_where_a_form_expects_text_is_refused(
    console: Console, api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    before = row_counts(catalogue_db)
    console.get("/status")
    token = _token(console)
    upload = console.client.post(
        "/status",
        data={"csrf_token": token, "number": (io.BytesIO(b"20260413-0001"), "n.txt"), "code": "x"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400  # not a validator failing on a file object (500)
    as_open311 = api.client.post(
        "/open311/v2/requests.json",
        data={"api_key": keys.full, "service_code": "five-wd", "email": "w@example.org",
              "last_name": (io.BytesIO("王".encode()), "name.txt")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert as_open311.status_code == 400 and as_open311.json[0]["code"] == 400
    assert row_counts(catalogue_db) == before
