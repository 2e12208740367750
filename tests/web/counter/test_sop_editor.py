"""SOPs edited in the browser: checked as the catalogue file is, with its messages; every save a
new version (open cases keep theirs), audited with what changed; a preview before saving."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from markupsafe import escape
from sqlalchemy import func, select

from tests.web.counter.conftest import Console, file_social_case, load_case
from tracker.calendar.store import load_calendar
from tracker.catalogue.file import parse_catalogue
from tracker.catalogue.yaml_nodes import CatalogueInvalid
from tracker.db import Database
from tracker.deadlines.engine import compute_deadline
from tracker.deadlines.limits import parse_limit
from tracker.models import AuditEntry, Service, ServiceVersion

FIVE_WD = {
    "based_on": "1",
    "department": "sanmin/social",
    "kind": "application",
    "name_zh": "五工作天案件",
    "name_en": "Five working days",
    "limit_amount": "5",
    "limit_unit": "wd",
    "supplement_amount": "10",
    "supplement_unit": "d",
    "supplement_clock": "pause",
    "steps_zh": "收件\n審核\n核定",
    "steps_en": "Received\nReview\nDecision",
    "documents_zh": "申請書",
    "documents_en": "Application form",
    "overdue_reason_zh": "案件處理中",
    "overdue_reason_en": "Being processed",
    "pickup": "y",
    "retention_amount": "5",
    "retention_unit": "y",
}


def _save(console: Console, path: str, intent: str = "save", **changes: Any):  # type: ignore[no-untyped-def]
    console.get(path)
    return console.post(path, {**FIVE_WD, "intent": intent, **changes})


def _versions(database: Database, code: str) -> list[ServiceVersion]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(ServiceVersion)
                .join(Service, Service.id == ServiceVersion.service_id)
                .where(Service.code == code)
                .order_by(ServiceVersion.version)
            )
        )


def _field_errors(page: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field__error" id="([a-z_]+)-error">([^<]*)</p>', page))


def test_the_form_opens_with_the_current_sop(console: Console) -> None:
    console.login("boss")
    page = console.get("/counter/services/five-wd/edit").text
    assert 'name="limit_amount" type="text" value="5"' in page
    assert "收件\n審核\n核定" in page
    assert "Now version 1; saving makes version 2 for new cases." in page


def test_a_save_is_a_new_version_and_open_cases_keep_theirs(
    console: Console, catalogue_db: Database
) -> None:
    before = file_social_case(catalogue_db)
    console.login("boss")
    saved = _save(
        console, "/counter/services/five-wd/edit", limit_amount="20", retention_amount="3"
    )
    assert saved.status_code == 303
    assert saved.location == "/counter/services"
    versions = _versions(catalogue_db, "five-wd")
    assert [(v.version, v.time_limit, v.retention) for v in versions] == [
        (1, "5wd", "5y"),
        (2, "20wd", "3y"),
    ]
    assert load_case(catalogue_db, before.number).service_version_id == versions[0].id
    after = file_social_case(catalogue_db)
    assert load_case(catalogue_db, after.number).service_version_id == versions[1].id
    with catalogue_db.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "sop_saved"))
        assert entry is not None
        assert entry.actor == "boss"
        assert entry.target == "five-wd"
        assert entry.data["version"] == 2
        assert entry.data["changes"] == {
            "retention": {"from": None, "to": "3y"},
            "time_limit": {"from": "5wd", "to": "20wd"},
        }


def test_saving_the_same_sop_makes_no_version(console: Console, catalogue_db: Database) -> None:
    console.login("boss")
    assert _save(console, "/counter/services/five-wd/edit").status_code == 303
    assert len(_versions(catalogue_db, "five-wd")) == 1
    assert "Nothing was changed" in console.get("/counter/services").text


def test_problems_are_the_catalogue_files_own_every_one_at_once(
    console: Console, catalogue_db: Database
) -> None:
    console.login("boss")
    response = _save(
        console,
        "/counter/services/five-wd/edit",
        name_zh="名" * 61,
        limit_amount="0",
        steps_zh="",
        steps_en="",
    )
    assert response.status_code == 422
    errors = _field_errors(response.text)
    # What `tracker catalogue load` says of the same service in a file, word for word.
    text = (
        "agencies:\n  - code: sanmin\n    name: {zh-TW: 三民}\n    departments:\n"
        "      - {code: social, name: {zh-TW: 社會課}}\n"
        "services:\n  - code: five-wd\n    agency: sanmin\n    department: social\n"
        f"    name: {{zh-TW: {'名' * 61}}}\n    time_limit: 0wd\n    steps: []\n"
    )
    try:
        parse_catalogue(text, "catalogue.yaml")
    except CatalogueInvalid as refused:
        reasons = [error.reason for error in refused.errors]
    assert len(reasons) == 3
    assert errors["name_zh"] == f"Name in Chinese: {escape(reasons[0])}"
    assert errors["limit_amount"] == f"Time limit: {escape(reasons[1])}"
    assert errors["steps_zh"] == f"Steps in Chinese: {escape(reasons[2])}"
    assert len(_versions(catalogue_db, "five-wd")) == 1  # nothing saved


def test_problems_read_in_chinese_in_the_chinese_console(console: Console) -> None:
    console.client.set_cookie("lang", "zh_TW")
    console.login("boss")
    response = _save(
        console,
        "/counter/services/five-wd/edit",
        name_zh="",
        name_en="N" * 61,
        limit_amount="600",
        steps_zh="收件\n審核",
    )
    errors = _field_errors(response.text)
    assert errors["name_zh"] == "中文名稱：不可空白。"
    assert errors["name_en"] == "英文名稱：共 61 字，最多 60 字。"
    # Three English steps for two Chinese ones: the third has no Chinese.
    assert errors["steps_zh"] == "中文作業步驟：第 3 行：不可空白。"
    assert errors["limit_amount"] == "處理期限：數量須介於 1 至 500 個工作天。"
    assert "wd" not in errors["limit_amount"]


def test_the_preview_shows_the_public_page_and_the_due_date_and_saves_nothing(
    console: Console, catalogue_db: Database
) -> None:
    console.login("boss")
    page = _save(console, "/counter/services/five-wd/edit", intent="preview", limit_amount="3").text
    now = datetime.now(UTC)
    with catalogue_db.transaction() as session:
        calendar = load_calendar(session, None)
        due = compute_deadline(now, parse_limit("3wd"), calendar)
    assert due is not None and due.due_date is not None
    assert f"A case filed now would be due {due.due_date.day} {due.due_date:%b}" in page
    preview = page[page.index('class="preview"') : page.index("</section>")]
    assert "3 working days" in preview  # the public page's limit, as citizens will read it
    assert "Application form" in preview
    assert len(_versions(catalogue_db, "five-wd")) == 1


def test_a_new_service_is_filed_against_at_once(console: Console, catalogue_db: Database) -> None:
    console.login("boss")
    created = _save(
        console, "/counter/services/new", code="assistive-devices", based_on="0",
        name_zh="輔具補助", name_en="Assistive devices grant", limit_amount="20",
    )  # fmt: skip
    assert created.status_code == 303
    assert "assistive-devices" in console.get("/counter/services").text
    assert console.get("/services/assistive-devices").status_code == 200
    console.login("clerk")
    form = console.get("/counter/file/assistive-devices")
    assert form.status_code == 200
    assert "20 working days" in form.text


def test_a_code_already_taken_is_refused(console: Console) -> None:
    console.login("boss")
    response = _save(console, "/counter/services/new", code="five-wd", based_on="0")
    assert response.status_code == 422
    assert "duplicate service code &#39;five-wd&#39;" in _field_errors(response.text)["code"]


def test_a_save_over_a_newer_version_is_refused(console: Console, catalogue_db: Database) -> None:
    console.login("boss")
    assert _save(console, "/counter/services/five-wd/edit", limit_amount="6").status_code == 303
    stale = _save(console, "/counter/services/five-wd/edit", limit_amount="7", based_on="1")
    assert stale.status_code == 409
    assert "Someone saved version 2" in stale.text
    assert [v.time_limit for v in _versions(catalogue_db, "five-wd")] == ["5wd", "6wd"]


def test_a_supervisor_edits_their_own_departments_services_only(
    console: Console, catalogue_db: Database
) -> None:
    console.login("boss")  # sanmin/social
    listed = console.get("/counter/services").text
    assert "five-wd" in listed
    assert "fourteen-d" not in listed
    assert console.get("/counter/services/fourteen-d/edit").status_code == 404
    moved = _save(console, "/counter/services/five-wd/edit", department="sanmin/civil")
    assert moved.status_code == 422  # not one of their departments to choose
    with catalogue_db.transaction() as session:
        count = session.scalar(select(func.count()).select_from(ServiceVersion))
    assert count == 6


def test_text_typed_into_an_sop_is_shown_as_text(console: Console) -> None:
    script = '<script>alert("step")</script><img src=x onerror=alert(1)>'
    console.login("boss")
    saved = _save(console, "/counter/services/five-wd/edit", steps_zh=script, steps_en="")
    assert saved.status_code == 303
    for page in (
        console.get("/services/five-wd").text,
        console.get("/counter/services/five-wd/edit").text,
    ):
        assert "<script>alert" not in page
        assert str(escape(script)) in page
