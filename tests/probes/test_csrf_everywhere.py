"""Probe: every state-changing form of the app refuses a POST without its own CSRF token.

The forms are found in the app's url_map, so a new POST route fails here until it is listed
with a forged and a genuine submission. Each form is sent by the right user, with fields that
would be accepted, once without a token and once with a valid token of another session (what a
cross-site attacker could get from their own visit): 400 both times and no row changed; the same
form with the page's token then does what it says.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from tests.factories import create_case
from tests.probes.snapshot import row_counts
from tests.web.conftest import csrf_token
from tests.web.counter.conftest import (
    PASSWORD,
    Console,
    file_social_case,
    load_case,
)
from tracker.cases import actions as case_actions
from tracker.cases import closing
from tracker.db import Database
from tracker.models import Case, Closure, Notice, User
from tracker.notices.links import survey_token
from web.counter.case_actions import ACTIONS, CONFIRMED

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Authenticated by an API key or the provider's signature, by design: no cookie, no CSRF.
EXEMPT_BLUEPRINTS = {"api": "/api/v1/", "open311": "/open311/", "webhooks": "/webhooks/"}


def _state_changing(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.methods and r.methods & STATE_CHANGING]


def _refused(
    console: Console, database: Database, path: str, data: dict[str, Any], prefix: str = ""
) -> None:
    """POST the form without a token and with another session's token: 400, nothing changed."""
    before = row_counts(database)
    stranger = console.client.application.test_client()
    foreign = csrf_token(stranger.get("/status").get_data(as_text=True))
    fields = {f"{prefix}-{k}" if prefix else k: v for k, v in data.items()}
    for token in (None, foreign):
        sent = dict(fields)
        if token:
            sent["csrf_token"] = token
            if prefix:
                sent[f"{prefix}-csrf_token"] = token
        response = console.client.post(path, data=sent)
        assert response.status_code == 400, (path, token)
        assert "This form has expired" in response.get_data(as_text=True)
    assert row_counts(database) == before, path


def _accepted(
    console: Console,
    database: Database,
    path: str,
    data: dict[str, Any],
    prefix: str | None = None,
    status: int = 303,
    plain: dict[str, Any] | None = None,
) -> None:
    """The same form with the page's token is taken and changes the database."""
    before = row_counts(database)
    response = console.post(path, data, prefix=prefix, plain=plain)
    assert response.status_code == status, (path, response.get_data(as_text=True)[:500])
    assert row_counts(database) != before, path


def _next_weekday() -> date:
    day = date.today() + timedelta(days=30)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# --- each form: its forged and its genuine submission ------------------------------------------


def _status_submit(console: Console, database: Database) -> None:
    case = file_social_case(database)
    console.get("/status")
    data = {"number": case.number, "code": case.lookup_code}
    _refused(console, database, "/status", data)
    assert console.get("/status/case").status_code == 303  # nothing was remembered
    assert console.post("/status", data).status_code == 303
    assert console.get("/status/case").status_code == 200


def _status_forget(console: Console, database: Database) -> None:
    case = file_social_case(database)
    console.get("/status")
    lookup = {"number": case.number, "code": case.lookup_code}
    assert console.post("/status", lookup).status_code == 303
    _refused(console, database, "/status/forget", {})
    assert console.get("/status/case").status_code == 200  # still remembered
    assert console.post("/status/forget").status_code == 303
    assert console.get("/status/case").status_code == 303


def _survey_answer(console: Console, database: Database) -> None:
    case = file_social_case(database)
    with database.transaction() as session:
        closing.complete(session, case.id, actor="clerk", now=case.received_at)
    secret = console.client.application.config["SECRET_KEY"]
    path = f"/survey/{case.number}/{survey_token(secret, case.number)}"
    assert console.get(path).status_code == 200
    data = {"score": "4", "comment": "謝謝"}
    _refused(console, database, path, data)
    _accepted(console, database, path, data)


def _login(console: Console, database: Database) -> None:
    console.get("/counter/login")
    data = {"username": "clerk", "password": PASSWORD}
    _refused(console, database, "/counter/login", data)  # a login is audited: no row, no login
    assert console.get("/counter").status_code == 303
    _accepted(console, database, "/counter/login", data)
    assert console.get("/counter").status_code == 200


def _logout(console: Console, database: Database) -> None:
    console.login("clerk")
    _refused(console, database, "/counter/logout", {})
    assert console.get("/counter").status_code == 200  # still signed in
    _accepted(console, database, "/counter/logout", {})
    assert console.get("/counter").status_code == 303


def _file(console: Console, database: Database) -> None:
    console.login("clerk")
    console.get("/counter/file/five-wd")
    data = {"documents": "0", "applicant_name": "王小明", "phone": "0912-345-678"}
    _refused(console, database, "/counter/file/five-wd", data)
    _accepted(console, database, "/counter/file/five-wd", data)


