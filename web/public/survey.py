"""The satisfaction survey (滿意度調查, §4.6): one question and a comment, from the notice's link.

The link is ``/survey/<case number>/<token>``; the token is a keyed hash of the number
(tracker.notices.links.survey_token), so a case number read off the board does not open its survey.
A wrong token, an unknown case, a case not completed and a survey already answered all get the same
calm page with the same status: nothing tells them apart. No login; the form carries a CSRF token;
attempts that find no open survey count against limits per client and per (case number, client),
so that a stranger guessing at a case cannot block its applicant's own link. The page
names the service and the office, never the applicant.
"""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from tracker.clock import utc_now
from tracker.errors import AlreadyAnswered, InvalidInput, SurveyNotOpen
from tracker.identifiers import normalise_case_number
from tracker.lifecycle import CaseStatus
from tracker.models import Case, SurveyResponse
from tracker.models.surveys import COMMENT_MAX
from tracker.notices.links import survey_token_matches
from tracker.reports.surveys import record_survey
from web.core.database import current_database
from web.core.extensions import limiter

survey = Blueprint("survey", __name__)

# Best first, as Taiwanese service surveys ask; every choice says its meaning in words.
SCORE_CHOICES = [
    SelectChoice(5, _l("Very satisfied")),
    SelectChoice(4, _l("Satisfied")),
    SelectChoice(3, _l("Neither satisfied nor dissatisfied")),
    SelectChoice(2, _l("Dissatisfied")),
    SelectChoice(1, _l("Very dissatisfied")),
]
CHOOSE_SCORE = _l("Choose how satisfied you are")
COMMENT_TOO_LONG = _l("Please shorten your comment to at most %(max)d characters")


class SurveyForm(FlaskForm):
    """The one question and the optional comment."""

    score = RadioField(
        _l("How satisfied are you with how we handled your application?"),
        coerce=int,
        choices=SCORE_CHOICES,
        validators=[InputRequired(CHOOSE_SCORE)],
    )
    comment = TextAreaField(
        _l("Your comment (optional)"),
        validators=[Length(max=COMMENT_MAX, message=COMMENT_TOO_LONG)],
    )


def _client_limit() -> str:
    return str(current_app.config["SURVEY_LIMIT_PER_CLIENT"])


def _case_limit() -> str:
    return str(current_app.config["SURVEY_LIMIT_PER_CASE"])


def _case_key() -> str:
    """The rate-limit key of the case number in the address (hashed as status lookups do) and
    the client following it."""
    number = normalise_case_number(str((request.view_args or {}).get("number", "")))
    return f"survey-case:{hashlib.sha256(number.encode()).hexdigest()[:24]}:{get_remote_address()}"


def _refused(response: Response) -> bool:
    """Only the calm refusal counts: following one's own link, or answering, is not guessing."""
    return response.status_code == 404


def _open_case(db: Session, number: str, token: str) -> Case | None:
    """The case this link rates, if the link is right and its survey is still open."""
    if not survey_token_matches(current_app.config["SECRET_KEY"], number, token):
        return None
    case = db.scalar(select(Case).where(Case.number == number))
    if case is None or case.status != CaseStatus.COMPLETED:
        return None
    # Only to choose the page: the answer itself is kept by the unique constraint alone.
    answered = db.scalar(select(SurveyResponse.id).where(SurveyResponse.case_id == case.id))
    return None if answered is not None else case


def _no_store(body: str, status: int = 200) -> Response:
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _closed() -> Response:
    """The one answer for every link that does not open a survey."""
    return _no_store(render_template("public/survey_closed.html"), 404)


def _form_page(form: SurveyForm, case: Case, token: str, status: int = 200) -> Response:
    return _no_store(
        render_template(
            "public/survey_form.html",
            form=form,
            number=case.number,
            token=token,
            service_name=case.service_version.name,
            agency_name=case.department.agency.name,
            department_name=case.department.name,
        ),
        status,
    )


@survey.get("/survey/<number>/<token>")
@limiter.limit(_client_limit, deduct_when=_refused)
@limiter.limit(_case_limit, key_func=_case_key, deduct_when=_refused)
def show(number: str, token: str) -> Response:
    """The survey form of a completed case, or the calm page when the link opens none."""
    number = normalise_case_number(number)
    database = current_database()
    with database.transaction() as db:
        case = _open_case(db, number, token)
        if case is None:
            return _closed()
        return _form_page(SurveyForm(formdata=None), case, token)


@survey.post("/survey/<number>/<token>")
@limiter.limit(_client_limit, deduct_when=_refused)
@limiter.limit(_case_limit, key_func=_case_key, deduct_when=_refused)
def answer(number: str, token: str) -> Response:
    """Keep the answer and thank the applicant; a second answer gets the calm page."""
    number = normalise_case_number(number)
    form = SurveyForm()
    database = current_database()
    with database.transaction() as db:
        case = _open_case(db, number, token)
        if case is None:
            return _closed()
        if not form.validate_on_submit():
            if form.score.errors:
                # Missing, or not one of the five (a tampered form): one plain message either way.
                form.score.errors = [CHOOSE_SCORE]
            return _form_page(form, case, token, 422)
        try:
            record_survey(db, case, form.score.data, form.comment.data, utc_now())
        except (AlreadyAnswered, SurveyNotOpen):
            # Somebody answered (or the case changed) between the page and the answer.
            return _closed()
        except InvalidInput as refusal:
            # The form checks the same rules; the domain also refuses control characters.
            if "score" in refusal.fields:
                form.score.errors = [CHOOSE_SCORE]
            if "comment" in refusal.fields:
                form.comment.errors = [_l("Please remove unusual characters from your comment")]
            return _form_page(form, case, token, 422)
    return redirect(url_for("survey.thanks"), code=303)


@survey.get("/survey/thanks")
def thanks() -> Response:
    """The thank-you page after an answer."""
    return _no_store(render_template("public/survey_thanks.html"))


@survey.record_once
def _defaults(state: BlueprintSetupState) -> None:
    """Defaults for the survey's limits; an operator (or a test) may set others."""
    config = state.app.config
    config.setdefault("SURVEY_LIMIT_PER_CLIENT", "20 per minute;100 per hour")
    config.setdefault("SURVEY_LIMIT_PER_CASE", "10 per hour")  # per (case number, client)
