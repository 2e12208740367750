"""The second factor in the console: enrolling a phone app (TOTP), and the code asked at sign-in.

A user who has turned it on signs in with the password, then lands on the code page: their
session is marked as waiting for the code, and ``hold`` (called by the console's guard before
every request) lets it reach nothing but that page and "sign out" until a fresh code is typed.
With ``REQUIRE_TOTP=admin`` an administrator who has not enrolled is sent to the enrolment page
on every console request until they have. The rules about codes (window, no replay) are in
``tracker.accounts.totp``.
"""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from tracker.accounts import audit
from tracker.accounts import totp as second_factor
from tracker.clock import utc_now
from tracker.models import Role, User
from web.core.database import transaction
from web.core.extensions import limiter
from web.core.qr import qr_svg
from web.counter.access import ConsoleUser, is_safe_next, roles, signed_in
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.i18n import ct, lazy

# Set at sign-in for a user with a second factor; cleared when their code is accepted.
PENDING = "counter_totp_pending"
# Failed codes per user: a code has a million values, so five tries in 15 minutes leave a
# guesser about one chance in 70,000 a day, and the owner only waits after typos.
CODE_LIMIT = "5 per 15 minutes"
# What a session waiting for its code, or an admin who must enrol, may still open.
_CODE_PAGES = frozenset({"counter.totp_code", "counter.logout"})
_ENROL_PAGES = frozenset({"counter.totp_enrol", "counter.logout"})
# The pages whose code attempts are limited (CODE_LIMIT).
CODE_ENDPOINTS = frozenset({"counter.totp_code", "counter.totp_enrol"})
_NO_STORE = {"Cache-Control": "no-store"}  # the secret and codes must not stay in a cache
_ALL = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)


class CodeForm(FlaskForm):
    code = StringField(
        lazy("6-digit code from your authenticator app"),
        validators=[InputRequired(message=lazy("Enter the 6-digit code.")), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


def _attempts_key() -> str:
    """Code attempts are counted per signed-in user (the guard has loaded them), so a thief
    who has the password cannot try codes from many addresses."""
    user = signed_in()
    return f"totp:{user.id}"


def _failed(response: Response) -> bool:
    return response.status_code != 303


def too_many_codes() -> ResponseReturnValue:
    """Too many wrong codes: say so on the page the user was on, and when to try again."""
    error = ct("Too many wrong codes. Wait 15 minutes, then try again.")
    if request.endpoint == "counter.totp_code":
        return page("totp_code.html", 429, form=CodeForm(), error=error)
    return _enrol_page(CodeForm(), error, 429)


def ask_for_code(target: str | None) -> Response:
    """After a right password, for a user with a second factor: the code comes next."""
    session[PENDING] = True
    return redirect(url_for("counter.totp_code", next=target), code=303)


def needs_code(user: User) -> bool:
    """Whether this user's sign-in asks for a code."""
    return second_factor.is_enrolled(user)


def hold(user: ConsoleUser, endpoint: str) -> Response | None:
    """Where a signed-in user must go first: the code page, or the enrolment page; None when
    they may go where they asked."""
    if session.get(PENDING):
        if endpoint in _CODE_PAGES:
            return None
        return redirect(url_for("counter.totp_code"), code=303)
    if (
        user.role == Role.ADMIN
        and current_app.config["SETTINGS"].require_totp == "admin"
        and endpoint not in _ENROL_PAGES
        and not _enrolled(user.id)
    ):
        return redirect(url_for("counter.totp_enrol"), code=303)
    return None


def _enrolled(user_id: int) -> bool:
    with transaction() as db:
        row = db.scalar(select(User).where(User.id == user_id))
        return row is not None and second_factor.is_enrolled(row)


@counter.route("/login/code", methods=["GET", "POST"])
@roles(*_ALL)
@limiter.limit(CODE_LIMIT, key_func=_attempts_key, methods=["POST"], deduct_when=_failed)
def totp_code() -> ResponseReturnValue:
    """The second step of signing in: the code from the user's authenticator app."""
    target = request.args.get("next")
    # Reset meanwhile (tracker user reset-totp): the password was the whole sign-in after all.
    if not session.get(PENDING) or not _enrolled(signed_in().id):
        session.pop(PENDING, None)
        return redirect(target if is_safe_next(target) else url_for("counter.index"), code=303)
    form = CodeForm()
    if not form.validate_on_submit():
        return page("totp_code.html", 200, form=form, error=None)
    user, now = signed_in(), utc_now()
    with transaction() as db:
        accepted = second_factor.accept_code(db, user.id, form.code.data, now=now)
        if not accepted:
            audit.record_audit(
                db, audit.TOTP_FAILED, actor=user.username, at=now, remote_addr=request.remote_addr
            )
    if not accepted:
        error = ct("That code is not right, or it was used already. Wait for the next one.")
        return page("totp_code.html", 200, form=form, error=error)
    session.pop(PENDING, None)
    return redirect(target if is_safe_next(target) else url_for("counter.index"), code=303)


@counter.route("/account/two-step", methods=["GET", "POST"])
@roles(*_ALL)
@limiter.limit(CODE_LIMIT, key_func=_attempts_key, methods=["POST"], deduct_when=_failed)
def totp_enrol() -> ResponseReturnValue:
    """Turn on two-step sign-in: scan the QR code, then type a code to prove it works."""
    user = signed_in()
    form = CodeForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _enrol_page(form, None, 200 if request.method == "GET" else 422)
    now = utc_now()
    with transaction() as db:
        confirmed = second_factor.confirm_enrolment(db, user.id, form.code.data, now=now)
        if confirmed:
            audit.record_audit(
                db,
                audit.TOTP_ENROLLED,
                actor=user.username,
                at=now,
                target=user.username,
                remote_addr=request.remote_addr,
            )
    if confirmed:
        return redirect(url_for("counter.totp_enrol"), code=303)
    error = ct("That code is not right. Check the phone's clock and type the newest code.")
    return _enrol_page(form, error, 422)  # a refused form comes back as 422


def _enrol_page(form: CodeForm, error: str | None, status: int) -> ResponseReturnValue:
    """The enrolment page: the QR code and key being enrolled, or since when it is on."""
    user = signed_in()
    with transaction() as db:
        row = db.scalar(select(User).where(User.id == user.id))
        enrolled_at = row.totp_confirmed_at if row and second_factor.is_enrolled(row) else None
        secret = None if enrolled_at else second_factor.enrolment_secret(db, user.id)
    uri = second_factor.provisioning_uri(secret, user.username) if secret else None
    html, status = page(
        "totp_enrol.html",
        status,
        form=form,
        error=error,
        enrolled_at=enrolled_at,
        required=user.role == Role.ADMIN and current_app.config["SETTINGS"].require_totp == "admin",
        secret=secret,
        qr=qr_svg(uri, label=ct("QR code for your authenticator app")) if uri else None,
    )
    return html, status, _NO_STORE