def _action_data(action: str, database: Database) -> tuple[str, int, dict[str, Any]]:
    """Who takes ``action``, on which new case, with what fields; the case is ready for it."""
    if action == "decline":  # petitions are the civil section's
        with database.transaction() as session:
            petition = create_case(session, "petition", now=datetime.now(UTC))
        return "civil", petition.id, {"ground": "repeated", "reason": "同一事由已函復"}
    case = file_social_case(database)
    if action == "receive_supplement":
        with database.transaction() as session:
            case_actions.request_supplement(
                session, case.id, ["印章"], actor="clerk", now=case.received_at
            )
    with database.transaction() as session:
        clerk_id = session.scalar(select(User.id).where(User.username == "clerk"))
    later = (date.today() + timedelta(days=10)).isoformat()
    data: dict[str, dict[str, Any]] = {
        "start": {"note": "開始"},
        "step": {"step": "1", "note": "訪視"},
        "request_supplement": {"documents": "0", "other_items": "印章"},
        "receive_supplement": {"note": "收到"},
        "extend": {"amount": "1", "reason": "需會勘"},
        "overdue_info": {"reason": "等待回函", "expected_completion": later},
        "note": {"note": "已聯絡", "public": "y"},
        "assign": {"user": str(clerk_id)},
        "transfer": {"department": "sanmin/civil", "reason": "屬民政課"},
        "transfer_out": {"agency": "地政事務所", "reason": "非本所業務"},
        "complete": {"note": "核准"},
        "reject": {"reason": "資格不符"},
        "withdraw": {"note": "申請人撤回"},
    }
    return "clerk", case.id, data[action]


def _act(console: Console, database: Database) -> None:
    signed_in = None
    # Every action of the case page, as web.counter.cases declares them; the civil clerk's last.
    for action in sorted(ACTIONS, key=lambda name: name == "decline"):
        who, case_id, data = _action_data(action, database)
        if who != signed_in:
            console.login(who)
            signed_in = who
        with database.transaction() as session:
            case = session.get(Case, case_id)
            assert case is not None
            number, version = case.number, case.version
        console.get(f"/counter/cases/{number}")
        path = f"/counter/cases/{number}/{action}"
        data = {"version": str(version), **data}
        _refused(console, database, path, data, prefix=action)
        assert load_case(database, number).version == version, action
        # Actions that cannot be undone are confirmed: the answer travels with the form.
        plain = {"confirmed": "yes"} if action in CONFIRMED else None
        _refused(console, database, path, {**data, "confirmed": "yes"}, prefix=action)
        _accepted(console, database, path, data, prefix=action, plain=plain)
        assert load_case(database, number).version > version, action


def _create_user(console: Console, database: Database) -> None:
    console.login("root")
    data = {
        "username": "newclerk",
        "display_name": "New Clerk",
        "role": "clerk",
        "department": "sanmin/social",
        "password": "another-long-passphrase",
    }
    _refused(console, database, "/counter/admin/users", data)
    _accepted(console, database, "/counter/admin/users", data, status=201)


def _reload_catalogue(console: Console, database: Database) -> None:
    console.login("root")
    _refused(console, database, "/counter/admin/catalogue", {})
    _accepted(console, database, "/counter/admin/catalogue", {}, status=200)  # audited


def _declare_closure(console: Console, database: Database) -> None:
    console.login("root")
    data = {"day": _next_weekday().isoformat(), "agency": "sanmin", "reason": "颱風停止上班"}
    _refused(console, database, "/counter/admin/closures", data)
    _accepted(console, database, "/counter/admin/closures", data)


def _withdraw_closure(console: Console, database: Database) -> None:
    console.login("root")
    day = _next_weekday().isoformat()
    console.post("/counter/admin/closures", {"day": day, "agency": "sanmin", "reason": "颱風"})
    with database.transaction() as session:
        closure_id = session.scalars(select(Closure.id)).one()
    console.get("/counter/admin")
    path = f"/counter/admin/closures/{closure_id}/withdraw"
    data = {"reason": "颱風轉向"}
    _refused(console, database, path, data, prefix=f"withdraw-{closure_id}")
    _accepted(console, database, path, data, prefix=f"withdraw-{closure_id}")


def _task_done(console: Console, database: Database) -> None:
    console.login("clerk")
    case = file_social_case(database, phone="07-311-0000", notify_by="none")
    with database.transaction() as session:
        task = session.scalars(select(Notice.id).where(Notice.case_id == case.id)).one()
    console.get(f"/counter/cases/{case.number}")
    path = f"/counter/cases/{case.number}/tasks/{task}/done"
    data = {"note": "已電話告知"}
    _refused(console, database, path, data, prefix=f"task-{task}")
    with database.transaction() as session:
        assert session.get_one(Notice, task).done_at is None
    _accepted(console, database, path, data, prefix=f"task-{task}")  # audited: a new row
    with database.transaction() as session:
        assert session.get_one(Notice, task).done_at is not None


def _user_change(action: str, data: dict[str, Any], status: int = 303) -> Callable[..., None]:
    """A probe of one of the administrator's changes to the user colleague (audited: a row)."""

    def probe(console: Console, database: Database) -> None:
        console.login("root")
        console.get("/counter/admin/users/colleague")
        path = f"/counter/admin/users/colleague/{action}"
        _refused(console, database, path, data)
        _accepted(console, database, path, data, status=status)

    return probe


