"""The clerk's day in Chromium, in zh-TW and in English: filing to a printed receipt in five
clicks, an action refused then done (focus and visibility, not only words), the question before
what cannot be undone, the agency view, and an SOP edited in the browser then filed against.

Every page on the way is checked with axe-core (0 WCAG 2.1 A/AA violations), error states and
the confirmation step included; screenshots land in build/screenshots/.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Locator, Page
from sqlalchemy import select

from tests.browser.conftest import LANGUAGES, LiveApp, Visit
from tracker.calendar.store import load_calendar
from tracker.cases.assignment import assign
from tracker.cases.filing import Application, file_case
from tracker.deadlines.display import written
from tracker.deadlines.engine import compute_deadline
from tracker.deadlines.limits import parse_limit
from tracker.lifecycle import CaseStatus
from tracker.models import Agency, Case, User

pytestmark = pytest.mark.browser

# Filing to a printed receipt for a service with three documents: at most this many clicks.
MOST_CLICKS = 5
# window.print() counted instead of opening the print dialog a headless browser has none of.
PRINT_COUNTER = "window.__printed = 0; window.print = () => { window.__printed += 1; };"
TEXT = {"zh_TW": "zh-TW", "en": "en"}


class Clicks:
    """The mouse clicks a person makes, counted: typing is not a click."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, locator: Locator) -> None:
        locator.click()
        self.count += 1


def _fresh_case(live_app: LiveApp, service: str = "emergency-relief") -> str:
    """A case of the demo clerk's section filed now and given to the clerk."""
    now = datetime.now(UTC)
    with live_app.database.transaction() as session:
        clerk = session.scalar(select(User).where(User.username == "clerk"))
        assert clerk is not None
        case = file_case(
            session, Application(service, "黃志明", phone="0911-222-333"), actor="clerk", now=now
        )
        assign(session, case.id, clerk.id, actor="clerk", now=now)
        return case.number


def _case(live_app: LiveApp, number: str) -> Case:
    with live_app.database.transaction() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        session.expunge(case)
        return case


def _in_view(page: Page, locator: Locator) -> bool:
    """Whether the element's top is inside the window as the page stands now."""
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert viewport is not None
    return 0 <= box["y"] < viewport["height"]


def _focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.className"))


def _due_written(limit: str, lang: str, live_app: LiveApp) -> str:
    """The due date a case of ``limit`` filed now gets on the demo clerk's agency's calendar."""
    with live_app.database.transaction() as session:
        sanmin = session.scalar(select(Agency.id).where(Agency.code == "sanmin"))
        calendar = load_calendar(session, sanmin)
    due = compute_deadline(datetime.now(UTC), parse_limit(limit), calendar)
    assert due is not None
    assert due.due_date is not None
    return written(due.due_date, TEXT[lang])


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_filing_to_a_printed_receipt_takes_five_clicks(
    visit: Visit, live_app: LiveApp, lang: str
) -> None:
    page = visit.page
    page.add_init_script(PRINT_COUNTER)
    visit.sign_in("clerk")
    visit.choose_language(lang)
    assert page.url.endswith("/counter"), page.url  # the clerk's queue: where the day starts
    click = Clicks()
    click(page.locator('nav a[href="/counter/file"]'))
    click(page.locator('a[href="/counter/file/emergency-relief"]'))
    assert page.locator("#documents input[type=checkbox]").count() == 3
    click(page.locator("#all_documents"))
    page.locator("#applicant_name").fill("王大同")
    page.locator("#phone").fill("0912-000-111")
    click(page.locator("main form.form button[type=submit]"))
    page.wait_for_url("**/receipt")
    click(page.locator("button[data-print]"))
    assert page.evaluate("window.__printed") == 1, "the print button did not print"
    assert click.count <= MOST_CLICKS, f"{click.count} clicks to a printed receipt"
    number = page.locator(".receipt__number").inner_text().strip()
    case = _case(live_app, number)
    assert case.status == CaseStatus.RECEIVED  # every document brought: nothing asked for
    assert case.due_date is not None
    due = page.locator(".receipt__due").inner_text()
    assert written(case.due_date, TEXT[lang]) in due  # 民國 in Chinese, 7 Dec 2026 in English
    visit.check(f"receipt-five-clicks-{lang}")


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_an_action_refused_then_done(visit: Visit, live_app: LiveApp, lang: str) -> None:
    number = _fresh_case(live_app)
    visit.sign_in("clerk")
    visit.choose_language(lang)
    page = visit.goto(f"/counter/cases/{number}")
    extend = page.locator("details#action-extend")
    extend.locator("summary").click()
    extend.locator("button[type=submit]").click()
    page.wait_for_load_state()

    summary = page.locator(".error-summary")
    assert summary.is_visible()
    page.wait_for_function("document.activeElement.classList.contains('error-summary')")
    assert _in_view(page, summary), "the error summary is out of sight"
    # Both problems at once, the form's and the domain's, each naming its field.
    links = summary.locator("a")
    assert links.count() == 2, summary.inner_text()
    assert [links.nth(i).get_attribute("href") for i in range(2)] == [
        "#extend-amount",
        "#extend-reason",
    ]
    panel = page.locator("details#action-extend[open]")
    assert panel.is_visible()
    assert _in_view(page, panel), "the refused panel is out of sight"
    visit.check(f"action-refused-{lang}")

    links.nth(1).click()
    assert _focused(page) == "extend-reason", "the summary's link did not lead to its field"
    panel.locator("#extend-amount").fill("2")
    panel.locator("#extend-reason").fill("需現場會勘")
    panel.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".notice--success").is_visible()
    assert page.locator(".error-summary").count() == 0
    assert _case(live_app, number).extension == "2wd"
    visit.check(f"action-done-{lang}")


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_completing_asks_first(visit: Visit, live_app: LiveApp, lang: str) -> None:
    number = _fresh_case(live_app)
    visit.sign_in("clerk")
    visit.choose_language(lang)

    def ask() -> Page:
        page = visit.goto(f"/counter/cases/{number}")
        complete = page.locator("details#action-complete")
        complete.locator("summary").click()
        complete.locator("textarea").fill("已核發")
        complete.locator("button[type=submit]").click()
        page.wait_for_load_state()
        return page

    page = ask()
    assert number in page.locator("h1").inner_text()
    assert "已核發" in page.inner_text("main")  # what the applicant will be told
    assert _focused(page) == "button", "the answer is not ready under the finger"
    visit.check(f"confirm-complete-{lang}")
    page.locator(f'main a[href="/counter/cases/{number}"]').click()  # no, go back
    page.wait_for_load_state()
    assert _case(live_app, number).status == CaseStatus.RECEIVED

    page = ask()
    page.locator('button[name="confirmed"]').click()
    page.wait_for_load_state()
    assert page.locator(".notice--success").is_visible()
    assert _case(live_app, number).status == CaseStatus.COMPLETED


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_agency_view(visit: Visit, live_app: LiveApp, lang: str) -> None:
    visit.sign_in("head")
    visit.choose_language(lang)
    page = visit.goto("/counter")
    assert page.url.endswith("/counter/agency"), page.url
    rows = page.locator("table.agency tbody tr")
    assert rows.count() == 3  # 三民區公所: social, military, secretariat
    social = page.locator("table.agency tbody tr", has=page.locator('a[href$="/sanmin/social"]'))
    overdue = social.locator("td").first.inner_text().strip()
    assert int(overdue) >= 1, "the demo's overdue case is not counted"
    visit.check(f"agency-view-{lang}")
    oldest = page.locator("table.queue tbody a").first
    number = oldest.inner_text().strip()
    oldest.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/counter/cases/{number}")
    page = visit.goto("/counter/agency")
    page.locator('table.agency a[href$="/sanmin/social"]').click()
    page.wait_for_load_state()
    assert page.url.endswith("/counter/queues/sanmin/social")
    assert page.locator("table.queue").count() >= 1
    visit.check(f"agency-department-queue-{lang}")


