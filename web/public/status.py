"""Citizen status lookup (§4.7): case number + lookup code, then the case's public page.

The code travels only in a POST body, never in a URL: the QR code puts it in the URL fragment,
which ``static/status.js`` turns into this form's POST. A right answer remembers the case in the
session and redirects (303) to ``/status/case``; a wrong number and a wrong code get exactly
the same answer. Refused lookups are rate limited per client and per (case number, client): a
stranger guessing codes for a case from elsewhere cannot block its applicant's right code.

The session also keeps the case's ``lookup_generation`` of the moment: "forget this case" bumps
it in the database, so the lookup ends on the server too, and a copy of the cookie saved before
gets the lookup form like any stale one. The status page reads the generation in the query it
makes anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from sqlalchemy import select, update
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from tracker.cases.line_binding import format_code, line_offer
from tracker.clock import utc_now
from tracker.identifiers import LOOKUP_LENGTH, normalise_case_number, normalise_lookup_code
from tracker.models import Case
from web.core.database import current_database
from web.core.extensions import limiter
from web.core.line_links import line_links, send_code_qr
from web.core.security import no_store
from web.public.status_page import StatusPages

status = Blueprint("status", __name__)
# The looked-up case (a masked name, its timeline), the refused form with the number typed, the
# LINE binding code: never kept by a shared computer's browser or a proxy.
no_store(status)

SESSION_KEY = "status_case"
# Compared against when the number is unknown, so both refusals take the same path.
_NO_CODE = "0" * LOOKUP_LENGTH


class LookupForm(FlaskForm):
    """The case number and the lookup code, as printed on the receipt."""

    number = StringField(
        _l("Case number"),
        validators=[InputRequired(_l("Enter the case number")), Length(max=40)],
    )
    code = StringField(
        _l("Lookup code"),
        validators=[InputRequired(_l("Enter the lookup code")), Length(max=40)],
    )


def _client_limit() -> str:
    return str(current_app.config["STATUS_LIMIT_PER_CLIENT"])


def _case_limit() -> str:
    return str(current_app.config["STATUS_LIMIT_PER_CASE"])


def _case_key() -> str:
    """The rate-limit key of the case number typed (hashed, as people type odd things there) and
    the client typing it."""
    number = normalise_case_number(request.form.get("number", ""))
    return f"status-case:{hashlib.sha256(number.encode()).hexdigest()[:24]}:{get_remote_address()}"


def _refused(response: Response) -> bool:
    """Only refused lookups count against the limits: reading one's own case is not guessing."""
    return response.status_code != 303


def _render_form(form: LookupForm, *, refused: bool = False, forgotten: bool = False) -> Response:
    return make_response(
        render_template("public/status_form.html", form=form, refused=refused, forgotten=forgotten)
    )


@status.get("/status")
def lookup() -> Response:
    """The lookup form (the QR code's fragment fills and sends it when JavaScript runs)."""
    return _render_form(LookupForm(formdata=None), forgotten=request.args.get("done") == "1")


@status.get("/s/<number>")
def prefilled(number: str) -> Response:
    """The form with the case number from an SMS link filled in; the code is typed by hand."""
    form = LookupForm(formdata=None, number=normalise_case_number(number)[:40])
    return _render_form(form)


@status.post("/status")
@limiter.limit(_client_limit, deduct_when=_refused)
@limiter.limit(_case_limit, key_func=_case_key, deduct_when=_refused)
def submit() -> Response:
    """Check the number and code; on success remember the case and show it."""
    form = LookupForm()
    if not form.validate_on_submit():
        return _render_form(form)
    number = normalise_case_number(form.number.data or "")
    code = normalise_lookup_code(form.code.data or "")
    database = current_database()
    with database.transaction() as db:
        row = db.execute(
            select(Case.id, Case.lookup_code, Case.lookup_generation).where(Case.number == number)
        ).first()
    expected = row.lookup_code if row is not None else _NO_CODE
    matches = hmac.compare_digest(expected.encode(), code.encode())
    if row is None or not matches:
        # The code is not echoed back: the refusal page keeps only the number for correcting.
        form.code.data = ""
        return _render_form(form, refused=True)
    minutes = int(current_app.config["STATUS_SESSION_MINUTES"])
    session[SESSION_KEY] = [row.id, int(time.time()) + minutes * 60, row.lookup_generation]
    return redirect(url_for("status.show"), code=303)


