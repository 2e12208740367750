"""Letter tasks: notices nobody could send, which a clerk gives by phone or letter (DESIGN §4.6).

A notice with no usable channel is written with status ``task`` (tracker.notices.outbox). The clerk
tells the applicant and marks it done, with an optional note on how the applicant was reached;
the notice keeps its status (it was given by phone or letter) and records who and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.deadlines.timezones import require_aware
from tracker.errors import Conflict, InvalidInput, NotFound
from tracker.models import Case, Notice
from tracker.notices.outbox import TASK
from tracker.text import clean_text

NOTE_MAX = 200
# The queues list this many cases with open tasks at most: a longer list is work for a search.
OPEN_TASK_CASES_LIMIT = 50


def mark_task_done(
    session: Session,
    case_id: int,
    notice_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> Notice:
    """Record that the applicant was told the notice ``notice_id`` of case ``case_id``.

    One UPDATE guarded by the task being open: of two clerks marking it at once, one wins and the
    other is refused (Conflict), never recorded twice.
    """
    try:
        text = clean_text(note, max_length=NOTE_MAX)
    except ValueError as exc:
        raise InvalidInput({"note": str(exc)}) from None
    done = session.execute(
        update(Notice)
        .where(
            Notice.id == notice_id,
            Notice.case_id == case_id,
            Notice.status == TASK,
            Notice.done_at.is_(None),
        )
        .values(done_at=require_aware(now, "now"), done_by=actor[:80], done_note=text or None)
        .execution_options(synchronize_session=False)
    )
    task = session.scalar(
        select(Notice)
        .where(Notice.id == notice_id, Notice.case_id == case_id, Notice.status == TASK)
        .execution_options(populate_existing=True)
    )
    if task is None:
        raise NotFound(f"Case {case_id} has no letter task {notice_id}.", notice_id=notice_id)
    if done.rowcount == 0:  # type: ignore[attr-defined]
        raise Conflict(f"The task was already marked done by {task.done_by}.", done_by=task.done_by)
    return task


@dataclass(frozen=True)
class OpenTasks:
    """A case with letter tasks still to do."""

    number: str
    tasks: int


def department_open_tasks(
    session: Session, department_id: int, *, limit: int = OPEN_TASK_CASES_LIMIT
) -> tuple[int, list[OpenTasks]]:
    """How many letter tasks the department has open, and up to ``limit`` of its cases with
    them, the longest waiting first. Both read the partial index of open tasks."""
    # Closed cases count too: a "ready" or "rejected" notice may still wait to be given.
    open_tasks = (
        select(Notice.id)
        .join(Case, Case.id == Notice.case_id)
        .where(Notice.status == TASK, Notice.done_at.is_(None), Case.department_id == department_id)
    )
    total = session.scalar(select(func.count()).select_from(open_tasks.subquery())) or 0
    if not total:
        return 0, []
    rows = session.execute(
        open_tasks.with_only_columns(Case.number, func.count(Notice.id))
        .group_by(Case.number)
        .order_by(func.min(Notice.created_at), Case.number)
        .limit(limit)
    ).all()
    return total, [OpenTasks(number, count) for number, count in rows]


def case_tasks(notices: Sequence[Notice]) -> list[Notice]:
    """The notices nobody could send among a case's: the clerk gives them by phone or letter.

    Open or done, in the notices' order.
    """
    return [n for n in notices if n.status == TASK]