def _sign_out(page: Page) -> None:
    page.locator(".console-nav__logout").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_an_sop_edited_in_the_browser_then_filed_against(
    visit: Visit, live_app: LiveApp, lang: str
) -> None:
    code = f"browser-sop-{lang.replace('_', '-').lower()}"
    visit.sign_in("supervisor")
    visit.choose_language(lang)
    page = visit.goto("/counter/services")
    page.locator('a[href="/counter/services/new"]').click()
    page.wait_for_load_state()
    page.locator("#code").fill(code)
    page.locator("#name_zh").fill("輔具費用補助")
    page.locator("#name_en").fill("Assistive devices grant")
    page.locator("#limit_amount").fill("3")
    page.locator("#limit_unit").select_option("wd")
    page.locator("#supplement_amount").fill("7")
    page.locator("#steps_zh").fill("收件\n審核\n核定")
    page.locator("#steps_en").fill("Received\nReview\nDecision")
    page.locator("#documents_zh").fill("申請書\n診斷證明書\n存摺封面影本")
    page.locator('button[value="preview"]').click()
    page.wait_for_load_state()
    preview = page.locator("section.preview")
    assert preview.is_visible(), page.inner_text("main")
    assert _due_written("3wd", lang, live_app) in preview.inner_text()
    visit.check(f"sop-new-preview-{lang}")
    page.locator('button[value="save"]').click()
    page.wait_for_load_state()
    assert page.url.endswith("/counter/services"), page.inner_text("main")

    # Change it: a longer limit, saved as version 2.
    page.locator(f'a[href="/counter/services/{code}/edit"]').click()
    page.wait_for_load_state()
    page.locator("#limit_amount").fill("")
    page.locator('button[value="save"]').click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()  # the file's own rule, refused
    page.wait_for_function("document.activeElement.classList.contains('error-summary')")
    visit.check(f"sop-edit-refused-{lang}")
    page.locator("#limit_amount").fill("10")
    page.locator('button[value="save"]').click()
    page.wait_for_load_state()
    assert page.locator(".notice--success").is_visible(), page.inner_text("main")
    _sign_out(page)

    visit.sign_in("clerk")
    page = visit.goto("/counter/file")
    page.locator(f'a[href="/counter/file/{code}"]').click()
    page.wait_for_load_state()
    page.locator("#all_documents").check()
    page.locator("#applicant_name").fill("李小華")
    page.locator("#phone").fill("0912-222-333")
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url("**/receipt")
    # Filed under the new version: its ten working days.
    assert _due_written("10wd", lang, live_app) in page.locator(".receipt__due").inner_text()
    visit.check(f"sop-filed-receipt-{lang}")
