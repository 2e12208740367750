"""Screenshots of the main pages in zh-TW and English: ``.venv/bin/python docs/screenshots.py``.

The product runs in this process as ``tracker demo`` sets it up (a migrated SQLite file in a
temporary instance folder, the demo catalogue, users and sample cases) plus the browser tests'
extra cases (one long overdue, one waiting for documents, one completed), at the board's counter a
case ready for pickup and one with nothing to collect, and a past typhoon closure; one round of the
deadline watch and the dispatcher writes and "sends" their notices to the local outbox. Debian's
chromium (in the page's language, so that its own date fields match) then opens each page as a
person would, and the PNGs are written to docs/screenshots/ as ``<lang>-<page>.png``: what a
1280 x 800 window shows, or the whole page when it is not much taller; the status result also
390 px wide.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' helpers (how the app is served and signed into) live in tests/browser/.
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from config import load_settings  # noqa: E402
from notifications.channels import channels_from_settings  # noqa: E402
from notifications.dispatch import Dispatcher  # noqa: E402
from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveApp,
    Visit,
    _clerk_cases,
    _completed_case,
    _free_port,
    serving,
)
from tracker import migrate  # noqa: E402
from tracker.calendar.changes import declare_closure  # noqa: E402
from tracker.cases.closing import complete  # noqa: E402
from tracker.cases.filing import Application, file_case  # noqa: E402
from tracker.catalogue import DEMO_CATALOGUE  # noqa: E402
from tracker.clock import utc_now  # noqa: E402
from tracker.db import Database  # noqa: E402
from tracker.deadlines.timezones import TAIPEI  # noqa: E402
from web import create_app  # noqa: E402
from web.cli.demo_data import prepare_demo  # noqa: E402
from workers import jobs  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
# The language cookie's value (web.core.i18n.LOCALES) and chromium's --lang for each file name
# prefix.
LANGUAGES = {"zh-TW": ("zh_TW", "zh-TW"), "en": ("en", "en-US")}
# The address notices, receipts and QR codes show: the SMS budget test's, 28 characters long.
PUBLIC_BASE_URL = "https://casetrack.kcg.gov.tw"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# A page up to this tall is taken whole; a longer one only as far as the window shows.
WHOLE_PAGE_UP_TO = 1100


@contextmanager
def running_demo(instance: Path) -> Iterator[LiveApp]:
    """The app on a free loopback port, on ``tracker demo``'s data and the tests' extra cases."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = load_settings(
        {
            "TRACKER_INSTANCE": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'tracker.db'}",
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            # Otherwise an evening run would hold every SMS and the outbox would show none.
            "SMS_QUIET_HOURS": "",
        },
        demo=True,  # as `tracker demo`: its own key in the instance folder
    )
    # As `tracker demo` does: the admin screen's "reload" reloads the demo catalogue.
    settings = replace(settings, catalogue_file=DEMO_CATALOGUE)
    migrate.upgrade(settings.database_url)
    database = Database(settings.database_url)
    now = datetime.now(UTC)
    with database.transaction() as session:
        setup = prepare_demo(session, now=now)
        overdue, paused = _clerk_cases(session, now)
        completed = _completed_case(session, now)
        _board_and_calendar(session, now)
    # One round of what the demo's embedded worker does: the overdue case gets its notice, and
    # every notice is delivered to the local outbox.
    jobs.sweep_deadlines(database, utc_now)
    jobs.dispatch_notices(Dispatcher(database, channels_from_settings(settings), settings))
    app = create_app(settings)
    try:
        with serving(app, port):
            yield LiveApp(
                url, app, database, setup.passwords, setup.filed, overdue, paused, completed
            )
    finally:
        app.extensions["database"].dispose()
        database.dispose()


def _board_and_calendar(session: Session, now: datetime) -> None:
    """At the demo clerk's counter a case ready for pickup and one with nothing to collect (paid
    by bank transfer); a typhoon closure long past."""
    for service, note in (
        ("low-income-household", "已核定，請攜帶身分證明文件領取"),
        ("emergency-relief", "已核定，撥款入申請人帳戶"),
    ):
        done = file_case(
            session,
            Application(service, "黃俊傑", phone="0910-222-333"),
            actor="clerk",
            now=now,
            received_at=now - timedelta(days=2),
        )
        complete(session, done.id, note=note, actor="clerk", now=now)
    # Before every case here was received: listed on the admin screen, re-timing nothing.
    declare_closure(
        session, (now - timedelta(days=90)).date(), reason="颱風停止上班", actor="admin", now=now
    )


def _open(path: str) -> Callable[[Visit], None]:
    """Open ``path``; ``{sample}`` is the demo's first sample case, ``{overdue}`` the late one."""

    def open_page(visit: Visit) -> None:
        visit.goto(path.format(sample=visit.app.samples[0], overdue=visit.app.overdue))

    return open_page


def status_result(visit: Visit) -> None:
    """The overdue case, looked up with its number and code as a citizen types them."""
    number = visit.app.overdue
    page = visit.goto("/status")
    page.locator("#number").fill(number)
    page.locator("#code").fill(visit.app.lookup_code(number))
    page.locator("#status-form button[type=submit]").click()
    page.wait_for_url(visit.app.at("/status/case"))


def reports(visit: Visit) -> None:
    """Last month's and this month's reports: the overdue case was received a month ago."""
    today = datetime.now(TAIPEI)
    first = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    visit.goto(f"/counter/reports?from={first}&to={today:%Y-%m}")


