"""The whole loop in a browser, in zh-TW and in English: file, print, look up with the QR code.

A clerk signs in, files a case at the counter, opens the printable receipt (number, due date,
lookup code, QR code) and prints it; a citizen opens the address in the QR code and sees the
case; a wrong code gets the same refusal as a wrong number.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, Response
from sqlalchemy import select

from tests.browser.conftest import LANGUAGES, LiveApp, Visit
from tracker.deadlines.display import written_date
from tracker.identifiers import format_lookup_code, normalise_lookup_code
from tracker.models import Case
from web.core.qr import status_qr_svg, status_qr_url

pytestmark = pytest.mark.browser

SERVICE = "emergency-relief"  # 急難救助, 5 working days, at the clerk's own department
APPLICANT = "王小明"
MASKED = "王○明"
PHONE = "0912-345-678"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Words that only the English pages have (the zh-TW pages show none of them).
ENGLISH = {"status": "What has happened", "receipt": "Lookup code", "refused": "could not find"}


def _looks_like(lang: str, text: str, english: str) -> None:
    """The text is in the chosen language: English words, or Chinese and no English words."""
    if lang == "en":
        assert english in text, f"expected English ({english!r}) in:\n{text[:600]}"
    else:
        assert CJK.search(text) and english not in text, f"expected zh-TW in:\n{text[:600]}"


def _file_a_case(visit: Visit, lang: str) -> str:
    """Sign in as the clerk, choose the language, file a case; returns its number."""
    visit.sign_in("clerk")
    page = visit.page
    visit.choose_language(lang)
    page.locator('a[href="/counter/file"]').first.click()
    page.locator(f'a[href="/counter/file/{SERVICE}"]').click()
    assert page.url.endswith(f"/counter/file/{SERVICE}")
    visit.shoot(f"file-form-{lang}")
    documents = page.locator("#documents input[type=checkbox]")
    assert documents.count() >= 1, "the service's documents checklist is missing"
    for i in range(documents.count()):
        documents.nth(i).check()
    page.locator("#applicant_name").fill(APPLICANT)
    page.locator("#phone").fill(PHONE)
    page.locator("#language").select_option("en" if lang == "en" else "zh-TW")
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/counter/cases/\d{8}-\d{4}/receipt$"))
    return page.url.rsplit("/", 2)[-2]


def _stored(live_app: LiveApp, number: str) -> Case:
    with live_app.database.transaction() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None, f"case {number} is not in the database"
        session.expunge(case)
        return case


def _check_receipt(visit: Visit, lang: str, case: Case) -> str:
    """The receipt shows the case as stored and a QR code of its status address."""
    page = visit.page
    assert page.locator(".receipt__number").inner_text().strip() == case.number
    code_text = page.locator(".receipt__code").inner_text().strip()
    assert code_text == format_lookup_code(case.lookup_code)
    due = page.locator(".receipt__due").inner_text()
    assert case.due_date is not None, "a 5wd case has a due date"
    # As government documents write it: 民國 in Chinese, 7 Dec 2026 in English.
    assert written_date(case.due_date, "en" if lang == "en" else "zh-TW") in due, due
    _looks_like(lang, page.inner_text("main"), ENGLISH["receipt"])
    svg = page.locator(".receipt__qr svg")
    assert svg.count() == 1, "no QR code on the receipt"
    assert svg.get_attribute("role") == "img"
    assert case.number in (svg.get_attribute("aria-label") or "")
    # The QR code on the page encodes the status address with this number and code: the same
    # modules as one made here from that address.
    expected = status_qr_svg(visit.app.url, case.number, case.lookup_code, label="x")
    drawn = svg.locator("path").first.get_attribute("d")
    assert drawn and drawn in str(expected), "the QR code does not encode the status address"
    visit.check(f"receipt-{lang}")
    return code_text


def _print_receipt(visit: Visit, lang: str) -> None:
    """In print media the console's chrome is gone and the receipt fits one A4 page."""
    page = visit.page
    page.emulate_media(media="print")
    try:
        assert page.locator(".receipt").is_visible()
        assert page.locator(".receipt__qr svg").is_visible()
        for element in page.locator(".no-print").all():
            assert not element.is_visible(), "a .no-print element shows in print"
        visit.shoot(f"receipt-print-{lang}")
        pdf = page.pdf(format="A4", print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
        assert pages == 1, f"the receipt prints on {pages} A4 pages, not one"
    finally:
        page.emulate_media(media="screen")


def _citizen_opens(browser: Browser, url: str) -> tuple[Page, Response | None]:
    """A new browser (no cookies) opens ``url``; returns the page and the POST's answer."""
    context = browser.new_context(locale="zh-TW", timezone_id="Asia/Taipei")
    context.set_default_timeout(10_000)
    page = context.new_page()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.goto(url)
    page.wait_for_load_state()
    return page, posted.value


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_clerk_files_prints_and_citizen_opens_the_qr_code(
    visit: Visit, browser: Browser, live_app: LiveApp, lang: str
) -> None:
    number = _file_a_case(visit, lang)
    case = _stored(live_app, number)
    assert case.applicant_name == APPLICANT and case.service.code == SERVICE
    code_text = _check_receipt(visit, lang, case)
    _print_receipt(visit, lang)

    # The citizen scans the code: the address is the one the QR code holds.
    qr_url = status_qr_url(live_app.url, number, normalise_lookup_code(code_text))
    citizen, posted = _citizen_opens(browser, qr_url)
    try:
        assert posted is not None and posted.status == 303
        assert citizen.url == live_app.at("/status/case"), citizen.url
        # The code went in a POST body: neither the address nor the history shows it.
        assert case.lookup_code not in citizen.url
        text = citizen.inner_text("main")
        assert number in text and MASKED in text and APPLICANT not in text
        assert PHONE not in text and "345" not in text
        steps = citizen.locator("ol.flow li")
        assert steps.count() >= 2, "the SOP steps are missing"
        assert citizen.locator("progress").count() == 1
        if lang == "en":
            citizen.locator('nav.language-chooser a[hreflang="en"]').click()
            citizen.wait_for_load_state()
            assert citizen.url == live_app.at("/status/case")
        assert citizen.locator("html").get_attribute("lang") == LANGUAGES[lang]
        _looks_like(lang, citizen.inner_text("main"), ENGLISH["status"])
        visit.shoot(f"citizen-status-{lang}", page=citizen)
    finally:
        citizen.context.close()


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_wrong_code_and_a_wrong_number_get_the_same_refusal(
    browser: Browser, live_app: LiveApp, lang: str
) -> None:
    with live_app.database.transaction() as session:
        number, code = session.execute(
            select(Case.number, Case.lookup_code).order_by(Case.id).limit(1)
        ).one()
    wrong_code = ("2" if code[0] != "2" else "3") + code[1:]
    answers = []
    for url in (
        status_qr_url(live_app.url, number, wrong_code),
        status_qr_url(live_app.url, "20000101-0001", code),
    ):
        page, posted = _citizen_opens(browser, url)
        try:
            if lang == "en":
                page.locator('nav.language-chooser a[hreflang="en"]').click()
                page.wait_for_load_state()
                page.locator('html[lang="en"]').wait_for()  # the English page, not the old one
                # The language switch reloads the empty form: ask again, by hand this time.
                page.locator("#number").fill(url.split("#n=")[1].split("&")[0])
                page.locator("#code").fill(url.split("&c=")[1])
                with page.expect_response(lambda r: r.request.method == "POST") as again:
                    page.locator("#status-form button[type=submit]").click()
                posted = again.value
            assert posted is not None
            refusal = page.locator("#lookup-refused")
            assert refusal.is_visible(), page.inner_text("main")
            assert page.url == live_app.at("/status")
            _looks_like(lang, refusal.inner_text(), ENGLISH["refused"])
            answers.append((posted.status, refusal.inner_text()))
        finally:
            page.context.close()
    assert answers[0] == answers[1], answers


def test_without_javascript_the_qr_address_shows_the_form_and_typing_works(
    browser: Browser, live_app: LiveApp
) -> None:
    number = live_app.samples[0]
    code = live_app.lookup_code(number)
    context = browser.new_context(java_script_enabled=False, locale="zh-TW")
    try:
        page = context.new_page()
        page.goto(status_qr_url(live_app.url, number, code))
        # Nothing sent by itself: the form waits for the code typed from the receipt.
        assert page.locator("#status-form").is_visible()
        assert page.locator("#number").input_value() == ""
        page.locator("#number").fill(number)
        page.locator("#code").fill(format_lookup_code(code).lower())  # as a person types it
        page.locator("#status-form button[type=submit]").click()
        page.wait_for_url(live_app.at("/status/case"))
        assert number in page.inner_text("main")
    finally:
        context.close()
