"""Letter tasks in the console: marked done from the case page, counted on the queues page."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.web.counter.conftest import Console, file_civil_case, file_social_case
from tracker.db import Database
from tracker.models import AuditEntry, Case, Notice


def _task(database: Database, number: str) -> Notice:
    with database.transaction() as session:
        return session.scalars(
            select(Notice)
            .join(Case, Case.id == Notice.case_id)
            .where(Case.number == number, Notice.status == "task")
        ).one()


def _done(console: Console, number: str, task_id: int, note: str = "") -> TestResponse:
    console.get(f"/counter/cases/{number}")
    return console.post(
        f"/counter/cases/{number}/tasks/{task_id}/done", {"note": note}, prefix=f"task-{task_id}"
    )


def _quiet(database: Database) -> Case:
    return file_social_case(database, phone="07-311-0000", notify_by="none")


def test_a_clerk_marks_a_task_done_with_how_the_applicant_was_reached(
    clerk: Console, catalogue_db: Database
) -> None:
    case = _quiet(catalogue_db)
    task = _task(catalogue_db, case.number)
    page = clerk.get(f"/counter/cases/{case.number}").text
    assert f'action="/counter/cases/{case.number}/tasks/{task.id}/done"' in page
    assert f'id="task-{task.id}-note"' in page  # its own field id: one form per open task

    response = _done(clerk, case.number, task.id, "已電話告知，申請人將親自領件")
    assert response.status_code == 303
    assert response.location == f"/counter/cases/{case.number}"
    done = _task(catalogue_db, case.number)
    assert done.done_by == "clerk" and done.done_at is not None
    assert done.done_note == "已電話告知，申請人將親自領件"
    page = clerk.get(response.location).text
    assert "The task is marked done." in page
    assert "Contact the applicant by phone or letter" not in page  # nothing left to do
    table = page[page.index('class="table notices"') :]
    assert "Given by phone or letter" in table and "marked done by clerk" in table
    assert "已電話告知，申請人將親自領件" in table
    with catalogue_db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "task_done")).one()
    assert (entry.actor, entry.target) == ("clerk", case.number)
    assert entry.data == {"notice": task.id, "kind": "receipt"}  # no note: it may name people


def test_a_task_done_twice_is_refused(clerk: Console, catalogue_db: Database) -> None:
    case = _quiet(catalogue_db)
    task = _task(catalogue_db, case.number)
    clerk.get(f"/counter/cases/{case.number}")  # the form, before a colleague acts
    colleague = Console(clerk.client.application.test_client())
    colleague.client.set_cookie("lang", "en")
    colleague.login("colleague")
    assert _done(colleague, case.number, task.id, "寄發書面通知").status_code == 303
    again = clerk.post(
        f"/counter/cases/{case.number}/tasks/{task.id}/done",
        {"note": "電話"},
        prefix=f"task-{task.id}",
    )
    assert again.status_code == 409
    assert "colleague has already marked this task done; nothing was changed." in again.text
    assert _task(catalogue_db, case.number).done_note == "寄發書面通知"


def test_a_long_note_is_refused_beside_its_field(clerk: Console, catalogue_db: Database) -> None:
    case = _quiet(catalogue_db)
    task = _task(catalogue_db, case.number)
    response = _done(clerk, case.number, task.id, "長" * 201)
    assert response.status_code == 422
    assert f'id="task-{task.id}-note-error"' in response.text
    assert _task(catalogue_db, case.number).done_at is None


def test_only_the_cases_department_may_mark_its_tasks(
    console: Console, catalogue_db: Database
) -> None:
    case = _quiet(catalogue_db)
    task = _task(catalogue_db, case.number)
    sent = file_social_case(catalogue_db)  # an SMS receipt: not a task
    with catalogue_db.transaction() as session:
        sms = session.scalars(select(Notice.id).join(Case).where(Case.number == sent.number)).one()
    console.login("civil")
    assert _done(console, case.number, task.id).status_code == 404  # not even said to exist
    console.login("clerk")
    assert _done(console, sent.number, sms).status_code == 404
    assert _done(console, sent.number, task.id).status_code == 404  # another case's task
    assert _task(catalogue_db, case.number).done_at is None
    console.login("boss")  # the department's supervisor works its cases too
    assert _done(console, case.number, task.id).status_code == 303


def test_the_queues_count_the_departments_open_tasks(
    clerk: Console, catalogue_db: Database
) -> None:
    assert "Notices to give by phone or letter" not in clerk.get("/counter").text
    first, second = _quiet(catalogue_db), _quiet(catalogue_db)
    file_civil_case(catalogue_db, phone="07-311-0000", notify_by="none")  # not this department's
    page = clerk.get("/counter").text
    assert "Notices to give by phone or letter: 2" in page
    for case in (first, second):
        assert f'<a href="/counter/cases/{case.number}">{case.number}</a>' in page
    _done(clerk, first.number, _task(catalogue_db, first.number).id)
    page = clerk.get("/counter").text
    assert "Notices to give by phone or letter: 1" in page
    assert f'<a href="/counter/cases/{first.number}">' not in page.split("<table")[0]
    clerk.client.delete_cookie("lang")
    assert "待以電話或書面告知的通知：1 則" in clerk.get("/counter").text
