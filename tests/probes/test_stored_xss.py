"""Probe: script typed into any free-text field is shown as text, never run as markup.

Each field gets its own payload (``<script>``, an ``onerror`` image and a ``javascript:`` URL,
labelled with the field's name), typed through the real forms by the users who fill them in.
Then the console's pages, the citizen's status page, the board, the local outbox and the email
HTML of every notice (notifications.render) are parsed: no element or attribute came from a
payload, and each payload shows where it should, escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

from flask import Flask
from markupsafe import escape
from sqlalchemy import select

from notifications.channels import channels_from_settings
from notifications.dispatch import Dispatcher
from notifications.render import render
from tests.factories import create_case
from tests.web.conftest import csrf_token
from tests.web.counter.conftest import Console, load_case
from tracker.calendar.store import load_calendar
from tracker.db import Database
from tracker.deadlines.timezones import TAIPEI
from tracker.models import Case, Notice
from tracker.notices.links import console_url, status_url, survey_token, survey_url


def payload(name: str) -> str:
    """What an attacker types into the field ``name``."""
    return (
        f'<script>alert("{name}")</script>"><img src=x onerror=alert("{name}")>'
        f'javascript:alert("{name}")'
    )


def shown(name: str) -> str:
    """The payload of ``name`` as a page must show it: escaped."""
    return str(escape(payload(name)))


class _Markup(HTMLParser):
    """Collects whatever in a page could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and (
                (value or "").strip().lower().startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "script":
            self._in_script = True
            if not dict(attrs).get("src"):
                self.problems.append("an inline <script>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("<img src=x>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"script content {data[:40]!r}")


def assert_inert(html: str, where: str, expect: tuple[str, ...] = ()) -> None:
    """No markup from a payload in ``html``; the payloads of ``expect`` are there, escaped."""
    assert "<script>alert" not in html and "<img src=x" not in html, where
    parser = _Markup()
    parser.feed(html)
    parser.close()
    assert parser.problems == [], where
    for name in expect:
        assert shown(name) in html, f"{where}: {name} is not shown"


@dataclass
class Stored:
    """The cases the attacker's texts went into, by what was done to them."""

    numbers: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)


def _act(console: Console, database: Database, number: str, action: str, **data: str) -> None:
    version = load_case(database, number).version
    console.get(f"/counter/cases/{number}")
    response = console.post(
        f"/counter/cases/{number}/{action}",
        {"version": str(version), **data},
        prefix=action,
        plain={"confirmed": "yes"},  # asked by actions that cannot be undone, ignored by others
    )
    assert response.status_code == 303, (action, response.get_data(as_text=True)[:800])