def _remembered_case() -> tuple[int, int] | None:
    """(case id, lookup generation) this browser looked up, while the lookup is fresh; whether
    the generation is still the case's is for the caller's own query to say."""
    value = session.get(SESSION_KEY)
    if not isinstance(value, list) or len(value) != 3:
        return None
    case_id, until, generation = value
    if (
        not isinstance(case_id, int)
        or not isinstance(until, int)
        or not isinstance(generation, int)
        or until < time.time()
    ):
        session.pop(SESSION_KEY, None)
        return None
    return case_id, generation


@status.get("/status/case")
# No limit applies to reading one's own case (only lookups are limited): skip the limiter's
# per-request resolution of limits on the page a citizen reloads.
@limiter.exempt
def show() -> Response:
    """The case this browser looked up: status, steps, due date, public timeline, contact."""
    remembered = _remembered_case()
    if remembered is None:
        return redirect(url_for("status.lookup"), code=303)
    case_id, generation = remembered
    database = current_database()
    pages: StatusPages = current_app.extensions["status_pages"]
    with database.reading() as connection:
        page = pages.load(connection, case_id, utc_now(), lookup_generation=generation)
    if page is None:
        session.pop(SESSION_KEY, None)
        return redirect(url_for("status.lookup"), code=303)
    return make_response(render_template("public/status_case.html", case=page))


@status.get("/status/line")
@limiter.exempt
def line() -> Response:
    """用 LINE 接收通知: the looked-up case's one-time code and the way to the LINE account."""
    settings = current_app.config["SETTINGS"]
    remembered = _remembered_case()
    if not settings.line_enabled or remembered is None:
        return redirect(url_for("status.lookup"), code=303)
    with current_database().transaction() as session_:
        case = session_.get_one(Case, remembered[0])
        if case.lookup_generation != remembered[1]:  # forgotten in another browser since
            session.pop(SESSION_KEY, None)
            return redirect(url_for("status.lookup"), code=303)
        offer = line_offer(session_, case, utc_now())
        number = case.number
    code = format_code(offer.code) if offer is not None and offer.code else None
    links = line_links(settings, code or "")
    qr = (
        send_code_qr(links, label=_l("QR code: send your code to our LINE account"))
        if code
        else None
    )
    page = render_template(
        "public/status_line.html", number=number, offer=offer, code=code, links=links, qr=qr
    )
    return make_response(page)


@status.post("/status/forget")
def forget() -> Response:
    """Forget the looked-up case (for a shared or public computer): in this browser, and on
    the server, so no copy of this browser's cookie shows the case again."""
    remembered = _remembered_case()
    session.pop(SESSION_KEY, None)
    if remembered is not None:
        case_id, generation = remembered
        with current_database().transaction() as db:
            # Only a lookup still valid ends the others: a stale cookie changes nothing.
            db.execute(
                update(Case)
                .where(Case.id == case_id, Case.lookup_generation == generation)
                .values(lookup_generation=Case.lookup_generation + 1)
            )
    return redirect(url_for("status.lookup", done=1), code=303)


@status.record_once
def _defaults(state: BlueprintSetupState) -> None:
    """Defaults for the lookup's limits; an operator (or a test) may set others."""
    config = state.app.config
    config.setdefault("STATUS_LIMIT_PER_CLIENT", "10 per minute;50 per hour")
    config.setdefault("STATUS_LIMIT_PER_CASE", "10 per hour")  # per (case number, client)
    config.setdefault("STATUS_SESSION_MINUTES", 30)
    state.app.extensions["status_pages"] = StatusPages()
