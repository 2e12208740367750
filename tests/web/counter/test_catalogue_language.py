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