def case_refused(visit: Visit) -> None:
    """A transfer sent without its reason: the error summary, and the panel open under it."""
    page = visit.goto(f"/counter/cases/{visit.app.overdue}")
    transfer = page.locator("details#action-transfer")
    transfer.locator("summary").click()
    transfer.locator("button[type=submit]").click()
    page.wait_for_load_state()


def case_confirm(visit: Visit) -> None:
    """Completing the overdue case: the question before what cannot be undone."""
    page = visit.goto(f"/counter/cases/{visit.app.overdue}")
    complete = page.locator("details#action-complete")
    complete.locator("summary").click()
    complete.locator("textarea").fill("已核定，撥款入申請人帳戶")
    complete.locator("button[type=submit]").click()
    page.wait_for_load_state()


def sop_preview(visit: Visit) -> None:
    """A supervisor shortens a limit and previews the public page and a new case's due date."""
    page = visit.goto("/counter/services/emergency-relief/edit")
    page.locator("#limit_amount").fill("4")
    page.locator('button[value="preview"]').click()
    page.wait_for_load_state()


@dataclass(frozen=True)
class Shot:
    """A page to take: its file name, who signs in first (None: nobody), how to reach it.

    ``scroll_to``: a Playwright selector brought to the top of the window first, for a page whose
    telling part is further down.
    """

    name: str
    user: str | None
    reach: Callable[[Visit], None]
    scroll_to: str | None = None


SHOTS = (
    Shot("home", None, _open("/")),
    Shot("services", None, _open("/services")),
    Shot("service", None, _open("/services/low-income-household")),
    Shot("status-form", None, _open("/status")),
    Shot("status-result", None, status_result),
    Shot("login", None, _open("/counter/login")),
    Shot("queue", "clerk", _open("/counter")),
    Shot("file-form", "clerk", _open("/counter/file/emergency-relief")),
    Shot("receipt", "clerk", _open("/counter/cases/{sample}/receipt")),
    Shot("case", "clerk", _open("/counter/cases/{overdue}")),
    Shot("case-refused", "clerk", case_refused),
    Shot("case-confirm", "clerk", case_confirm),
    # The timeline and the notices with their delivery status (the last two headings).
    Shot(
        "case-notices", "clerk", _open("/counter/cases/{overdue}"), "xpath=(//main//h2)[last()-1]"
    ),
    Shot("agency", "head", _open("/counter/agency")),
    Shot("reports", "supervisor", reports, "main h2 >> nth=1"),
    Shot("sops", "supervisor", _open("/counter/services")),
    Shot("sop-preview", "supervisor", sop_preview),
    Shot("admin", "admin", _open("/counter/admin"), "#catalogue"),
    Shot("open-data", None, _open("/open-data")),
    Shot("board", None, _open("/board/sanmin/social")),
    # From the applicant's overdue notice on (the staff's come first, being the newest).
    Shot("outbox", None, _open("/outbox"), "xpath=(//tr[td[2][normalize-space()='overdue']])[1]"),
)
PHONE_SHOTS = ("status-result",)


def take(
    browser: Browser, app: LiveApp, shot: Shot, cookie: str, viewport: dict[str, int], path: Path
) -> list[str]:
    """Save one screenshot; returns what the browser complained about on the way."""
    context = browser.new_context(
        locale="zh-TW", timezone_id="Asia/Taipei", viewport=viewport, device_scale_factor=1
    )
    context.add_cookies([{"name": "lang", "value": cookie, "url": app.url}])
    context.set_default_timeout(10_000)
    try:
        visit = Visit(context.new_page(), app, "docs")
        if shot.user:
            visit.sign_in(shot.user)
        shot.reach(visit)
        whole = False
        if shot.scroll_to:
            # To the top, less a little air above the heading.
            visit.page.locator(shot.scroll_to).evaluate(
                "e => { e.scrollIntoView({block: 'start'}); window.scrollBy(0, -16); }"
            )
        else:
            whole = visit.page.evaluate("document.documentElement.scrollHeight") <= WHOLE_PAGE_UP_TO
        visit.page.screenshot(path=str(path), full_page=whole)
        return visit.errors
    finally:
        context.close()


def plan() -> Iterator[tuple[Shot, dict[str, int], str]]:
    """Every page on the desktop, then the phone's few (file name suffix "-phone")."""
    for shot in SHOTS:
        yield shot, DESKTOP, ""
    for shot in SHOTS:
        if shot.name in PHONE_SHOTS:
            yield shot, PHONE, "-phone"


def main() -> None:
    """Start the demo, take every screenshot, print each file with its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    problems: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="tracker-screenshots-") as instance,
        running_demo(Path(instance)) as app,
        sync_playwright() as playwright,
    ):
        for lang, (cookie, chromium_lang) in LANGUAGES.items():
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=[*CHROMIUM_ARGS, f"--lang={chromium_lang}"],
                # Chromium on Linux takes its language (date fields, number formats) from here;
                # zh-TW needs Debian's chromium-l10n.
                env={**os.environ, "LANGUAGE": chromium_lang.replace("-", "_")},
            )
            for shot, viewport, suffix in plan():
                path = out / f"{lang}-{shot.name}{suffix}.png"
                errors = take(browser, app, shot, cookie, viewport, path)
                problems += [f"{path.name}: {error}" for error in errors]
                print(f"{path.name}  {path.stat().st_size // 1024} KB")
            browser.close()
    total = sum(p.stat().st_size for p in out.glob("*.png"))
    print(f"{total / 1_000_000:.1f} MB in {out}")
    for problem in problems:
        print(f"browser: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
