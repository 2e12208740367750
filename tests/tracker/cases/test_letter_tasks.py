"""Letter tasks: marked done once, with who, when and how; the open ones counted per department."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import NOW
from tests.factories import create_case
from tracker.cases.letter_tasks import department_open_tasks, mark_task_done
from tracker.db import Database
from tracker.errors import Conflict, InvalidInput, NotFound
from tracker.models import Case, Notice
from tracker.notices.outbox import queue_case_notice

LATER = NOW + timedelta(hours=2)


def _quiet_case(db: Database, service: str = "five-wd", now: datetime = NOW) -> tuple[int, int]:
    """A case whose applicant gave no usable channel: its receipt is a letter task."""
    with db.transaction() as s:
        case = create_case(s, service, now=now, phone="07-311-0000", notify_by="none")
        task = s.scalars(select(Notice).where(Notice.case_id == case.id)).one()
        assert (task.channel, task.status) == ("letter", "task")
        return case.id, task.id


def test_a_task_is_marked_done_with_who_when_and_how(catalogue_db: Database) -> None:
    case_id, task_id = _quiet_case(catalogue_db)
    with catalogue_db.transaction() as s:
        mark_task_done(s, case_id, task_id, actor="clerk", now=LATER, note=" 已電話告知申請人 ")
    with catalogue_db.transaction() as s:
        task = s.get_one(Notice, task_id)
        assert (task.done_by, task.done_at, task.done_note) == ("clerk", LATER, "已電話告知申請人")
        assert task.status == "task"  # still given by phone or letter, as reports count it


def test_a_task_is_marked_done_once(catalogue_db: Database) -> None:
    case_id, task_id = _quiet_case(catalogue_db)
    with catalogue_db.transaction() as s:
        mark_task_done(s, case_id, task_id, actor="clerk", now=LATER)
    with pytest.raises(Conflict) as refused, catalogue_db.transaction() as s:
        mark_task_done(s, case_id, task_id, actor="colleague", now=LATER, note="again")
    assert refused.value.params == {"done_by": "clerk"}
    with catalogue_db.transaction() as s:
        task = s.get_one(Notice, task_id)
        assert (task.done_by, task.done_note) == ("clerk", None)


def test_only_a_task_of_that_case_can_be_marked(catalogue_db: Database) -> None:
    case_id, task_id = _quiet_case(catalogue_db)
    other_case, _ = _quiet_case(catalogue_db)
    with catalogue_db.transaction() as s:
        sent = create_case(s)  # an SMS receipt: no task
        sms = s.scalars(select(Notice.id).where(Notice.case_id == sent.id)).one()
    for case, notice in ((other_case, task_id), (sent.id, sms), (case_id, 999_999)):
        with pytest.raises(NotFound), catalogue_db.transaction() as s:
            mark_task_done(s, case, notice, actor="clerk", now=LATER)
    with catalogue_db.transaction() as s:
        assert s.get_one(Notice, task_id).done_at is None


def test_a_long_or_garbled_note_is_refused(catalogue_db: Database) -> None:
    case_id, task_id = _quiet_case(catalogue_db)
    for note in ("長" * 201, "bell\x07"):
        with pytest.raises(InvalidInput) as refused, catalogue_db.transaction() as s:
            mark_task_done(s, case_id, task_id, actor="clerk", now=LATER, note=note)
        assert "note" in refused.value.fields
    with catalogue_db.transaction() as s:
        assert s.get_one(Notice, task_id).done_at is None


def test_open_tasks_are_counted_per_department_longest_waiting_first(
    catalogue_db: Database,
) -> None:
    first, _ = _quiet_case(catalogue_db, now=NOW + timedelta(hours=1))  # 20260413-0001
    _quiet_case(catalogue_db)  # 20260413-0002, its task written an hour earlier
    done, done_task = _quiet_case(catalogue_db)
    _quiet_case(catalogue_db, "fourteen-d")  # the civil section's
    with catalogue_db.transaction() as s:
        mark_task_done(s, done, done_task, actor="clerk", now=LATER)
        case = s.get_one(Case, first)
        # A second notice nobody can send, for the first case.
        queue_case_notice(s, case, "extension", trigger_at=LATER, now=LATER,
                          extra={"reason": "會勘", "new_due_date": "2026-04-27"})  # fmt: skip
        total, cases = department_open_tasks(s, case.department_id)
        assert total == 3
        assert [(c.number, c.tasks) for c in cases] == [
            ("20260413-0002", 1),
            ("20260413-0001", 2),
        ]
        assert department_open_tasks(s, case.department_id, limit=1) == (3, cases[:1])
