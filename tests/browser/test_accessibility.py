"""axe-core on every page type, public and console, in zh-TW and English: 0 WCAG 2.1 AA errors.

Each page is reached as a person reaches it (the language chosen with the chooser, forms filled
and sent), including the states that add to a page: field errors, a refused lookup, an overdue
case, a case waiting for documents, every action of a case page opened. A screenshot of each
lands in build/screenshots/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.browser.conftest import LANGUAGES, SECRET_KEY, Visit
from tracker.deadlines.timezones import TAIPEI
from tracker.notices.links import survey_token

pytestmark = pytest.mark.browser

Recipe = Callable[[Visit], None]


@dataclass(frozen=True)
class Screen:
    """How to reach a page: who signs in first (None: nobody) and what to do then."""

    user: str | None
    reach: Recipe


def _path(path: str, status: int = 200) -> Recipe:
    """Open ``path``; ``{sample}`` in it is the demo's first sample case."""

    def open_page(visit: Visit) -> None:
        visit.goto(path.format(sample=visit.app.samples[0]), status=status)

    return open_page


def _look_up(visit: Visit, number: str, code: str) -> None:
    page = visit.goto("/status")
    page.locator("#number").fill(number)
    page.locator("#code").fill(code)
    page.locator("#status-form button[type=submit]").click()
    page.wait_for_load_state()


def status_errors(visit: Visit) -> None:
    visit.goto("/status")
    visit.page.locator("#status-form button[type=submit]").click()
    visit.page.wait_for_load_state()
    assert visit.page.locator(".field__error").count() == 2


def status_refused(visit: Visit) -> None:
    _look_up(visit, visit.app.samples[0], "2222233333")
    assert visit.page.locator("#lookup-refused").is_visible()


def _status_of(attribute: str) -> Recipe:
    def open_page(visit: Visit) -> None:
        number = getattr(visit.app, attribute)
        number = number[0] if isinstance(number, list) else number
        _look_up(visit, number, visit.app.lookup_code(number))
        assert visit.page.url.endswith("/status/case"), visit.page.inner_text("main")
        assert number in visit.page.inner_text("main")

    return open_page


def status_prefilled(visit: Visit) -> None:
    visit.goto(f"/s/{visit.app.samples[0]}")
    assert visit.page.locator("#number").input_value() == visit.app.samples[0]


def _survey_path(visit: Visit) -> str:
    number = visit.app.completed
    return f"/survey/{number}/{survey_token(SECRET_KEY, number)}"


def survey_form(visit: Visit) -> None:
    page = visit.goto(_survey_path(visit))
    assert page.locator("input[type=radio]").count() == 5


def survey_errors(visit: Visit) -> None:
    # Sent without a choice: the survey stays open for the other screens.
    page = visit.goto(_survey_path(visit))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#score-error").is_visible(), page.inner_text("main")
    assert page.locator(".error-summary").is_visible()


def login_refused(visit: Visit) -> None:
    page = visit.goto("/counter/login")
    page.locator("#username").fill("clerk")
    page.locator("#password").fill("not the password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".notice--error").is_visible()


def file_form_errors(visit: Visit) -> None:
    page = visit.goto("/counter/file/emergency-relief")
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".field__error").count() >= 1, page.inner_text("main")
    assert page.locator(".error-summary").is_visible()


def _case_with_every_action_open(attribute: str) -> Recipe:
    def open_page(visit: Visit) -> None:
        number = getattr(visit.app, attribute)
        number = number[0] if isinstance(number, list) else number
        page = visit.goto(f"/counter/cases/{number}")
        actions = page.locator("details.action")
        assert actions.count() >= 3, "the case page offers hardly any action"
        for i in range(actions.count()):
            actions.nth(i).locator("summary").click()
        assert page.locator("details.action[open]").count() == actions.count()

    return open_page


def case_action_errors(visit: Visit) -> None:
    page = visit.goto(f"/counter/cases/{visit.app.samples[0]}")
    transfer = page.locator("details#action-transfer")
    transfer.locator("summary").click()
    transfer.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("details#action-transfer[open] .field__error").count() >= 1, (
        page.inner_text("main")
    )


def case_confirmation(visit: Visit) -> None:
    page = visit.goto(f"/counter/cases/{visit.app.samples[0]}")
    complete = page.locator("details#action-complete")
    complete.locator("summary").click()
    complete.locator("textarea").fill("已核發")
    complete.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator('button[name="confirmed"]').is_visible(), page.inner_text("main")


