"""The case page: each action through its form, stale forms, refusals, notices and tasks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from tests.web.counter.conftest import Console, file_social_case, load_case
from tracker.cases import actions as case_actions
from tracker.db import Database
from tracker.deadlines.timezones import local_date
from tracker.lifecycle import CaseStatus
from tracker.models import CaseEvent, Notice, User
from tracker.watch.sweep import sweep_batch
from web.counter.case_actions import CONFIRMED


def _events(database: Database, case_id: int) -> list[tuple[str, str, bool, str | None]]:
    with database.transaction() as session:
        rows = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
        return [(e.kind, e.actor, e.public, e.note) for e in rows]


def _act(console: Console, number: str, action: str, version: int, **fields: object):  # type: ignore[no-untyped-def]
    """Submit an action's form, and confirm it where it asks (see test_confirmation_*)."""
    plain = {"confirmed": "yes"} if action in CONFIRMED else None
    return console.post(
        f"/counter/cases/{number}/{action}",
        {"version": version, **fields},
        prefix=action,
        plain=plain,
    )


def _offered(page: str) -> list[str]:
    return re.findall(r'<details class="action[a-z -]*" id="action-([a-z_]+)"', page)


def test_the_page_shows_the_case(clerk: Console, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db, email="wang@example.org")
    page = clerk.get(f"/counter/cases/{case.number}").text
    assert case.number in page and "王小明" in page and "0912 345 678" in page
    assert "wang@example.org" in page
    assert case.due_date is not None
    assert f"{case.due_date.day} {case.due_date:%b} {case.due_date.year}" in page
    # The SOP steps with the current one marked, the timeline and the receipt notices.
    assert page.count('class="flow__step') == 3 and 'aria-current="step"' in page
    assert "Filed" in page and "Receipt confirmation" in page
    assert _offered(page) == [
        "start", "step", "request_supplement", "extend", "overdue_info", "note", "assign",
        "transfer", "transfer_out", "complete", "reject", "withdraw",
    ]  # fmt: skip


def test_a_full_life_through_the_forms(clerk: Console, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db)
    number, v = case.number, case.version

    def act(action: str, **fields: object) -> None:
        nonlocal v
        response = _act(clerk, number, action, v, **fields)
        assert response.status_code == 303, (action, response.text[-2000:])
        assert response.location == f"/counter/cases/{number}"
        v = load_case(catalogue_db, number).version

    act("start", note="looking at it")
    assert load_case(catalogue_db, number).status == CaseStatus.IN_PROGRESS
    act("step", step=1, note="reviewing")
    assert load_case(catalogue_db, number).current_step == 1
    act("note", note="called the applicant", public="")
    act("note", note="all is well", public="y")
    tomorrow = local_date(datetime.now(UTC)) + timedelta(days=10)
    act("request_supplement", documents=["0"], other_items="戶口名簿\n印章", deadline=tomorrow)
    paused = load_case(catalogue_db, number)
    assert paused.status == CaseStatus.AWAITING_SUPPLEMENT and paused.due_at is None
    assert paused.pauses[-1].items == ["申請書", "戶口名簿", "印章"]
    page = clerk.get(f"/counter/cases/{number}").text
    assert "申請書, 戶口名簿, 印章" in page
    assert _offered(page) == [
        "receive_supplement", "overdue_info", "note", "assign", "transfer", "transfer_out",
        "reject", "withdraw",
    ]  # fmt: skip
    act("receive_supplement", note="all there")
    act("extend", amount=3, reason="需會辦其他機關")
    extended = load_case(catalogue_db, number)
    assert extended.extension == "3wd" and extended.extension_reason == "需會辦其他機關"
    assert "extend" not in _offered(clerk.get(f"/counter/cases/{number}").text)  # once only
    promised = local_date(datetime.now(UTC)) + timedelta(days=20)
    act("overdue_info", reason="等待公文", expected_completion=promised)
    assert load_case(catalogue_db, number).expected_completion == promised
    act("complete", note="核准")
    done = load_case(catalogue_db, number)
    assert done.status == CaseStatus.COMPLETED and done.closed_at is not None

    kinds = [(kind, actor, public) for kind, actor, public, _ in _events(catalogue_db, done.id)]
    assert kinds == [
        ("filed", "clerk:test", True),
        ("started", "clerk", False),
        ("step", "clerk", True),
        ("note", "clerk", False),
        ("note", "clerk", True),
        ("supplement_requested", "clerk", True),
        ("supplement_received", "clerk", True),
        ("extended", "clerk", True),
        ("overdue_info", "clerk", True),
        ("completed", "clerk", True),
    ]
    with catalogue_db.transaction() as session:
        notices = set(session.scalars(select(Notice.kind).where(Notice.case_id == done.id)))
    assert {"receipt", "supplement", "extension", "ready", "survey"} <= notices
    page = clerk.get(f"/counter/cases/{number}").text
    assert _offered(page) == ["note"]  # a completed case takes notes only


