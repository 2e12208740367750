"""The console speaks zh-TW by default, and its catalogue never changes the public pages' words."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from tests.web.counter.conftest import Console, file_social_case
from tracker.db import Database

CATALOGUES = Path(__file__).resolve().parents[3] / "web" / "translations" / "zh_TW" / "LC_MESSAGES"


def test_shared_msgids_agree_with_the_public_catalogue() -> None:
    """Both domains are merged into the default one, the console's last: a msgid in both must
    have one translation, or the console would reword the public pages."""
    with (CATALOGUES / "messages.po").open("rb") as f:
        public = read_po(f)
    with (CATALOGUES / "counter.po").open("rb") as f:
        console = read_po(f)
    differing = [
        (m.id, public[m.id].string, m.string)
        for m in console
        if m.id and m.id in public and public[m.id].string != m.string
    ]
    assert differing == []


def test_the_case_page_in_chinese(clerk: Console, catalogue_db: Database) -> None:
    clerk.client.delete_cookie("lang")
    case = file_social_case(catalogue_db)
    page = clerk.get(f"/counter/cases/{case.number}").text
    for words in ("案件歷程", "作業流程", "開始辦理", "通知補正", "已收件（尚未辦理）", "收件確認"):
        assert words in page
    refused = clerk.post(
        f"/counter/cases/{case.number}/receive_supplement",
        {"version": case.version},
        prefix="receive_supplement",
    )
    assert "目前無法執行此動作：案件尚未開始辦理。" in refused.text


def test_a_label_and_its_value_are_one_message_without_a_space_after_the_chinese_colon(
    clerk: Console, catalogue_db: Database
) -> None:
    quiet = file_social_case(catalogue_db, phone="07-311-0000", notify_by="none")
    english = clerk.get(f"/counter/cases/{quiet.number}").text
    assert "Phone: <strong>07 311 0000</strong>" in english
    assert "Time limit: <strong>5 working days</strong>" in clerk.get("/counter/file/five-wd").text
    clerk.client.delete_cookie("lang")
    assert "電話：<strong>07 311 0000</strong>" in clerk.get(f"/counter/cases/{quiet.number}").text
    page = clerk.get("/counter/file/five-wd").text
    assert "<title>收件：五工作天案件" in page
    assert "處理期限：<strong>5 個工作天</strong>" in page
    clerk.login("root")
    clerk.client.delete_cookie("lang")
    created = clerk.post(
        "/counter/admin/users",
        {"username": "newclerk", "role": "clerk", "department": "sanmin/civil", "password": ""},
    )
    assert created.status_code == 201
    assert '請其變更）：<code class="generated-password">' in created.text
