"""Rendering notices: every template, the values each needs, escaping, languages."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from jinja2 import meta

from notifications import render as render_module
from notifications.render import (
    APPLICANT_KINDS,
    INTERNAL_KINDS,
    KINDS,
    LANGUAGES,
    OPTIONAL_VALUES,
    RENDER_VARIABLES,
    REQUIRED_VALUES,
    TEMPLATE_DIR,
    MissingValues,
    Rendered,
    clip,
    render,
    resolve_language,
    text_to_html,
    ucs2_units,
    when,
)

STATUS_URL = "https://casetrack.kcg.gov.tw/s/20260413-0001"
SAMPLE: dict[str, Any] = {
    "case_number": "20260413-0001",
    "lookup_code": "7KQ3M-X9PHT",
    "service": "低收入戶申請",
    "department": "三民區公所社會課",
    "status_url": STATUS_URL,
    "survey_url": "https://casetrack.kcg.gov.tw/survey/20260413-0001/Xy3_k-9Q",
    "console_url": "https://casetrack.kcg.gov.tw/counter/cases/20260413-0001",
    "due_date": "2026-04-20",
    "new_due_date": "2026-05-04",
    "old_due_date": "2026-04-20",
    "supplement_due": "2026-04-24",
    "expected_completion": "2026-04-30",
    "items": ["戶口名簿影本", "存摺封面影本"],
    "reason": "需會同其他機關審查",
    "current_step": "訪視",
    "result": "核准，補助自五月起撥付",
    "transferred_to": "高雄市政府社會局",
    "new_contact": "07-337-3000",
    "masked_name": "王○明",
    "contact_phone": "07-311-0000",
    "pickup_place": "三民區公所一樓服務台",
    "pickup_hours": "週一至週五 08:00-17:30",
}
# What a careless caller might also pass: none of it may reach a message (DESIGN §4.7).
PERSONAL = {
    "applicant_name": "王小明",
    "applicant_phone": "+886912345678",
    "applicant_email": "wang.xiaoming@example.org",
}


def values(kind: str, **overrides: Any) -> dict[str, Any]:
    """The sample values this kind uses, with overrides."""
    wanted = set(REQUIRED_VALUES[kind]) | set(OPTIONAL_VALUES.get(kind, {}))
    return {key: value for key, value in SAMPLE.items() if key in wanted} | overrides


def combinations() -> Iterator[tuple[str, str, str]]:
    """Every (kind, channel, language) that exists: staff notices are email only."""
    for kind in KINDS:
        channels = ("email",) if kind in INTERNAL_KINDS else ("sms", "email")
        for channel in channels:
            for language in LANGUAGES:
                yield kind, channel, language


ALL = list(combinations())


@pytest.mark.parametrize(("kind", "channel", "language"), ALL)
def test_every_template_renders(kind: str, channel: str, language: str) -> None:
    rendered = render(kind, channel, language, values(kind) | PERSONAL)
    assert isinstance(rendered, Rendered)
    if channel == "sms":
        assert rendered.sms and rendered.subject is rendered.text is rendered.html is None
        assert "\n" not in rendered.sms
        assert SAMPLE["case_number"] in rendered.sms
        assert ucs2_units(rendered.sms) <= render_module.SMS_MAX_UNITS
        outputs = [rendered.sms]
    else:
        assert rendered.sms is None and rendered.subject and rendered.text and rendered.html
        assert "\n" not in rendered.subject
        assert SAMPLE["case_number"] in rendered.subject
        assert SAMPLE["department"] in rendered.text  # signed (staff: addressed) by department
        assert rendered.html.startswith("<!DOCTYPE html>")
        outputs = [rendered.subject, rendered.text, rendered.html]
    link = {"survey": "survey_url"}.get(kind, "console_url" if kind in INTERNAL_KINDS else "")
    assert SAMPLE[link or "status_url"] in outputs[-1]
    for text in outputs:
        for personal in PERSONAL.values():
            assert personal not in text


@pytest.mark.parametrize(("kind", "channel", "language"), ALL)
def test_each_template_uses_only_declared_values(kind: str, channel: str, language: str) -> None:
    declared = set(REQUIRED_VALUES[kind]) | set(OPTIONAL_VALUES.get(kind, {})) | RENDER_VARIABLES
    assert _variables(f"{language}/{kind}.{channel}.txt") <= declared


@pytest.mark.parametrize("kind", KINDS)
def test_every_required_value_is_used(kind: str) -> None:
    used: set[str] = set()
    for k, channel, language in ALL:
        if k == kind:
            used |= _variables(f"{language}/{k}.{channel}.txt")
    assert set(REQUIRED_VALUES[kind]) <= used


def _variables(name: str) -> set[str]:
    """The variables a template and the templates it includes read."""
    source = (TEMPLATE_DIR / name).read_text(encoding="utf-8")
    ast = render_module._environment().parse(source)
    found = set(meta.find_undeclared_variables(ast))
    for included in meta.find_referenced_templates(ast):
        assert included is not None
        found |= _variables(included)
    return found


def test_every_kind_has_every_language_written() -> None:
    for kind, channel, language in ALL:
        assert (TEMPLATE_DIR / language / f"{kind}.{channel}.txt").is_file()


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_value_is_named(kind: str) -> None:
    for key in REQUIRED_VALUES[kind]:
        incomplete = values(kind)
        del incomplete[key]
        with pytest.raises(MissingValues, match=key) as caught:
            render(kind, "email", "zh-TW", incomplete)
        assert caught.value.missing == (key,) and caught.value.kind == kind


def test_all_missing_values_are_named_at_once() -> None:
    with pytest.raises(MissingValues) as caught:
        render("receipt", "sms", "zh-TW", {"case_number": "20260413-0001"})
    assert set(caught.value.missing) == set(REQUIRED_VALUES["receipt"]) - {"case_number"}
    assert "notice 'receipt' needs values:" in str(caught.value)


def test_unknown_kind_and_channel_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown notice kind 'birthday'"):
        render("birthday", "sms", "zh-TW", {})
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        render("receipt", "fax", "zh-TW", values("receipt"))


@pytest.mark.parametrize("kind", INTERNAL_KINDS)
def test_staff_notices_are_never_sms(kind: str) -> None:
    with pytest.raises(ValueError, match="email only"):
        render(kind, "sms", "zh-TW", values(kind))


def test_items_must_be_a_list() -> None:
    with pytest.raises(ValueError, match="'items' must be a list of strings"):
        render("supplement", "sms", "zh-TW", values("supplement", items="戶口名簿影本"))


@pytest.mark.parametrize(
    ("asked", "used"),
    [
        ("zh-TW", "zh-TW"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN", "en"),
        ("ja", "zh-TW"),
        ("", "zh-TW"),
    ],
)
def test_languages_resolve_to_one_we_have(asked: str, used: str) -> None:
    assert resolve_language(asked) == used
    rendered = render("receipt", "email", asked, values("receipt"))
    assert ("Application received" in (rendered.subject or "")) == (used == "en")


def test_a_missing_translation_falls_back_to_zh_tw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(TEMPLATE_DIR / "zh-TW", tmp_path / "zh-TW")
    shutil.copy(TEMPLATE_DIR / "_layout.html", tmp_path / "_layout.html")
    (tmp_path / "en").mkdir()  # English not written yet
    monkeypatch.setattr(render_module, "TEMPLATE_DIR", tmp_path)
    render_module._environment.cache_clear()
    try:
        rendered = render("extension", "email", "en", values("extension"))
        assert rendered.subject is not None
        assert rendered.subject.startswith("【三民區公所社會課】展延通知")
        assert '<html lang="en">' in (rendered.html or "")  # the page still says what it is in
    finally:
        render_module._environment.cache_clear()


HOSTILE = '<script>alert("x")</script> & <b onmouseover="steal()">'


@pytest.mark.parametrize(("kind", "channel", "language"), [c for c in ALL if c[1] == "email"])
def test_html_escapes_every_value_and_text_keeps_it_as_typed(
    kind: str, channel: str, language: str
) -> None:
    free_text = ("service", "department", "reason", "result", "current_step", "transferred_to",
                 "new_contact", "pickup_place", "pickup_hours", "masked_name")  # fmt: skip
    hostile = {key: HOSTILE for key in free_text if key in values(kind)}
    if "items" in values(kind):
        hostile["items"] = [HOSTILE, "戶口名簿影本"]
    rendered = render(kind, channel, language, values(kind, **hostile))
    html, text = rendered.html or "", rendered.text or ""
    assert "<script" not in html and "<b " not in html and 'onmouseover="' not in html
    assert "&lt;script&gt;" in html
    assert HOSTILE in text  # plain text is not HTML: shown exactly as typed
    assert "&lt;" not in text and "&lt;" not in (rendered.subject or "")


def test_a_link_in_a_value_cannot_break_out_of_its_attribute() -> None:
    reason = 'see https://evil.example/"onmouseover="alert(1) now'
    html = render("rejected", "email", "en", values("rejected", reason=reason)).html or ""
    assert 'onmouseover="' not in html
    assert 'href="https://evil.example/&#34;onmouseover=&#34;alert(1"' in html


def test_sms_keeps_angle_brackets_as_typed() -> None:
    sms = render("rejected", "sms", "zh-TW", values("rejected", reason="<b>缺件</b>")).sms
    assert sms is not None and "<b>缺件</b>" in sms


def test_the_status_link_is_a_link_and_items_a_list() -> None:
    html = render("supplement", "email", "zh-TW", values("supplement")).html or ""
    assert f'<a href="{STATUS_URL}">{STATUS_URL}</a>' in html
    assert "<ul><li>戶口名簿影本</li><li>存摺封面影本</li></ul>" in html


def test_the_receipt_says_what_design_asks() -> None:
    rendered = render("receipt", "email", "zh-TW", values("receipt"))
    for fact in ("20260413-0001", "低收入戶申請", "115年4月20日", "7KQ3M-X9PHT", STATUS_URL):
        assert fact in (rendered.text or "")
    sms = render("receipt", "sms", "zh-TW", values("receipt")).sms or ""
    for fact in ("20260413-0001", "低收入戶申請", "115年4月20日", "7KQ3M-X9PHT", STATUS_URL):
        assert fact in sms
    english = render("receipt", "sms", "en", values("receipt", service="Low-income")).sms or ""
    assert "20 Apr 2026" in english


def test_the_supplement_lists_every_item_the_deadline_and_the_consequence() -> None:
    items = [f"文件{n}" for n in range(1, 8)]
    text = render("supplement", "email", "zh-TW", values("supplement", items=items)).text or ""
    assert all(f"- {item}\n" in text for item in items)
    assert "115年4月24日" in text and "駁回" in text
    english = render("supplement", "email", "en", values("supplement", items=items)).text or ""
    assert "reject" in english


def test_the_overdue_notice_says_why_where_when_and_whom_to_call() -> None:
    text = render("overdue", "email", "zh-TW", values("overdue")).text or ""
    for fact in ("需會同其他機關審查", "訪視", "115年4月30日", "07-311-0000", STATUS_URL):
        assert fact in text
    sms = render("overdue", "sms", "zh-TW", values("overdue")).sms or ""
    for fact in ("需會同其他機", "115年4月30日", "07-311-0000", STATUS_URL):
        assert fact in sms


def test_the_rejection_explains_the_appeal() -> None:
    text = render("rejected", "email", "zh-TW", values("rejected")).text or ""
    assert "訴願法第14條" in text and "30日" in text and "向高雄市政府提起訴願" in text
    other = render("rejected", "email", "zh-TW", values("rejected", appeal_to="行政院")).text
    assert other is not None and "向行政院提起訴願" in other
    english = render("rejected", "email", "en", values("rejected")).text or ""
    assert "within 30 days" in english and "Article" in english


def test_pickup_lines_only_when_there_is_something_to_collect() -> None:
    with_pickup = render("ready", "email", "zh-TW", values("ready")).text or ""
    assert "領件地點：三民區公所一樓服務台" in with_pickup and "週一至週五" in with_pickup
    without = values("ready")
    del without["pickup_place"], without["pickup_hours"]
    text = render("ready", "email", "zh-TW", without).text or ""
    assert "領件" not in text and "核准，補助自五月起撥付" in text
    assert "領件" not in (render("ready", "sms", "zh-TW", without).sms or "")


def test_a_result_that_ends_a_sentence_gets_one_full_stop() -> None:
    zh = render("ready", "sms", "zh-TW", values("ready", result="核准。")).sms or ""
    assert "已辦結：核准。" in zh and "。。" not in zh
    en = render("ready", "sms", "en", values("ready", result="Approved.")).sms or ""
    assert "done: Approved." in en and ".." not in en


def test_a_transfer_without_a_new_contact_leaves_the_line_out() -> None:
    text = render("transferred", "email", "zh-TW", values("transferred", new_contact="")).text
    assert text is not None and "高雄市政府社會局" in text and "後續聯絡方式" not in text


@pytest.mark.parametrize(
    ("reason_is_default", "date_is_default", "subject", "asks"),
    [
        (True, True, "請確認逾期原因", "逾期原因及預計完成日期係系統依預設規則填寫"),
        (True, False, "請確認逾期原因", "逾期原因係本項服務之預設原因"),
        # The clerk gave the reason; only the promised date passed and the rule set a new one.
        (False, True, "請確認預計完成日期", "上述新日期係系統依預設規則填寫"),
    ],
)
def test_the_clerk_is_asked_to_confirm_what_the_rule_chose(
    reason_is_default: bool, date_is_default: bool, subject: str, asks: str
) -> None:
    chosen = values(
        "overdue_clerk", reason_is_default=reason_is_default, date_is_default=date_is_default
    )
    asked = render("overdue_clerk", "email", "zh-TW", chosen)
    assert subject in (asked.subject or "") and asks in (asked.text or "")
    assert ("預設原因" in (asked.text or "")) == (reason_is_default and not date_is_default)
    english = render("overdue_clerk", "email", "en", chosen)
    assert "please confirm" in (english.subject or "")
    told = render("overdue_clerk", "email", "zh-TW", values("overdue_clerk"))
    assert "請確認" not in (told.subject or "") and "預設" not in (told.text or "")


def test_a_withdrawn_closure_says_the_day_counts_again() -> None:
    told = values("retimed", withdrawn=True, closure_day="2026-04-15", reason="颱風轉向")
    zh = render("retimed", "email", "zh-TW", told)
    assert "停止上班，現已取消" in (zh.text or "") and "不計入處理期間" not in (zh.text or "")
    assert "颱風轉向" in (zh.text or "")
    en = render("retimed", "email", "en", told)
    assert "has been withdrawn" in (en.text or "") and "do not count" not in (en.text or "")
    declared = render("retimed", "email", "zh-TW", values("retimed")).text or ""
    assert "不計入處理期間" in declared and "取消" not in declared


def test_instants_are_shown_in_taipei_time() -> None:
    sms = render("receipt", "sms", "zh-TW", values("receipt", due_date="2026-04-13T14:00:00+08:00"))
    assert sms.sms is not None and "115年4月13日 14:00" in sms.sms
    en = render("receipt", "sms", "en", values("receipt", due_date="2026-04-13T06:00:00+00:00"))
    assert en.sms is not None and "13 Apr 2026 14:00" in en.sms


def test_a_subject_is_one_line_whatever_the_service_name() -> None:
    subject = render("receipt", "email", "en", values("receipt", service="低收入戶\n申請")).subject
    assert subject == "[三民區公所社會課] Application received: 低收入戶 申請 (case 20260413-0001)"


def test_greeting_uses_the_masked_name_or_none() -> None:
    assert (render("receipt", "email", "zh-TW", values("receipt")).text or "").startswith(
        "王○明 您好："
    )
    anonymous = values("receipt")
    del anonymous["masked_name"]
    assert (render("receipt", "email", "en", anonymous).text or "").startswith("Dear applicant,")


# --- the filters ---------------------------------------------------------------------------


def test_clip_leaves_short_text_alone_on_one_line() -> None:
    assert clip("案件  審核\n中", 20) == "案件 審核 中"
    assert clip("12345", 5) == "12345"


def test_clip_cuts_long_text_with_an_ellipsis_within_the_budget() -> None:
    assert clip("123456", 5) == "1234…"
    assert clip("需會同其他機關審查", 5) == "需會同其…"
    assert ucs2_units(clip("字" * 500, 12)) == 12


def test_clip_counts_and_never_splits_surrogate_pairs() -> None:
    rare = "𡘙" * 10  # a CJK extension B character: two UTF-16 code units
    assert ucs2_units(rare) == 20
    clipped = clip(rare, 6)
    assert clipped == "𡘙𡘙…" and ucs2_units(clipped) == 5


def test_clip_joins_lists() -> None:
    assert clip(["a", "b"], 10) == "a b"


def test_when_writes_dates_as_government_notices_do() -> None:
    assert when("2026-04-20") == "115年4月20日"
    assert when("2026-12-07", "en") == "7 Dec 2026"
    assert when("2026-04-13T14:00:00+08:00") == "115年4月13日 14:00"
    assert when(datetime(2026, 4, 13, 6, 0, tzinfo=UTC), "en") == "13 Apr 2026 14:00"
    assert when(date(2026, 4, 20)) == "115年4月20日"
    assert when("Tomorrow") == "Tomorrow"
    assert when("notTadate") == "notTadate"


def test_clip_cuts_words_whole_and_chinese_anywhere() -> None:
    assert clip("Home visit and income checks in progress", 16) == "Home visit and…"
    # One word longer than the budget can only be cut inside.
    assert clip("Supercalifragilistic", 8) == "Superca…"
    assert clip("家戶訪視及財稅資料查調中", 6) == "家戶訪視及…"


@pytest.mark.parametrize("kind", APPLICANT_KINDS)
def test_every_sms_and_email_names_the_agency_first(kind: str) -> None:
    told = values(kind, sender="三民區公所")
    assert (render(kind, "sms", "zh-TW", told).sms or "").startswith("【三民區公所】")
    assert (render(kind, "email", "zh-TW", told).subject or "").startswith("【三民區公所】")
    english = values(kind, sender="Sanmin Dist. Office")
    assert (render(kind, "sms", "en", english).sms or "").startswith("[Sanmin Dist. Office] ")
    assert "Sanmin Dist. Office" in (render(kind, "email", "en", english).text or "")


def test_a_notice_written_before_senders_is_signed_by_its_department() -> None:
    sms = render("receipt", "sms", "zh-TW", values("receipt")).sms or ""
    assert sms.startswith("【三民區公所社會課】")


def test_the_overdue_sms_names_the_service_and_says_sorry() -> None:
    told = values("overdue", sender="三民區公所", service="低收入戶申請")
    zh = render("overdue", "sms", "zh-TW", told).sms or ""
    assert "抱歉" in zh and "低收入戶申請" in zh
    en = render("overdue", "sms", "en", told | {"service": "Low-income household"}).sms or ""
    assert "Sorry" in en and "Low-income household" in en


def test_a_service_too_long_for_the_overdue_sms_is_left_out_not_cut() -> None:
    told = values("overdue", sender="三民區公所", service="謄" * 80)
    sms = render("overdue", "sms", "zh-TW", told).sms or ""
    assert "謄" not in sms and ucs2_units(sms) <= render_module.SMS_MAX_UNITS


def test_text_to_html_makes_paragraphs_lists_and_links() -> None:
    html = str(text_to_html("第一段\n第二行\n\n尚缺：\n- 甲\n- 乙\n\n見 https://x.test/a。"))
    assert html == (
        "<p>第一段<br>\n第二行</p>\n<p>尚缺：</p>\n<ul><li>甲</li><li>乙</li></ul>\n"
        '<p>見 <a href="https://x.test/a">https://x.test/a</a>。</p>'
    )


def test_every_applicant_kind_has_an_sms() -> None:
    for kind in APPLICANT_KINDS:
        assert render(kind, "sms", "en", values(kind)).sms
