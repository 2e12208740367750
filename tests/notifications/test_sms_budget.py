"""Every SMS fits two UCS-2 segments (134 UTF-16 code units) with its link (DESIGN §4.6).

Each template is rendered with the worst values it can get. Long free text — a reason, the
missing items, a service, department or unit name — is cut by the ``clip`` filter to the budget
written in the template; fixed things (case number, lookup code, dates, links, phone numbers)
must come through whole. The budgets assume links at most as long as these and phone numbers of
at most 20 characters.
"""

from __future__ import annotations

from typing import Any

import pytest

from notifications.render import APPLICANT_KINDS, LANGUAGES, SMS_MAX_UNITS, render, ucs2_units
from tracker.notices.links import status_url, survey_url

LONG = 500
WORST_CASE_VALUES: dict[str, Any] = {
    "case_number": "20261231-99999",
    "lookup_code": "XXXXX-XXXXX",
    "status_url": "https://casetrack.kcg.gov.tw/s/20261231-99999",
    # /survey/<number>/<token> (tracker.notices.links.survey_url), the token 8 URL-safe characters.
    "survey_url": "https://casetrack.kcg.gov.tw/survey/20261231-99999/Xy3_k-9Q",  # 59
    # Hour limits give instants; the templates show them as 16 characters.
    "due_date": "2026-12-31T23:59:59+08:00",
    "new_due_date": "2026-12-31T23:59:59+08:00",
    "old_due_date": "2026-12-31T23:59:59+08:00",
    "supplement_due": "2026-12-31",
    "expected_completion": "2026-12-31",
    "contact_phone": "(07)331-3456#1234567",  # 20
    "new_contact": "(07)331-3456#1234567",
    "masked_name": "歐陽○○○○",
}
# Free text, 500 characters each: the department name alone is bounded (60, catalogue rule).
FREE_TEXT = ("service", "reason", "result", "current_step", "transferred_to", "pickup_place",
             "pickup_hours")  # fmt: skip
# Fillers: a CJK character (1 unit), a CJK extension B character (2 units), plain ASCII.
FILLERS = {"cjk": "審", "surrogate": "𡘙", "ascii": "W"}


def worst_case(filler: str) -> dict[str, Any]:
    """WORST_CASE_VALUES with every free text made of ``filler``."""
    values = dict(WORST_CASE_VALUES)
    for key in FREE_TEXT:
        values[key] = filler * LONG
    values["department"] = filler * 60
    values["items"] = [filler * LONG for _ in range(10)]
    return values


@pytest.mark.parametrize("filler", FILLERS.values(), ids=FILLERS.keys())
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", APPLICANT_KINDS)
def test_every_sms_fits_two_segments(kind: str, language: str, filler: str) -> None:
    values = worst_case(filler)
    sms = render(kind, "sms", language, values).sms
    assert sms is not None
    assert ucs2_units(sms) <= SMS_MAX_UNITS, f"{ucs2_units(sms)} units: {sms}"
    # The fixed parts arrive whole; the long text was cut, visibly.
    assert values["case_number"] in sms
    link = values["survey_url"] if kind == "survey" else values["status_url"]
    assert link in sms
    assert sms.endswith(link) and "…" in sms
    assert filler * 30 not in sms


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("kind", "whole"),
    [
        ("receipt", ("lookup_code", "due_date")),
        ("supplement", ("supplement_due",)),
        ("supplement_reminder", ("supplement_due",)),
        ("extension", ("new_due_date",)),
        ("overdue", ("expected_completion", "contact_phone")),
        ("transferred", ("new_contact",)),
        ("survey", ("survey_url",)),
        ("retimed", ("new_due_date",)),
    ],
)
def test_dates_codes_and_phones_are_never_cut(
    kind: str, whole: tuple[str, ...], language: str
) -> None:
    sms = render(kind, "sms", language, worst_case("審")).sms or ""
    for key in whole:
        shown = WORST_CASE_VALUES[key]
        if shown.endswith("+08:00"):
            shown = "2026-12-31 23:59"
        assert shown in sms, key


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", APPLICANT_KINDS)
def test_short_values_are_not_cut(kind: str, language: str) -> None:
    values = worst_case("審") | {
        "service": "戶籍謄本",
        "department": "三民戶所",
        "reason": "審核中",
        "items": ["印章"],
        "result": "核准",
        "current_step": "審核",
        "transferred_to": "社會局",
        "pickup_place": "一樓",
        "pickup_hours": "上班時間",
    }
    sms = render(kind, "sms", language, values).sms or ""
    assert "…" not in sms and ucs2_units(sms) <= SMS_MAX_UNITS


@pytest.mark.parametrize("filler", FILLERS.values(), ids=FILLERS.keys())
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_withdrawn_closure_fits_too(language: str, filler: str) -> None:
    values = worst_case(filler) | {"withdrawn": True, "closure_day": "2026-12-31"}
    sms = render("retimed", "sms", language, values).sms or ""
    assert ucs2_units(sms) <= SMS_MAX_UNITS, f"{ucs2_units(sms)} units: {sms}"
    assert "2026-12-31 23:59" in sms and sms.endswith(values["status_url"])
    assert ("停止上班已取消" if language == "zh-TW" else "Office closure withdrawn") in sms


def test_the_worst_case_links_are_as_long_as_real_ones() -> None:
    # The budgets above hold only if real links are no longer than the ones they were tried with.
    base, number = "https://casetrack.kcg.gov.tw", WORST_CASE_VALUES["case_number"]
    assert len(survey_url(base, number, "k" * 64)) <= len(WORST_CASE_VALUES["survey_url"])
    assert len(status_url(base, number)) <= len(WORST_CASE_VALUES["status_url"])
