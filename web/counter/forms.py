"""The console's forms (Flask-WTF: each carries the CSRF token).

Forms check shape only (types, lengths, choices); the rules live in tracker and come back as
InvalidInput, whose messages are shown beside the fields they name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from tracker.cases.closing import DECLINE_GROUNDS
from tracker.cases.contact import CHANNELS, LANGUAGES, NOTIFY_BY
from tracker.cases.letter_tasks import NOTE_MAX as TASK_NOTE_MAX
from web.counter.i18n import ct, lazy

NOTE_MAX = 2000
REQUIRED = lazy("This field is required.")
# Dates outside these years are typing mistakes, as the API says too (web/api/fields.py): the
# calendar has no days for them, and deadline arithmetic near year 9999 overflows.
FIRST_DAY, LAST_DAY = "2000-01-01", "2099-12-31"

CHANNEL_LABELS = {
    "counter": lazy("At the counter"),
    "phone": lazy("By phone"),
    "online": lazy("Online"),
    "mail": lazy("By mail"),
}
LANGUAGE_LABELS = {"zh-TW": "中文", "en": "English"}
NOTIFY_LABELS = {
    "": lazy("Whatever the applicant gave (SMS and/or email)"),
    "sms": lazy("SMS"),
    "email": lazy("Email"),
    "both": lazy("SMS and email"),
    "none": lazy("No notices (phone or letter)"),
}
assert set(CHANNEL_LABELS) == set(CHANNELS) and set(LANGUAGE_LABELS) == set(LANGUAGES)
assert set(NOTIFY_LABELS) - {""} == set(NOTIFY_BY)
# The items of 行政程序法 Art. 173, in the law's words (shortened).
GROUND_LABELS = {
    "no_identity": lazy("Item 1: no concrete content, or no real name or address"),
    "repeated": lazy("Item 2: the same matter was properly handled and clearly answered already"),
    "not_competent": lazy("Item 3: not ours, and sent on the same matter to several agencies"),
}
assert tuple(GROUND_LABELS) == DECLINE_GROUNDS


def within_years(_form: FlaskForm, field: DateField) -> None:
    """Refuse a date before FIRST_DAY or after LAST_DAY."""
    if field.data is not None and not FIRST_DAY <= field.data.isoformat() <= LAST_DAY:
        raise ValidationError(
            lazy("Enter a date from %(first)s to %(last)s.", first=FIRST_DAY, last=LAST_DAY)
        )


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Choices for a select or checkbox list from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxList(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FileCaseForm(FlaskForm):
    # One tick for the usual case, every document brought: filing takes a few clicks.
    all_documents = BooleanField(lazy("The applicant brought every document listed"))
    documents = CheckboxList(lazy("Documents brought"), choices=[], validate_choice=False)
    request_missing = BooleanField(
        lazy("Some documents are missing: file the case and ask for them now")
    )
    applicant_name = StringField(
        lazy("Applicant's name"), validators=[Length(max=100)], render_kw={"autocomplete": "off"}
    )
    phone = StringField(
        lazy("Phone"),
        validators=[Length(max=40)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    email = StringField(
        lazy("Email"),
        validators=[Length(max=254)],
        render_kw={"inputmode": "email", "autocomplete": "off"},
    )
    channel = SelectField(
        lazy("Received by"), choices=options(CHANNEL_LABELS.items()), default="counter"
    )
    language = SelectField(
        lazy("Applicant's language"), choices=options(LANGUAGE_LABELS.items()), default="zh-TW"
    )
    notify_by = SelectField(lazy("Notify by"), choices=options(NOTIFY_LABELS.items()), default="")
    note = TextAreaField(lazy("Note (public)"), validators=[Length(max=NOTE_MAX)])


class VersionedForm(FlaskForm):
    """A case action: the version the screen showed travels with it (a stale form is refused)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class NoteForm(VersionedForm):
    note = TextAreaField(lazy("Note"), validators=[Length(max=NOTE_MAX)])
    public = BooleanField(lazy("The applicant may see this note"))


class StartForm(VersionedForm):
    note = TextAreaField(lazy("Note (internal)"), validators=[Length(max=NOTE_MAX)])


class StepForm(VersionedForm):
    step = SelectField(lazy("SOP step"), coerce=int, choices=[])
    note = TextAreaField(lazy("Note (public)"), validators=[Length(max=NOTE_MAX)])


class SupplementForm(VersionedForm):
    documents = CheckboxList(lazy("Documents missing"), choices=[], validate_choice=False)
    other_items = TextAreaField(
        lazy("Other missing items (one per line)"), validators=[Length(max=NOTE_MAX)]
    )
    deadline = DateField(
        lazy("Supplement deadline (empty: as the SOP says)"),
        validators=[Optional(), within_years],
    )
    note = TextAreaField(lazy("Note (public)"), validators=[Length(max=NOTE_MAX)])


class ReceiveForm(VersionedForm):
    note = TextAreaField(lazy("Note (public)"), validators=[Length(max=NOTE_MAX)])


class ExtendForm(VersionedForm):
    amount = IntegerField(
        lazy("Extend by"),
        validators=[InputRequired(message=REQUIRED), NumberRange(min=1, max=999)],
    )
    reason = TextAreaField(
        lazy("Reason (the applicant is told)"), validators=[Length(max=NOTE_MAX)]
    )