def sop_form_errors(visit: Visit) -> None:
    page = visit.goto("/counter/services/emergency-relief/edit")
    page.locator("#name_zh").fill("")
    page.locator("#limit_amount").fill("0")
    page.locator('button[value="preview"]').click()
    page.wait_for_load_state()
    assert page.locator(".error-summary li").count() == 2, page.inner_text("main")


def sop_preview(visit: Visit) -> None:
    page = visit.goto("/counter/services/emergency-relief/edit")
    page.locator("#limit_amount").fill("7")
    page.locator('button[value="preview"]').click()
    page.wait_for_load_state()
    assert page.locator("section.preview").is_visible(), page.inner_text("main")


def search_results(visit: Visit) -> None:
    number = visit.app.samples[0]
    page = visit.goto(f"/counter/search?q={number}")
    assert page.locator(f'table a[href="/counter/cases/{number}"]').count() == 1


def admin_errors(visit: Visit) -> None:
    page = visit.goto("/counter/admin")
    page.locator('form[action="/counter/admin/users"] button[type=submit]').click()
    page.wait_for_load_state()
    assert page.locator(".field__error").count() >= 1, page.inner_text("main")


def password_errors(visit: Visit) -> None:
    page = visit.goto("/counter/account/password")
    page.locator("#current").fill("not-the-password")
    page.locator("#new").fill("password1234")
    page.locator("#confirm").fill("password1234")
    page.locator('form[action="/counter/account/password"] button[type=submit]').click()
    page.wait_for_load_state()
    assert page.locator(".error-summary li").count() == 2, page.inner_text("main")


def two_step_errors(visit: Visit) -> None:
    page = visit.goto("/counter/account/two-step")
    page.locator('form[action="/counter/account/two-step"] button[type=submit]').click()
    page.wait_for_load_state()
    assert page.locator(".field__error").count() == 1, page.inner_text("main")


def _reports_this_month(tables: int) -> Recipe:
    """The reports of the current month: the demo's cases, their tables and chart."""

    def open_page(visit: Visit) -> None:
        month = datetime.now(TAIPEI).strftime("%Y-%m")
        page = visit.goto(f"/counter/reports?from={month}&to={month}")
        assert page.locator("table caption").count() >= tables, page.inner_text("main")

    return open_page


