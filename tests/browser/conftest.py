"""The browser tests' fixtures: the real app on a loopback port, Debian's chromium, a page.

The app is ``web.create_app()`` with settings read from an environment as an operator would give
them (``config.load_settings``), on a migrated SQLite file holding what ``tracker demo`` sets up:
the demo catalogue, an ``admin``, a ``clerk`` and a ``supervisor`` with their passwords, and three
sample cases. It is served by werkzeug in a thread of the test process for the whole session.

Chromium is Debian's (``/usr/bin/chromium``, or ``$CHROMIUM``), driven by Playwright's bundled
driver; Playwright's own browser download is never used. Without chromium every test here fails:
a browser test that skips would let CI pass without ever looking at a page.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from config import load_settings
from tests.browser.accessibility import assert_accessible
from tracker import migrate
from tracker.calendar.changes import declare_closure
from tracker.cases.actions import request_supplement
from tracker.cases.assignment import assign
from tracker.cases.closing import complete
from tracker.cases.filing import Application, file_case
from tracker.db import Database
from tracker.models import Case, User
from web.cli.demo_data import prepare_demo

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# The flags this machine needs (no sandbox as root; no calls home, which its network refuses).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "build" / "screenshots"  # not committed (.gitignore: build/)
SECRET_KEY = "browser-tests-" + "k" * 40
# The chooser's languages (web.core.i18n): the cookie value and the <html lang> it gives.
LANGUAGES = {"zh_TW": "zh-Hant-TW", "en": "en"}


@dataclass
class LiveApp:
    """The app under test: where it listens, its database and the demo users' passwords."""

    url: str
    app: Flask
    database: Database
    passwords: dict[str, str]
    samples: list[str] = field(default_factory=list)
    # Cases in every state a page colours differently, in the clerk's department and queue.
    overdue: str = ""
    paused: str = ""
    completed: str = ""  # a completed case whose survey stays unanswered

    def lookup_code(self, number: str) -> str:
        """The lookup code of case ``number``, read back from the database."""
        with self.database.transaction() as session:
            code = session.scalar(select(Case.lookup_code).where(Case.number == number))
        assert code, f"no case {number}"
        return code

    def at(self, path: str) -> str:
        """The absolute address of ``path``."""
        return self.url + path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """``tracker demo``'s data behind the real app, served on a free loopback port."""
    from web import create_app

    instance = tmp_path_factory.mktemp("browser-instance")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = load_settings(
        {
            "TRACKER_INSTANCE": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'tracker.db'}",
            "SECRET_KEY": SECRET_KEY,
            "PUBLIC_BASE_URL": url,
            "SMS_QUIET_HOURS": "",
        }
    )
    migrate.upgrade(settings.database_url)
    database = Database(settings.database_url)
    now = datetime.now(UTC)
    with database.transaction() as session:
        setup = prepare_demo(session, now=now)
        overdue, paused = _clerk_cases(session, now)
        completed = _completed_case(session, now)
        # A past closure: the administration page lists it with its withdrawal form.
        declare_closure(
            session,
            (now - timedelta(days=90)).date(),
            reason="颱風停止上班",
            actor="admin",
            now=now,
        )
    app = create_app(settings)
    try:
        with serving(app, port):
            yield LiveApp(
                url, app, database, setup.passwords, setup.filed, overdue, paused, completed
            )
    finally:
        app.extensions["database"].dispose()
        database.dispose()


@contextmanager
def serving(app: Flask, port: int) -> Iterator[None]:
    """``app`` on 127.0.0.1:``port``, served from a thread until the block ends."""
    server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _clerk_cases(session: Session, now: datetime) -> tuple[str, str]:
    """An overdue case and one waiting for documents, both in the demo clerk's queue."""
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    assert clerk is not None
    late = file_case(
        session,
        Application("emergency-relief", "陳美玲", phone="0933-111-222", language="en"),
        actor="clerk",
        now=now,
        received_at=now - timedelta(days=30),  # 5 working days: long overdue
    )
    waiting = file_case(
        session,
        Application("low-income-household", "林志豪", phone="0955-666-777"),
        actor="clerk",
        now=now,
    )
    request_supplement(session, waiting.id, ["戶口名簿影本"], actor="clerk", now=now)
    for case in (late, waiting):
        assign(session, case.id, clerk.id, actor="clerk", now=now)
    return late.number, waiting.number


