"""Every SMS fits two UCS-2 segments (134 UTF-16 code units) with its link (DESIGN §4.6).

Each template is rendered with the worst values it can get. Long free text — a reason, the
missing items, a service, department or unit name — is cut by the ``clip`` filter to the budget
written in the template; fixed things (the sender, case number, lookup code, dates, links, phone
numbers) must come through whole. Where even that leaves no room, a template says less (its
``detail`` levels): the service's name or the current step is left out, never cut short. The
budgets assume links at most as long as these, phone numbers of at most 20 characters and a
sender of at most MAX_SHORT_NAME_CHARS (the catalogue's rule).
"""

from __future__ import annotations

from typing import Any

import pytest

from notifications.render import APPLICANT_KINDS, LANGUAGES, SMS_MAX_UNITS, render, ucs2_units
from tracker.catalogue.yaml_nodes import MAX_NAME_CHARS, MAX_SHORT_NAME_CHARS
from tracker.notices.links import status_url, survey_url

LONG = 500
WORST_CASE_VALUES: dict[str, Any] = {
    "case_number": "20261231-99999",
    "lookup_code": "XXXXX-XXXXX",
    "status_url": "https://casetrack.kcg.gov.tw/s/20261231-99999",
    # /survey/<number>/<token> (tracker.notices.links.survey_url), the token 8 URL-safe characters.
    "survey_url": "https://casetrack.kcg.gov.tw/survey/20261231-99999/Xy3_k-9Q",  # 59
    # Hour limits give instants; the templates write them with the date (the longest months).
    "due_date": "2026-12-31T23:59:59+08:00",
    "new_due_date": "2026-12-31T23:59:59+08:00",
    "old_due_date": "2026-12-31T23:59:59+08:00",
    "supplement_due": "2026-12-31",
    "expected_completion": "2026-12-31",
    "contact_phone": "(07)331-3456#1234567",  # 20
    "new_contact": "(07)331-3456#1234567",
    "masked_name": "歐陽○○○○",
}
# How each language writes the worst dates above: they must arrive whole.
WRITTEN = {
    "zh-TW": {"instant": "115年12月31日 23:59", "date": "115年12月31日"},
    "en": {"instant": "31 Dec 2026 23:59", "date": "31 Dec 2026"},
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
    values["department"] = filler * MAX_NAME_CHARS
    values["sender"] = filler * MAX_SHORT_NAME_CHARS
    values["items"] = [filler * LONG for _ in range(10)]
    return values


def _opening(language: str, sender: str) -> str:
    return f"【{sender}】" if language == "zh-TW" else f"[{sender}] "


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
    assert sms.endswith(link)
    # Long text was cut, visibly, or left out.
    assert filler * 30 not in sms
    assert "…" in sms or filler * (MAX_SHORT_NAME_CHARS + 1) not in sms


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", APPLICANT_KINDS)
def test_the_sender_comes_first_and_whole(kind: str, language: str) -> None:
    values = worst_case("審")
    sms = render(kind, "sms", language, values).sms or ""
    assert sms.startswith(_opening(language, values["sender"]))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("kind", "whole"),
    [
        ("receipt", ("lookup_code", "due_date")),
        ("supplement", ("supplement_due",)),
        ("supplement_reminder", ("supplement_due",)),
        ("extension", ("new_due_date",)),
        ("overdue", ("expected_completion",)),
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
            shown = WRITTEN[language]["instant"]
        elif key in ("supplement_due", "expected_completion"):
            shown = WRITTEN[language]["date"]
        assert shown in sms, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_overdue_sms_gives_the_phone_whole_or_not_at_all(language: str) -> None:
    # With the worst of everything the English overdue SMS has no room left for a phone number
    # beside a readable reason; the status page behind the link gives it. A real sender and a
    # short reason leave room for it.
    sms = render("overdue", "sms", language, worst_case("審")).sms or ""
    assert "(07)331-3456#1234567" in sms or "(07)331" not in sms
    real = worst_case("審") | {
        "sender": "燕巢區公所",
        "contact_phone": "07-616-0003",
        "reason": "審核中",
        "current_step": "審核",
    }
    assert "07-616-0003" in (render("overdue", "sms", language, real).sms or "")


def test_a_reason_is_not_squeezed_to_make_room_for_more() -> None:
    values = worst_case("審") | {"sender": "三民區公所", "reason": "Needs assessment in progress"}
    sms = render("overdue", "sms", "en", values).sms or ""
    assert "Needs assessment" in sms


SHORT_VALUES = {
    "sender": "三民區公所",
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


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", APPLICANT_KINDS)
def test_short_values_are_not_cut(kind: str, language: str) -> None:
    sms = render(kind, "sms", language, worst_case("審") | SHORT_VALUES).sms or ""
    assert "…" not in sms
    assert ucs2_units(sms) <= SMS_MAX_UNITS


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["receipt", "overdue", "survey"])
def test_a_short_service_is_named(kind: str, language: str) -> None:
    real = SHORT_VALUES | {"contact_phone": "07-311-0001"}
    sms = render(kind, "sms", language, worst_case("審") | real).sms or ""
    assert "戶籍謄本" in sms


@pytest.mark.parametrize("filler", FILLERS.values(), ids=FILLERS.keys())
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_withdrawn_closure_fits_too(language: str, filler: str) -> None:
    values = worst_case(filler) | {"withdrawn": True, "closure_day": "2026-12-31"}
    sms = render("retimed", "sms", language, values).sms or ""
    assert ucs2_units(sms) <= SMS_MAX_UNITS, f"{ucs2_units(sms)} units: {sms}"
    assert WRITTEN[language]["instant"] in sms
    assert sms.endswith(values["status_url"])
    assert ("停止上班已取消" if language == "zh-TW" else "Closure withdrawn") in sms


@pytest.mark.parametrize("language", LANGUAGES)
def test_english_words_are_cut_whole(language: str) -> None:
    reason = "Home visit and income checks in progress, then a review by the committee " * 3
    sms = render("extension", "sms", language, worst_case("W") | {"reason": reason}).sms or ""
    cut = sms.split(": ", 1)[-1] if language == "en" else sms.split("因", 1)[-1]
    words = cut.split("…", 1)[0].split(" ")
    assert all(word in reason.split(" ") for word in words if word), sms


def test_the_worst_case_links_are_as_long_as_real_ones() -> None:
    # The budgets above hold only if real links are no longer than the ones they were tried with.
    base, number = "https://casetrack.kcg.gov.tw", WORST_CASE_VALUES["case_number"]
    assert len(survey_url(base, number, "k" * 64)) <= len(WORST_CASE_VALUES["survey_url"])
    assert len(status_url(base, number)) <= len(WORST_CASE_VALUES["status_url"])
