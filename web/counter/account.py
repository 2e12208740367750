"""Each user's own account: changing one's password (and choosing one after a reset)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from tracker.accounts.lifecycle import change_own_password
from tracker.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from tracker.clock import utc_now
from tracker.errors import InvalidInput
from tracker.models import Role
from web.core.database import transaction
from web.counter.access import roles, signed_in
from web.counter.auth import keep_session
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.forms import REQUIRED, error_for, name_errors
from web.counter.i18n import ct, lazy
from web.counter.messages import field_errors


class PasswordForm(FlaskForm):
    current = PasswordField(
        lazy("Current password"),
        validators=[InputRequired(message=REQUIRED), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        lazy("New password"),
        validators=[InputRequired(message=REQUIRED), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        lazy("New password again"),
        validators=[
            InputRequired(message=REQUIRED),
            EqualTo("new", message=lazy("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


@counter.route("/account/password", methods=["GET", "POST"])
@roles(Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def change_password() -> ResponseReturnValue:
    """Change one's own password; after a reset, the only page a user may open."""
    user = signed_in()
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transaction() as db:
                changed = change_own_password(
                    db,
                    user.id,
                    current=form.current.data or "",
                    new=form.new.data or "",
                    now=utc_now(),
                    remote_addr=request.remote_addr,
                )
                generation = changed.session_generation
        except InvalidInput as refusal:
            for name, message in field_errors(refusal).items():
                error_for(form, name, message)
        else:
            # Every other browser's session has ended; this one goes on with the new generation.
            keep_session(generation)
            flash(ct("Your password was changed. Other sessions of yours have ended."), "success")
            return redirect(url_for("counter.index"), code=303)
    if form.is_submitted():
        status = 422
        name_errors(form)
        form.current.data = form.new.data = form.confirm.data = ""
    return page(
        "password.html",
        status,
        form=form,
        user=user,
        min_length=MIN_LENGTH,
        must_change=user.must_change_password,
    )
