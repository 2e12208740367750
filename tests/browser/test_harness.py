"""The harness itself: the app answers in the browser and axe-core really runs in it."""

from __future__ import annotations

import subprocess

import pytest

from tests.browser.accessibility import axe_results
from tests.browser.conftest import SCREENSHOTS, Visit

pytestmark = pytest.mark.browser


def test_the_browser_is_debians_chromium(visit: Visit) -> None:
    version = visit.page.context.browser.version  # type: ignore[union-attr]
    assert int(version.split(".")[0]) >= 100, version


def test_axe_reports_a_broken_page(visit: Visit) -> None:
    # A page with known faults: axe must name them, or a green run would mean nothing.
    visit.page.set_content(
        '<html><body><img src="x.png"><input type="text"><a href="/"></a></body></html>'
    )
    results = axe_results(visit.page)
    found = {rule["id"] for rule in results["violations"]}
    assert {"image-alt", "label", "link-name", "html-has-lang"} <= found, found


def test_the_outbox_page_is_served(visit: Visit) -> None:
    page = visit.goto("/outbox")
    assert "Local outbox" in page.title()
    # The demo's three sample cases were filed: their receipts wait in the outbox.
    assert page.locator("tbody tr").count() >= 3
    assert visit.shoot("outbox").parent == SCREENSHOTS


def test_a_traditional_chinese_font_is_installed() -> None:
    # Without one, chromium draws every Chinese character as an empty box: the zh-TW screenshots
    # would show nothing a reader could check.
    fonts = subprocess.run(
        ["fc-list", ":lang=zh-tw", "family"], capture_output=True, text=True, check=False
    ).stdout
    assert fonts.strip(), "no font for zh-TW: apt-get install fonts-noto-cjk (.ci/run does)"