def _file(console: Console, database: Database) -> str:
    console.get("/counter/file/five-wd")
    response = console.post(
        "/counter/file/five-wd",
        {
            "documents": "0",
            "applicant_name": payload("name"),
            "phone": "0912-345-678",
            "email": "ming@example.org",
            "notify_by": "both",
            "note": payload("filing"),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return response.location.split("/")[3]  # /counter/cases/<number>/receipt


def _next_working_day(db: Database) -> date:
    """Tomorrow or the first working day after: closing it moves the open cases' due dates."""
    with db.transaction() as session:
        calendar = load_calendar(session, None)
        tomorrow = datetime.now(TAIPEI).date() + timedelta(days=1)  # in Taipei, as cases count
        return calendar.next_working_day_on_or_after(tomorrow)


def _store(app: Flask, console: Console, db: Database) -> Stored:
    """Every free-text field filled with its payload, through the forms that take it."""
    later = (date.today() + timedelta(days=20)).isoformat()
    out = Stored()
    console.login("clerk")
    a = out.numbers["A"] = _file(console, db)
    _act(console, db, a, "extend", amount="1", reason=payload("extension"))
    _act(console, db, a, "request_supplement", other_items=payload("items"))
    _act(console, db, a, "receive_supplement", note=payload("received"))
    _act(console, db, a, "overdue_info", reason=payload("overdue"), expected_completion=later)
    _act(console, db, a, "step", step="1", note=payload("step"))
    _act(console, db, a, "note", note=payload("public-note"), public="y")
    _act(console, db, a, "note", note=payload("internal-note"))
    _act(console, db, a, "complete", note=payload("result"))
    _act(console, db, b := _file(console, db), "reject", reason=payload("rejection"))
    _act(console, db, c := _file(console, db), "withdraw", note=payload("withdrawal"))
    d = _file(console, db)
    _act(console, db, d, "transfer_out", agency=payload("agency"), reason=payload("transfer-out"))
    _act(console, db, e := _file(console, db), "transfer", department="sanmin/civil",
         reason=payload("transfer"))  # fmt: skip
    o = _file(console, db)  # stays open: the closure re-times it
    out.numbers.update(B=b, C=c, D=d, E=e, O=o)
    # A letter task marked done, with how the applicant was reached.
    with db.transaction() as session:
        t = out.numbers["T"] = create_case(
            session, now=datetime.now(UTC), phone="07-311-0000", notify_by="none"
        ).number
        task = session.scalars(select(Notice.id).join(Case).where(Case.number == t)).one()
    console.get(f"/counter/cases/{t}")
    done = console.post(
        f"/counter/cases/{t}/tasks/{task}/done", {"note": payload("task")},
        prefix=f"task-{task}",
    )  # fmt: skip
    assert done.status_code == 303, done.get_data(as_text=True)[:800]

    with db.transaction() as session:
        f = out.numbers["F"] = create_case(
            session, "petition", now=datetime.now(UTC), applicant_name=payload("name"),
            email="lin@example.org", notify_by="both",
        ).number  # fmt: skip
    console.login("civil")
    _act(console, db, f, "decline", ground="repeated", reason=payload("decline"))

    # The survey form, sent back once with an error (its comment re-shown), then answered.
    survey = f"/survey/{a}/{survey_token(app.config['SECRET_KEY'], a)}"
    console.get(survey)
    again = console.post(survey, {"comment": payload("survey")})
    assert again.status_code == 422
    assert_inert(again.get_data(as_text=True), "survey form", expect=("survey",))
    assert console.post(survey, {"score": "3", "comment": payload("survey")}).status_code == 303

    console.login("root")
    user = console.post(
        "/counter/admin/users",
        {"username": "mallory", "display_name": payload("user")[:100], "role": "clerk",
         "department": "sanmin/social"},
    )  # fmt: skip
    assert user.status_code == 201, user.get_data(as_text=True)[:800]
    closure = console.post(
        "/counter/admin/closures",
        {"day": _next_working_day(db).isoformat(), "agency": "sanmin",
         "reason": payload("closure")},
    )  # fmt: skip
    assert closure.status_code == 303, closure.get_data(as_text=True)[:800]

    with db.transaction() as session:
        out.codes = {
            key: session.scalar(select(Case.lookup_code).where(Case.number == number)) or ""
            for key, number in out.numbers.items()
        }
    return out


CASE_PAGE_TEXTS = {
    # The missing items are listed while they are awaited (the status page keeps them).
    "A": ("name", "filing", "extension", "received", "overdue", "step", "public-note",
          "internal-note", "result"),
    "B": ("name", "rejection"),
    "C": ("name", "withdrawal"),
    "D": ("name", "transfer-out"),
    "T": ("task",),
}  # fmt: skip


def _check_console(console: Console, stored: Stored) -> None:
    console.login("clerk")
    for key, texts in CASE_PAGE_TEXTS.items():
        number = stored.numbers[key]
        page = console.get(f"/counter/cases/{number}")
        assert page.status_code == 200
        assert_inert(page.get_data(as_text=True), f"case page {key}", expect=texts)
        receipt = console.get(f"/counter/cases/{number}/receipt").get_data(as_text=True)
        assert_inert(receipt, f"receipt {key}")  # the receipt masks the name
    assert_inert(console.get("/counter").get_data(as_text=True), "queue")
    for query in ("<script>", payload("name")[:100]):
        results = console.get("/counter/search", query_string={"q": query})
        assert_inert(results.get_data(as_text=True), f"search {query!r}", expect=("name",))

    console.login("civil")
    for key, texts in {"E": ("name", "transfer"), "F": ("name", "decline")}.items():
        page = console.get(f"/counter/cases/{stored.numbers[key]}").get_data(as_text=True)
        assert_inert(page, f"case page {key}", expect=texts)
    assert_inert(console.get("/counter").get_data(as_text=True), "civil queue")

    console.login("boss")
    assert_inert(console.get("/counter/reports").get_data(as_text=True), "reports")
    console.login("root")
    admin = console.get("/counter/admin").get_data(as_text=True)
    assert_inert(admin, "admin", expect=("closure",))
    assert str(escape(payload("user")[:100])) in admin
    assert_inert(console.get("/counter/admin/audit").get_data(as_text=True), "audit log")


STATUS_PAGE_TEXTS = {
    # The applicant sees public notes and reasons; never an internal note nor the full name.
    "A": ("filing", "extension", "items", "received", "overdue", "step", "public-note", "result"),
    "B": ("rejection",),
    "C": ("withdrawal",),
    "D": ("agency", "transfer-out"),
    "E": ("transfer", "closure"),
    "F": ("decline",),
}


def _check_public_pages(app: Flask, stored: Stored) -> None:
    client = app.test_client()
    for key, texts in STATUS_PAGE_TEXTS.items():
        token = csrf_token(client.get("/status").get_data(as_text=True))
        data = {"csrf_token": token, "number": stored.numbers[key], "code": stored.codes[key]}
        assert client.post("/status", data=data).status_code == 303
        page = client.get("/status/case").get_data(as_text=True)
        assert_inert(page, f"status page {key}", expect=texts)
        assert shown("internal-note") not in page and shown("name") not in page
    for board in ("/board/sanmin/social", "/board/sanmin/civil"):
        response = client.get(board)
        assert response.status_code == 200
        assert_inert(response.get_data(as_text=True), board)


def _noon_tomorrow() -> datetime:
    # Past the SMS quiet hours whenever the test runs, so every notice goes out now.
    tomorrow = datetime.now(TAIPEI).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 12, tzinfo=TAIPEI).astimezone(UTC)


# What the applicants are told in their notices, each through one of them at least.
NOTICE_TEXTS = ("extension", "items", "result", "rejection", "agency", "transfer-out",
                "transfer", "decline", "closure")  # fmt: skip


def _check_notices(app: Flask, catalogue_db: Database) -> None:
    settings = app.config["SETTINGS"]
    with catalogue_db.transaction() as session:
        notices = [(n.kind, n.language, dict(n.payload)) for n in session.scalars(select(Notice))]
    assert len(notices) > 10
    html = []
    for kind, language, values in notices:
        number = values["case_number"]
        values.update(
            status_url=status_url(settings.public_base_url, number),
            survey_url=survey_url(settings.public_base_url, number, settings.secret_key),
            console_url=console_url(settings.public_base_url, number),
        )
        rendered = render(kind, "email", language, values)
        assert rendered.html is not None
        assert_inert(rendered.html, f"{kind} email")
        html.append(rendered.html)
    for name in NOTICE_TEXTS:
        assert any(shown(name) in page for page in html), f"no notice shows {name}"

    # The demo's outbox page shows the same notices once dispatched to the local outbox.
    later = _noon_tomorrow()
    dispatcher = Dispatcher(
        catalogue_db, channels_from_settings(settings), settings, clock=lambda: later
    )
    while dispatcher.dispatch_once().claimed:
        pass
    outbox = app.test_client().get("/outbox")
    assert outbox.status_code == 200
    assert_inert(outbox.get_data(as_text=True), "outbox", expect=("rejection", "decline"))


def test_every_free_text_is_shown_escaped(
    app: Flask, console: Console, catalogue_db: Database
) -> None:
    # One set of cases, read on every page that shows them: filling it in is the slow part.
    stored = _store(app, console, catalogue_db)
    _check_console(console, stored)
    _check_public_pages(app, stored)
    _check_notices(app, catalogue_db)