class OverdueInfoForm(VersionedForm):
    reason = TextAreaField(lazy("Reason for the delay"), validators=[Length(max=NOTE_MAX)])
    expected_completion = DateField(
        lazy("Expected completion"), validators=[InputRequired(message=REQUIRED), within_years]
    )


class TransferForm(VersionedForm):
    department = SelectField(lazy("To department"), choices=[])
    reason = TextAreaField(
        lazy("Reason (the applicant is told)"), validators=[Length(max=NOTE_MAX)]
    )


class TransferOutForm(VersionedForm):
    agency = StringField(lazy("To agency (outside this system)"), validators=[Length(max=200)])
    reason = TextAreaField(
        lazy("Reason (the applicant is told)"), validators=[Length(max=NOTE_MAX)]
    )


class CompleteForm(VersionedForm):
    note = TextAreaField(lazy("Result (the applicant is told)"), validators=[Length(max=NOTE_MAX)])


class RejectForm(VersionedForm):
    reason = TextAreaField(
        lazy("Reason for rejection (the applicant is told)"), validators=[Length(max=NOTE_MAX)]
    )


class DeclineForm(VersionedForm):
    ground = SelectField(
        lazy("Ground (Art. 173 of the Administrative Procedure Act)"),
        choices=options(GROUND_LABELS.items()),
    )
    reason = TextAreaField(
        lazy("Reason (the applicant is told)"), validators=[Length(max=NOTE_MAX)]
    )


class WithdrawForm(VersionedForm):
    note = TextAreaField(lazy("Note (public)"), validators=[Length(max=NOTE_MAX)])


class AssignForm(VersionedForm):
    user = SelectField(lazy("Clerk in charge"), coerce=int, choices=[])


class TaskDoneForm(FlaskForm):
    """A "contact by phone or letter" task done; one per open task, prefixed with its id."""

    note = StringField(
        lazy("How the applicant was reached (optional)"),
        validators=[Length(max=TASK_NOTE_MAX)],
        render_kw={"autocomplete": "off"},
    )


def task_prefix(notice_id: int) -> str:
    """The field prefix of an open task's form: every field id on the case page stays unique."""
    return f"task-{notice_id}"


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(lazy("Case number, phone or name"), validators=[Length(max=100)])


ROLE_CHOICES = options(
    [
        ("clerk", lazy("Clerk")),
        ("supervisor", lazy("Supervisor")),
        ("admin", lazy("Administrator")),
    ]
)


class UserForm(FlaskForm):
    username = StringField(lazy("User name"), validators=[Length(max=60)])
    display_name = StringField(lazy("Display name"), validators=[Length(max=100)])
    role = SelectField(lazy("Role"), choices=ROLE_CHOICES)
    department = SelectField(lazy("Department"), choices=[])
    password = PasswordField(
        lazy("Password (empty: generate one)"),
        validators=[Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class CatalogueForm(FlaskForm):
    """Only the CSRF token: the file is the configured one, never an upload."""


class ClosureForm(FlaskForm):
    day = DateField(lazy("Day"), validators=[InputRequired(message=REQUIRED), within_years])
    agency = SelectField(lazy("Scope"), choices=[])
    reason = StringField(lazy("Reason"), validators=[Length(max=500)])


class WithdrawClosureForm(FlaskForm):
    """Withdraw one declared closure; one per listed closure, prefixed with its id."""

    reason = StringField(
        lazy("Why it is withdrawn"),
        validators=[InputRequired(message=REQUIRED), Length(max=500)],
        render_kw={"autocomplete": "off"},
    )


def withdraw_prefix(closure_id: int) -> str:
    """The field prefix of a listed closure's withdrawal form (ids unique on the page)."""
    return f"withdraw-{closure_id}"


def error_for(form: FlaskForm, name: str, message: str) -> None:
    """Put a domain refusal beside the form field it concerns (or on the form as a whole)."""
    field: Any = getattr(form, name, None)
    if field is None:
        form.form_errors.append(message)
    else:
        field.errors = [*field.errors, message]


def field_name(field: Any) -> str:
    """A field's label as an error names it: without its explanation in brackets."""
    text = str(field.label.text)
    for opening in (" (", "（"):
        text = text.split(opening, 1)[0]
    return text.strip()


_CHOICE_FIELDS = ("SelectField", "CheckboxList", "RadioField")


def name_errors(form: FlaskForm) -> None:
    """Make every error of a refused form name its field, as GOV.UK's do ("Enter the reason"):
    the summary at the top lists them all, each beside its field too.

    Call once, when the refused form is shown again.
    """
    required = {str(REQUIRED), ct("This field is required.")}
    for field in form:
        if not field.errors:
            continue
        name = field_name(field)
        named = []
        for error in field.errors:
            if str(error) not in required:
                named.append(ct("%(field)s: %(problem)s", field=name, problem=str(error)))
            elif field.type in _CHOICE_FIELDS:
                named.append(ct("Choose “%(field)s”.", field=name))
            else:
                named.append(ct("Enter “%(field)s”.", field=name))
        field.errors = named