def _change_password(console: Console, database: Database) -> None:
    console.login("clerk")
    console.get("/counter/account/password")
    new = "glacier penguin violin summit"
    data = {"current": PASSWORD, "new": new, "confirm": new}
    _refused(console, database, "/counter/account/password", data)
    _accepted(console, database, "/counter/account/password", data)


SOP = {
    "department": "sanmin/social",
    "kind": "application",
    "name_zh": "身心障礙者輔具補助",
    "name_en": "Assistive devices grant",
    "limit_amount": "20",
    "limit_unit": "wd",
    "supplement_amount": "7",
    "supplement_unit": "d",
    "supplement_clock": "pause",
    "steps_zh": "收件\n審核\n核定",
    "documents_zh": "申請書",
    "pickup": "y",
    "retention_amount": "5",
    "retention_unit": "y",
    "intent": "save",
}


def _new_service(console: Console, database: Database) -> None:
    console.login("boss")
    console.get("/counter/services/new")
    data = {**SOP, "code": "assistive-devices", "based_on": "0"}
    _refused(console, database, "/counter/services/new", data)
    _accepted(console, database, "/counter/services/new", data)


def _edit_service(console: Console, database: Database) -> None:
    console.login("boss")
    console.get("/counter/services/five-wd/edit")
    data = {**SOP, "based_on": "1"}
    _refused(console, database, "/counter/services/five-wd/edit", data)
    _accepted(console, database, "/counter/services/five-wd/edit", data)


def _root_secret(database: Database) -> str | None:
    with database.transaction() as session:
        return session.scalar(select(User.totp_secret).where(User.username == "root"))


def _totp_enrol(console: Console, database: Database) -> None:
    console.login("root")
    console.get("/counter/account/two-step")
    secret = _root_secret(database)
    assert secret is not None
    data = {"code": pyotp.TOTP(secret).now()}
    _refused(console, database, "/counter/account/two-step", data)
    _accepted(console, database, "/counter/account/two-step", data)  # audited: a new row


def _totp_code(console: Console, database: Database) -> None:
    secret = pyotp.random_base32()
    with database.transaction() as session:
        root = session.scalars(select(User).where(User.username == "root")).one()
        root.totp_secret, root.totp_confirmed_at = secret, datetime.now(UTC)
    console.login("root")
    console.get("/counter/login/code")
    data = {"code": pyotp.TOTP(secret).now()}
    _refused(console, database, "/counter/login/code", data)
    assert console.get("/counter/admin").status_code == 303  # still waiting for the code
    assert console.post("/counter/login/code", data).status_code == 303
    assert console.get("/counter/admin").status_code == 200


FORMS: dict[str, Callable[[Console, Database], None]] = {
    "status.submit": _status_submit,
    "status.forget": _status_forget,
    "survey.answer": _survey_answer,
    "counter.login": _login,
    "counter.logout": _logout,
    "counter.file_service": _file,
    "counter.act": _act,
    "counter.task_done": _task_done,
    "counter.new_service": _new_service,
    "counter.edit_service": _edit_service,
    "counter.create_user_view": _create_user,
    "counter.reload_catalogue": _reload_catalogue,
    "counter.declare_closure_view": _declare_closure,
    "counter.withdraw_closure_view": _withdraw_closure,
    "counter.deactivate_user": _user_change("deactivate", {}),
    "counter.activate_user": _user_change("activate", {}),
    "counter.reset_user_password": _user_change("reset-password", {}, status=200),
    "counter.set_user_role": _user_change("role", {"role": "supervisor", "department": "sanmin"}),
    "counter.change_password": _change_password,
    "counter.totp_enrol": _totp_enrol,
    "counter.totp_code": _totp_code,
}


def test_the_exemptions_are_exactly_the_key_and_signature_apis(app: Flask) -> None:
    csrf = app.extensions["csrf"]
    assert {blueprint.name for blueprint in csrf._exempt_blueprints} == set(EXEMPT_BLUEPRINTS)
    assert csrf._exempt_views == set()
    for rule in _state_changing(app):
        exempt = rule.endpoint.partition(".")[0] in EXEMPT_BLUEPRINTS
        assert exempt == rule.rule.startswith(tuple(EXEMPT_BLUEPRINTS.values())), rule.rule
    # Exempt from CSRF is not open: each refuses a caller without its key or signature.
    client = app.test_client()
    assert client.post("/api/v1/cases", json={}).status_code == 401
    assert client.post("/open311/v2/requests.json", data={"service_code": "x"}).status_code == 403
    assert client.post("/webhooks/twilio/status").status_code == 404  # no Twilio: no webhook


def test_every_state_changing_form_is_probed(app: Flask) -> None:
    endpoints = {
        r.endpoint
        for r in _state_changing(app)
        if r.endpoint.partition(".")[0] not in EXEMPT_BLUEPRINTS
    }
    assert endpoints == set(FORMS), "list each new form in FORMS with a probe"


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_a_form_without_its_token_changes_nothing(
    console: Console, catalogue_db: Database, endpoint: str
) -> None:
    FORMS[endpoint](console, catalogue_db)
