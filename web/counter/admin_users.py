"""Administration of one user: deactivate or reactivate, reset the password, change the role
and department. Each change ends the user's sessions (tracker.accounts.lifecycle)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField

from tracker.accounts import lifecycle
from tracker.clock import utc_now
from tracker.errors import InvalidInput
from tracker.models import Role, User
from web.core.database import transaction
from web.counter.access import roles, signed_in
from web.counter.admin import workplace_choices
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.forms import ROLE_CHOICES, error_for, name_errors
from web.counter.i18n import N_, ct, lazy
from web.counter.messages import field_errors, refusal_message


class AccountActionForm(FlaskForm):
    """Only the CSRF token: deactivate, reactivate or reset, said by the button's form."""


class RoleForm(FlaskForm):
    role = SelectField(lazy("Role"), choices=ROLE_CHOICES)
    department = SelectField(lazy("Department"), choices=[])


def _user_page(
    username: str,
    status: int = 200,
    *,
    role_form: RoleForm | None = None,
    one_time: str | None = None,
) -> ResponseReturnValue:
    with transaction() as db:
        account = db.scalar(select(User).where(User.username == username))
        if account is None:
            abort(404)
        if role_form is None:
            role_form = RoleForm(formdata=None, role=account.role)
            department = account.department
            role_form.department.data = (
                department.path if department else account.agency.code if account.agency else ""
            )
        role_form.department.choices = workplace_choices(db)
        return page(
            "admin_user.html",
            status,
            user=signed_in(),
            account=account,
            role_form=role_form,
            action_form=AccountActionForm(formdata=None),
            one_time=one_time,
        )


@counter.get("/admin/users/<username>")
@roles(Role.ADMIN)
def manage_user(username: str) -> ResponseReturnValue:
    """One user: their state, role and department, and what an administrator may change."""
    return _user_page(username)


def _change(
    username: str, act: Callable[..., User], done: str
) -> tuple[Response | None, str | None]:
    """Run one lifecycle change as the signed-in admin; a redirect with ``done`` flashed, or
    the refusal's message (nothing changed)."""
    if not AccountActionForm().validate_on_submit():
        abort(400)
    try:
        with transaction() as db:
            name = act(
                db,
                username,
                actor=signed_in().username,
                now=utc_now(),
                remote_addr=request.remote_addr,
            ).username
    except InvalidInput as refusal:
        if "there is no user" in refusal.fields.get("username", ""):
            abort(404)
        return None, refusal_message(refusal)
    flash(ct(done, user=name), "success")
    return redirect(url_for("counter.manage_user", username=name), code=303), None


def _refused(username: str, message: str) -> ResponseReturnValue:
    flash(message, "error")
    return redirect(url_for("counter.manage_user", username=username), code=303)


@counter.post("/admin/users/<username>/deactivate")
@roles(Role.ADMIN)
def deactivate_user(username: str) -> ResponseReturnValue:
    """Deactivate the user: no login, every session ends."""
    done, refusal = _change(
        username,
        lifecycle.deactivate,
        N_("%(user)s was deactivated; their sessions have ended."),
    )
    return done or _refused(username, refusal or "")


@counter.post("/admin/users/<username>/activate")
@roles(Role.ADMIN)
def activate_user(username: str) -> ResponseReturnValue:
    """Let a deactivated user sign in again."""
    done, refusal = _change(username, lifecycle.activate, N_("%(user)s was reactivated."))
    return done or _refused(username, refusal or "")


@counter.post("/admin/users/<username>/reset-password")
@roles(Role.ADMIN)
def reset_user_password(username: str) -> ResponseReturnValue:
    """A one-time password, shown once on this page; the user chooses their own at login."""
    if not AccountActionForm().validate_on_submit():
        abort(400)
    try:
        with transaction() as db:
            account, password = lifecycle.reset_password(
                db,
                username,
                actor=signed_in().username,
                now=utc_now(),
                remote_addr=request.remote_addr,
            )
            name = account.username
    except InvalidInput:
        abort(404)
    # Rendered, not redirected: a password must not travel in a flash message (the cookie).
    return _user_page(name, one_time=password)


@counter.post("/admin/users/<username>/role")
@roles(Role.ADMIN)
def set_user_role(username: str) -> ResponseReturnValue:
    """Change the user's role and department; their sessions end so it applies at once."""
    form = RoleForm()
    with transaction() as db:
        form.department.choices = workplace_choices(db)
    if form.validate_on_submit():
        try:
            with transaction() as db:
                account = lifecycle.set_role(
                    db,
                    username,
                    role=form.role.data or "",
                    department=form.department.data or None,
                    actor=signed_in().username,
                    now=utc_now(),
                    remote_addr=request.remote_addr,
                )
                name = account.username
        except InvalidInput as refusal:
            if "there is no user" in refusal.fields.get("username", ""):
                abort(404)
            for field, message in field_errors(refusal).items():
                error_for(form, "role" if field == "username" else field, message)
        else:
            flash(ct("%(user)s's role and department were changed.", user=name), "success")
            return redirect(url_for("counter.manage_user", username=name), code=303)
    name_errors(form)
    return _user_page(username, 422, role_form=form)