PAGES: dict[str, Screen] = {
    # public
    "home": Screen(None, _path("/")),
    "services": Screen(None, _path("/services")),
    "service": Screen(None, _path("/services/low-income-household")),
    "status-form": Screen(None, _path("/status")),
    "status-form-errors": Screen(None, status_errors),
    "status-refused": Screen(None, status_refused),
    "status-result": Screen(None, _status_of("samples")),
    "status-result-overdue": Screen(None, _status_of("overdue")),
    "status-result-waiting": Screen(None, _status_of("paused")),
    "status-from-sms-link": Screen(None, status_prefilled),
    "board": Screen(None, _path("/board/sanmin/social")),
    "survey-form": Screen(None, survey_form),
    "survey-errors": Screen(None, survey_errors),
    "survey-closed": Screen(None, _path("/survey/20990101-0001/AAAAAAAA", status=404)),
    "survey-thanks": Screen(None, _path("/survey/thanks")),
    "not-found": Screen(None, _path("/services/no-such-service", status=404)),
    # console
    "login": Screen(None, _path("/counter/login")),
    "login-refused": Screen(None, login_refused),
    "queues-clerk": Screen("clerk", _path("/counter")),
    "queues-supervisor": Screen("supervisor", _path("/counter")),
    "file-choose-service": Screen("clerk", _path("/counter/file")),
    "file-form": Screen("clerk", _path("/counter/file/emergency-relief")),
    "file-form-errors": Screen("clerk", file_form_errors),
    "receipt": Screen("clerk", _path("/counter/cases/{sample}/receipt")),
    "case-overdue-actions-open": Screen("clerk", _case_with_every_action_open("overdue")),
    "case-waiting-actions-open": Screen("clerk", _case_with_every_action_open("paused")),
    "case-action-errors": Screen("clerk", case_action_errors),
    "case-confirmation": Screen("clerk", case_confirmation),
    "agency-view": Screen("head", _path("/counter/agency")),
    "agency-department-queue": Screen("head", _path("/counter/queues/sanmin/social")),
    "file-choose-department": Screen("head", _path("/counter/file")),
    "sops": Screen("supervisor", _path("/counter/services")),
    "sop-form": Screen("supervisor", _path("/counter/services/emergency-relief/edit")),
    "sop-new": Screen("supervisor", _path("/counter/services/new")),
    "sop-form-errors": Screen("supervisor", sop_form_errors),
    "sop-preview": Screen("supervisor", sop_preview),
    "search-form": Screen("clerk", _path("/counter/search")),
    "search-results": Screen("clerk", search_results),
    "search-nothing-found": Screen("clerk", _path("/counter/search?q=zzzz")),
    "admin": Screen("admin", _path("/counter/admin")),
    "admin-errors": Screen("admin", admin_errors),
    "audit-log": Screen("admin", _path("/counter/admin/audit")),
    "admin-user": Screen("admin", _path("/counter/admin/users/clerk")),
    "my-password": Screen("clerk", _path("/counter/account/password")),
    "my-password-errors": Screen("clerk", password_errors),
    "two-step-enrol": Screen("admin", _path("/counter/account/two-step")),
    "two-step-enrol-errors": Screen("admin", two_step_errors),
    "forbidden": Screen("clerk", _path("/counter/admin", status=403)),
    "reports-admin": Screen("admin", _reports_this_month(tables=6)),
    "reports-supervisor": Screen("supervisor", _reports_this_month(tables=1)),
    "reports-empty": Screen("supervisor", _path("/counter/reports?from=2020-01&to=2020-02")),
    "open-data": Screen(None, _path("/open-data")),
    "open-data-dictionary": Screen(None, _path("/open-data/dictionary")),
}


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_wcag_21_aa_violations(visit: Visit, name: str, lang: str) -> None:
    screen = PAGES[name]
    if screen.user:
        visit.sign_in(screen.user)
    else:
        visit.goto("/")
    visit.choose_language(lang)
    screen.reach(visit)
    assert visit.page.locator("html").get_attribute("lang") == LANGUAGES[lang]
    assert visit.page.locator("h1").count() == 1, "a page has one main heading"
    visit.check(f"{name}-{lang}")


@pytest.mark.parametrize("width", [1280, 360])
def test_checkboxes_and_radio_buttons_are_24px_targets(visit: Visit, width: int) -> None:
    """WCAG 2.2 target size (axe's 2.1 rules do not measure it): at least 24×24 CSS px."""
    visit.page.set_viewport_size({"width": width, "height": 900})
    visit.sign_in("clerk")
    page = visit.goto("/counter/file/emergency-relief")
    boxes = page.locator("input[type=checkbox], input[type=radio]")
    assert boxes.count() >= 2
    for i in range(boxes.count()):
        box = boxes.nth(i).bounding_box()
        assert box is not None and box["width"] >= 24 and box["height"] >= 24, box
    visit.shoot(f"file-form-checkboxes-{width}")


@pytest.mark.parametrize("width", [1280, 360])
def test_the_survey_radio_buttons_are_24px_targets(visit: Visit, width: int) -> None:
    """The public survey's five choices, like the console's boxes (WCAG 2.2 target size)."""
    visit.page.set_viewport_size({"width": width, "height": 900})
    page = visit.goto(_survey_path(visit))
    radios = page.locator("input[type=radio]")
    assert radios.count() == 5
    for i in range(radios.count()):
        box = radios.nth(i).bounding_box()
        assert box is not None and box["width"] >= 24 and box["height"] >= 24, box
    visit.shoot(f"survey-radios-{width}")


def test_the_board_reloads_itself_with_its_script(visit: Visit) -> None:
    """No meta refresh (axe: meta-refresh, WCAG 2.2.1); web/static/refresh.js reloads it."""
    page = visit.page
    page.clock.install()
    visit.goto("/board/sanmin/social")
    assert page.locator("meta[http-equiv]").count() == 0
    page.evaluate("window.boardBefore = true")
    page.clock.run_for(30_000)
    assert page.evaluate("window.boardBefore === true"), "reloaded before its interval"
    with page.expect_event("load"):
        page.clock.run_for(31_000)
    assert page.evaluate("window.boardBefore === undefined"), "the board did not reload"
    visit.assert_no_errors()