def _completed_case(session: Session, now: datetime) -> str:
    """A completed case, for its satisfaction survey page."""
    case = file_case(
        session,
        Application("household-transcript", "張雅婷", phone="0922-333-444"),
        actor="clerk",
        now=now,
    )
    complete(session, case.id, note="已核發", actor="clerk", now=now)
    return case.number


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync API (its bundled driver; no browser of its own)."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's chromium, headless; fails (never skips) when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`; "
            ".ci/run does) or point $CHROMIUM at a Chromium binary",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


class Visit:
    """A page of the app, with what the browser complained about and helpers to look at it."""

    def __init__(self, page: Page, live_app: LiveApp, test_name: str) -> None:
        self.page = page
        self.app = live_app
        self.test_name = test_name
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # Chromium logs every page answered with 4xx as a failed load: for a page whose status
        # the test expects (a 404 page, a form sent back with 422) that is no fault.
        if (
            message.text.startswith("Failed to load resource: the server responded with a status")
            and message.location.get("url") == self.page.url
        ):
            return
        self.errors.append(f"console error at {self.page.url}: {message.text}")

    def goto(self, path: str, *, status: int | None = 200) -> Page:
        """Open ``path`` of the app; check the HTTP status of the answer (None: any)."""
        response = self.page.goto(self.app.at(path))
        assert response is not None, f"no response for {path}"
        if status is not None:
            assert response.status == status, f"{path}: HTTP {response.status}, not {status}"
        return self.page

    def shoot(self, name: str, *, page: Page | None = None, full_page: bool = True) -> Path:
        """Save a screenshot as build/screenshots/<test>-<name>.png (to look at, not committed).

        ``page``: another page than this visit's (a second browser in the same test).
        """
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.test_name}-{name}").strip("-")
        path = SCREENSHOTS / f"{slug}.png"
        (page or self.page).screenshot(path=str(path), full_page=full_page)
        return path

    def check(self, name: str) -> dict[str, Any]:
        """Screenshot, then axe-core (0 WCAG 2.1 A/AA violations) and no browser errors."""
        self.shoot(name)
        results = assert_accessible(self.page, name)
        self.assert_no_errors()
        return results

    def choose_language(self, code: str) -> None:
        """Switch language the way a reader does: the chooser's link in the page header."""
        lang = LANGUAGES[code]
        html = self.page.locator("html")
        if html.get_attribute("lang") != lang:
            self.page.locator(f'nav.language-chooser a[hreflang="{lang}"]').click()
            self.page.wait_for_load_state()
        assert html.get_attribute("lang") == lang, f"the chooser did not switch to {code}"

    def sign_in(self, username: str) -> None:
        """Sign in to the console through its form (the demo user's password)."""
        page = self.goto("/counter/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(self.app.passwords[username])
        page.locator("form.form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/counter/login" not in page.url, (
            f"{username} could not sign in:\n{page.inner_text('main')}"
        )

    def assert_no_errors(self) -> None:
        """No console errors (a CSP refusal shows up here) and no uncaught script errors."""
        assert not self.errors, "the browser reported:\n" + "\n".join(self.errors)


@pytest.fixture
def visit(browser: Browser, live_app: LiveApp, request: pytest.FixtureRequest) -> Iterator[Visit]:
    """A fresh browser context (no cookies) with one page, in Taipei's locale and time zone."""
    context = browser.new_context(
        locale="zh-TW", timezone_id="Asia/Taipei", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # Screenshots are named after the test module and the page: accessibility-receipt-en.png
        module = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
        yield Visit(page, live_app, module)
    finally:
        context.close()
