"""Signing in and out, and the guard that runs before every console request.

Sessions are Flask's signed cookies. A login clears whatever the cookie held before (no
fixation, a fresh CSRF token) and keeps only the user id, the user's session generation and two
timestamps: the session ends after IDLE_LIFETIME without a request and after ABSOLUTE_LIFETIME
in any case. The generation ends it sooner: signing out, a deactivation, a new password, role or
department bump ``users.session_generation`` (tracker.accounts.lifecycle), and the user row this
guard loads anyway (by primary key) no longer matches the cookie, in any browser.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from flask import current_app, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from tracker.accounts import audit
from tracker.accounts.directory import Directory, DirectoryUnavailable
from tracker.accounts.directory import verify_password as directory_accepts
from tracker.accounts.lifecycle import end_sessions
from tracker.accounts.users import generate_password, hash_password, verify_password
from tracker.clock import utc_now
from tracker.models import Role, User
from web.core.database import transaction
from web.core.extensions import limiter
from web.counter.access import (
    PUBLIC,
    ConsoleUser,
    current_user,
    declared_roles,
    is_safe_next,
    roles,
)
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.i18n import ct, lazy
from web.counter.totp import CODE_ENDPOINTS, ask_for_code, hold, needs_code, too_many_codes

IDLE_LIFETIME = timedelta(minutes=30)
ABSOLUTE_LIFETIME = timedelta(hours=10)
# Only failed attempts count (see _failed): a clerk who types well is never slowed down. The
# limits count per (account, client address) and per client address, never per account alone:
# a stranger's failures from elsewhere must not lock the owner out of their own account. The
# per-address limit stops trying many accounts from one place.
LOGIN_LIMIT_PER_USER_AND_ADDRESS = "5 per 15 minutes"
LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"

_UID, _GENERATION = "counter_uid", "counter_gen"
_SINCE, _SEEN = "counter_since", "counter_seen"
# What a user who must change their password may still open (a one-time password opens nothing
# else).
CHANGE_PASSWORD_ONLY = frozenset({"counter.change_password", "counter.logout"})


class LoginForm(FlaskForm):
    username = StringField(
        lazy("User name"),
        validators=[InputRequired(message=lazy("Enter your user name.")), Length(max=60)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        lazy("Password"),
        validators=[InputRequired(message=lazy("Enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


@cache
def _dummy_hash() -> str:
    # Verified against when the user does not exist, so both answers take as long.
    return hash_password(generate_password())


def _password_matches(user: User | None, username: str, password: str) -> bool | None:
    """Whether the password is right: the directory's answer when one is configured (the local
    hash is then ignored), else the local hash. None: the directory cannot be asked."""
    settings = current_app.config["SETTINGS"]
    if not settings.directory_enabled:
        return verify_password(user.password_hash if user else _dummy_hash(), password)
    directory = Directory(settings.ldap_url, settings.ldap_bind_dn_template)
    try:
        # Asked for unknown names too, so the answer's timing tells nobody which names exist.
        return directory_accepts(directory, username, password)
    except DirectoryUnavailable:
        return None


def _failed(response: Response) -> bool:
    # 503: the directory could not be asked, so nothing was guessed; an outage locks nobody out.
    return response.status_code not in (303, 503)


def _typed_username_and_address() -> str:
    username = request.form.get("username", "").strip().lower()[:60]
    return f"login:{get_remote_address()}:{username}"


def _load_user() -> ConsoleUser | None:
    """The user of this session, or None (not signed in, expired, changed or deactivated)."""
    uid = session.get(_UID)
    if uid is None:
        return None
    now = utc_now().timestamp()
    since, seen = session.get(_SINCE, 0), session.get(_SEEN, 0)
    if (
        now - seen > IDLE_LIFETIME.total_seconds()
        or now - since > ABSOLUTE_LIFETIME.total_seconds()
    ):
        session.clear()
        flash(ct("Your session has ended. Please sign in again."), "info")
        return None
    with transaction() as db:
        user = db.get(User, uid)
        if user is None or not user.active or user.session_generation != session.get(_GENERATION):
            session.clear()
            return None
        session[_SEEN] = int(now)
        department = user.department
        return ConsoleUser(
            id=user.id,
            username=user.username,
            display_name=user.display_name or user.username,
            role=Role(user.role),
            department_id=user.department_id,
            department_path=department.path if department else None,
            agency_id=department.agency_id if department else user.agency_id,
            must_change_password=user.must_change_password,
        )


@counter.before_request
def guard() -> ResponseReturnValue | None:
    """Every console request: who is signed in, and whether their role may open this view."""
    if request.endpoint is None:
        return None  # no such page: the 404 follows
    allowed = declared_roles(request.endpoint)
    if allowed is None:
        return ct("This page declares no roles."), 403  # fail closed: a view nobody vetted
    g.counter_user = _load_user()
    if PUBLIC in allowed:
        return None
    if g.counter_user is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("counter.login", next=target), code=303)
    held = hold(g.counter_user, request.endpoint)  # the second factor first (web/counter/totp.py)
    if held is not None:
        return held
    if g.counter_user.must_change_password and request.endpoint not in CHANGE_PASSWORD_ONLY:
        return redirect(url_for("counter.change_password"), code=303)
    if g.counter_user.role not in allowed:
        return page("forbidden.html", 403)
    return None


@counter.errorhandler(TooManyRequests)
def too_many(_error: TooManyRequests) -> ResponseReturnValue:
    """Too many failed logins: say so, and when to try again."""
    if request.endpoint in CODE_ENDPOINTS:
        return too_many_codes()  # the second factor's pages answer for themselves
    form = LoginForm()
    message = ct("Too many failed attempts. Wait 15 minutes, then try again.")
    return page("login.html", 429, form=form, error=message)


@counter.route("/login", methods=["GET", "POST"])
@roles(PUBLIC)
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"], deduct_when=_failed)
@limiter.limit(
    LOGIN_LIMIT_PER_USER_AND_ADDRESS,
    key_func=_typed_username_and_address,
    methods=["POST"],
    deduct_when=_failed,
)
def login() -> ResponseReturnValue:
    """Sign in with a user name and password."""
    if request.method == "GET" and current_user() is not None:
        return redirect(url_for("counter.index"), code=303)
    form = LoginForm()
    if not form.validate_on_submit():
        return page("login.html", 200, form=form, error=None)
    username = form.username.data.strip().lower()
    now = utc_now()
    with transaction() as db:
        user = db.scalar(select(User).where(User.username == username))
        valid = _password_matches(user, username, form.password.data)
        if user is None or not valid or not user.active:
            reason = "unknown user" if user is None else "inactive" if valid else "wrong password"
            reason = "directory unavailable" if valid is None else reason
            audit.record_audit(
                db,
                audit.LOGIN_FAILED,
                actor=username,
                at=now,
                remote_addr=request.remote_addr,
                data={"reason": reason},
            )
            user = None
        else:
            audit.record_audit(
                db, audit.LOGIN_SUCCEEDED, actor=username, at=now, remote_addr=request.remote_addr
            )
            generation = user.session_generation
            second_step = needs_code(user)
    if user is None and valid is None:
        message = ct("The directory cannot be reached, so nobody can sign in now. Try again later.")
        return page("login.html", 503, form=form, error=message)
    if user is None:
        # One answer for every failure: nobody learns which user names exist.
        message = ct("The user name or password is not right.")
        return page("login.html", 200, form=form, error=message)
    target = request.args.get("next")
    session.clear()  # a fresh session: nothing from before the login survives it
    session.permanent = True
    session.update(
        {
            _UID: user.id,
            _GENERATION: generation,
            _SINCE: int(now.timestamp()),
            _SEEN: int(now.timestamp()),
        }
    )
    if second_step:
        return ask_for_code(target)  # the session may open nothing else until the code is typed
    return redirect(target if is_safe_next(target) else url_for("counter.index"), code=303)


@counter.post("/logout")
@roles(Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def logout() -> ResponseReturnValue:
    """Sign out: this session and every other of the user's, in every browser."""
    user = current_user()
    if user is not None:
        with transaction() as db:
            end_sessions(db, user.id)
            audit.record_audit(
                db, audit.LOGOUT, actor=user.username, at=utc_now(), remote_addr=request.remote_addr
            )
    session.clear()
    flash(ct("You have signed out."), "info")
    return redirect(url_for("counter.login"), code=303)


def keep_session(generation: int) -> None:
    """Keep this browser signed in after its own password change ended the user's sessions."""
    session[_GENERATION] = generation
