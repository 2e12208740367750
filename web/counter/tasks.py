"""Letter tasks on the case page: the clerk marks a notice given by phone or letter as done."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from tracker.accounts.audit import TASK_DONE, record_audit
from tracker.cases.letter_tasks import mark_task_done
from tracker.clock import utc_now
from tracker.errors import Conflict, InvalidInput, NotFound
from web.core.database import transaction
from web.counter.access import CASE_ROLES, case_for, roles, signed_in
from web.counter.blueprint import counter
from web.counter.cases import render_case_page
from web.counter.forms import TaskDoneForm, error_for, task_prefix
from web.counter.i18n import ct
from web.counter.messages import field_errors, refusal_message


class _NotValid(Exception):
    """The form itself did not validate: nothing was tried."""


@counter.post("/cases/<number>/tasks/<int:notice_id>/done")
@roles(*CASE_ROLES)
def task_done(number: str, notice_id: int) -> ResponseReturnValue:
    """Mark a "contact by phone or letter" task done, with how the applicant was reached."""
    user = signed_in()
    now = utc_now()
    form = TaskDoneForm(prefix=task_prefix(notice_id))
    try:
        with transaction() as db:
            case = case_for(db, user, number)  # another department's case: 404
            if not form.validate_on_submit():
                raise _NotValid
            task = mark_task_done(
                db, case.id, notice_id, actor=user.username, now=now, note=form.note.data
            )
            # The note stays on the notice: how an applicant was reached may name them.
            record_audit(
                db,
                TASK_DONE,
                actor=user.username,
                at=now,
                target=case.number,
                remote_addr=request.remote_addr,
                data={"notice": task.id, "kind": task.kind},
            )
    except _NotValid:
        return render_case_page(number, 422, failed_task=(notice_id, form))
    except NotFound:
        abort(404)
    except Conflict as refusal:
        return render_case_page(number, 409, refusal=refusal_message(refusal))
    except InvalidInput as refusal:
        for name, message in field_errors(refusal).items():
            error_for(form, name, message)
        return render_case_page(number, 422, failed_task=(notice_id, form))
    flash(ct("The task is marked done."), "success")
    return redirect(url_for("counter.case_page", number=number), code=303)