def test_reject_needs_a_reason_and_then_tells_the_applicant(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    response = _act(clerk, case.number, "reject", case.version, reason="  ")
    assert response.status_code == 422
    assert re.search(r'id="reject-reason-error">Enter “Reason for rejection”.<', response.text)
    assert '<details class="action action--failed" id="action-reject" open>' in response.text
    assert load_case(catalogue_db, case.number).status == CaseStatus.RECEIVED
    assert _act(clerk, case.number, "reject", case.version, reason="資格不符").status_code == 303
    rejected = load_case(catalogue_db, case.number)
    assert rejected.status == CaseStatus.REJECTED
    with catalogue_db.transaction() as session:
        kinds = set(session.scalars(select(Notice.kind).where(Notice.case_id == case.id)))
    assert "rejected" in kinds


def test_withdraw_and_transfer_out(clerk: Console, catalogue_db: Database) -> None:
    one, two = file_social_case(catalogue_db), file_social_case(catalogue_db)
    assert _act(clerk, one.number, "withdraw", one.version, note="申請人撤回").status_code == 303
    assert load_case(catalogue_db, one.number).status == CaseStatus.WITHDRAWN
    response = _act(
        clerk, two.number, "transfer_out", two.version, agency="高雄市政府社會局", reason="權責"
    )
    assert response.status_code == 303
    assert load_case(catalogue_db, two.number).status == CaseStatus.TRANSFERRED


def test_transfer_to_another_department_hands_the_case_over(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    page = clerk.get(f"/counter/cases/{case.number}").text
    assert '<option value="sanmin/civil">' in page and '<option value="sanmin/social">' not in page
    response = _act(
        clerk, case.number, "transfer", case.version, department="sanmin/civil", reason="民政業務"
    )
    assert (response.status_code, response.location) == (303, "/counter")
    assert load_case(catalogue_db, case.number).department.path == "sanmin/civil"
    assert clerk.get(f"/counter/cases/{case.number}").status_code == 404  # no longer ours
    clerk.login("civil")
    assert clerk.get(f"/counter/cases/{case.number}").status_code == 200


def test_assignment(console: Console, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db)
    with catalogue_db.transaction() as session:
        ids = dict(session.execute(select(User.username, User.id)).all())
    console.login("clerk")
    page = console.get(f"/counter/cases/{case.number}").text
    options = re.findall(r'<option[^>]*value="(\d+)"', page[page.index("action-assign") :])
    assert options[:1] == [str(ids["clerk"])] and str(ids["colleague"]) not in options
    # A clerk cannot assign a colleague, even by forging the form.
    forged = _act(console, case.number, "assign", case.version, user=ids["colleague"])
    assert forged.status_code == 422
    console.login("boss")
    assert (
        _act(console, case.number, "assign", case.version, user=ids["colleague"]).status_code == 303
    )
    assert load_case(catalogue_db, case.number).assigned_user_id == ids["colleague"]
    console.login("colleague")
    assert case.number in console.get("/counter").text.split("The department")[0]


def test_a_stale_form_changes_nothing(clerk: Console, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db)
    stale = case.version
    assert _act(clerk, case.number, "start", stale).status_code == 303  # someone acts first
    before = _events(catalogue_db, case.id)
    response = _act(clerk, case.number, "complete", stale, note="done")
    assert response.status_code == 409
    assert f"Case {case.number} was changed by someone else" in response.text
    assert "Nothing was changed" in response.text
    assert load_case(catalogue_db, case.number).status == CaseStatus.IN_PROGRESS
    assert _events(catalogue_db, case.id) == before
    # The page shown with the refusal carries the current version: acting again works.
    current = re.search(
        r'id="complete-version" name="complete-version" type="hidden" value="(\d+)"', response.text
    )
    assert current and int(current.group(1)) == load_case(catalogue_db, case.number).version


def test_an_action_the_status_does_not_allow_is_refused(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    response = _act(clerk, case.number, "receive_supplement", case.version)
    assert response.status_code == 409
    assert "This action is not allowed now: it has not been started." in response.text
    assert _act(clerk, case.number, "no_such_action", case.version).status_code == 404
    assert [e[0] for e in _events(catalogue_db, case.id)] == ["filed"]


def test_an_extension_beyond_the_limit_is_refused_beside_its_field(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    response = _act(clerk, case.number, "extend", case.version, amount=6, reason="太忙")
    assert response.status_code == 422
    assert re.search(
        r'id="extend-amount-error">Extend by: At most the original limit, 5 working days.<',
        response.text,
    )
    assert load_case(catalogue_db, case.number).extension is None


def test_contact_by_phone_or_letter_tasks_are_prominent(
    clerk: Console, catalogue_db: Database
) -> None:
    quiet = file_social_case(catalogue_db, phone="07-311-0000", notify_by="none")
    page = clerk.get(f"/counter/cases/{quiet.number}").text
    task = page[page.index('class="notice notice--warning task"') :]
    assert "Contact the applicant by phone or letter" in task
    assert "Receipt confirmation" in task and "07 311 0000" in task
    assert page.index("task") < page.index("SOP steps")
    reachable = file_social_case(catalogue_db)
    assert (
        "Contact the applicant by phone or letter"
        not in clerk.get(f"/counter/cases/{reachable.number}").text
    )


def test_the_timeline_gives_the_default_overdue_reason_in_the_clerks_language(
    clerk: Console, catalogue_db: Database
) -> None:
    default = file_social_case(catalogue_db)  # the applicant reads Chinese, the clerk English
    own = file_social_case(catalogue_db)
    with catalogue_db.transaction() as session:
        case_actions.set_overdue_info(
            session, own.id, "等待工務局會勘", local_date(own.received_at) + timedelta(days=30),
            actor="clerk", now=own.received_at,
        )  # fmt: skip
        sweep_batch(session, now=default.received_at + timedelta(days=20))
    page = clerk.get(f"/counter/cases/{default.number}").text
    timeline = page[page.index('class="timeline"') :]
    assert "Being processed" in timeline and "案件處理中" not in timeline
    # The facts say what the applicant was told, and that the clerk should confirm it.
    assert "Being processed (the service&#39;s default; confirm or correct it)" in page
    page = clerk.get(f"/counter/cases/{own.number}").text
    assert page[page.index('class="timeline"') :].count("等待工務局會勘") == 2  # as typed


def test_a_lapsed_supplement_reads_in_the_clerks_language(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    with catalogue_db.transaction() as session:
        case_actions.request_supplement(
            session, case.id, ["印章"], actor="clerk", now=case.received_at,
            deadline=local_date(case.received_at) + timedelta(days=3),
        )  # fmt: skip
        sweep_batch(session, now=case.received_at + timedelta(days=5))
    page = clerk.get(f"/counter/cases/{case.number}").text
    timeline = page[page.index('class="timeline"') :]
    assert "has passed without them" in timeline and "已過" not in timeline
    clerk.client.set_cookie("lang", "zh_TW")
    page = clerk.get(f"/counter/cases/{case.number}").text
    assert "已過，尚未收到文件" in page[page.index('class="timeline"') :]


def test_notices_show_channel_status_and_provider_errors(
    clerk: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    with catalogue_db.transaction() as session:
        session.execute(
            update(Notice)
            .where(Notice.case_id == case.id)
            .values(status="failed", provider_status="undelivered", error="Twilio 30006")
        )
    page = clerk.get(f"/counter/cases/{case.number}").text
    table = page[page.index('class="table notices"') :]
    assert "Receipt confirmation" in table and "SMS" in table
    assert "Failed" in table and "Not delivered" in table and "Twilio 30006" in table
    assert ">undelivered<" not in table
