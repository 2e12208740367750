"""Request and response bodies: they validate what comes in and document what goes out."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from tracker.cases.contact import CHANNELS, LANGUAGES, NOTIFY_BY
from tracker.lifecycle import CaseStatus
from web.api.fields import Day, Instant, QueryFlag, Text, Whole

NOTE_MAX = 2000
CODE_MAX = 40
MAX_PAGE = 100
DEFAULT_PAGE = 50
LIMIT_PATTERN = r"^[1-9][0-9]{0,3}(wd|d|mo|h|min)$"


def _bilingual(**kwargs: object) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Text by language: zh-TW, en."},
        **kwargs,  # type: ignore[arg-type]
    )


def note_field(**kwargs: object) -> Text:
    return Text(validate=validate.Length(max=NOTE_MAX), **kwargs)  # type: ignore[arg-type]


def required_text_field(max_length: int = NOTE_MAX) -> Text:
    return Text(required=True, validate=validate.Length(min=1, max=max_length))


def version_field() -> Whole:
    return Whole(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={
            "description": "The case version your copy shows; a stale one is refused with 409."
        },
    )


# --- errors -------------------------------------------------------------------------------------
class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "Stable, for programs."})
    message = fields.String(required=True, metadata={"description": "For people."})
    # Not "fields": a schema keeps its declared fields under that name.
    bad_fields = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        data_key="fields",
        metadata={"description": "What is wrong with each bad field."},
    )


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


# --- services -----------------------------------------------------------------------------------
class Named(Schema):
    code = fields.String(required=True)
    name = _bilingual(required=True)


class DepartmentOut(Schema):
    code = fields.String(required=True, metadata={"description": "agency/department"})
    name = _bilingual(required=True)
    phone = fields.String(required=True, allow_none=True)


class SupplementRule(Schema):
    deadline = fields.String(required=True, metadata={"description": "A time limit, e.g. 10d."})
    clock = fields.String(required=True, validate=validate.OneOf(["pause", "restart"]))


class ServiceOut(Schema):
    code = fields.String(required=True)
    name = _bilingual(required=True)
    kind = fields.String(required=True)
    agency = fields.Nested(Named, required=True)
    department = fields.Nested(DepartmentOut, required=True)
    time_limit = fields.String(required=True, metadata={"description": "e.g. 5wd, 14d, 2mo, 4h"})
    supplement = fields.Nested(SupplementRule, required=True)
    steps = fields.List(_bilingual(), required=True)
    required_documents = fields.List(_bilingual(), required=True)
    legal_basis = _bilingual(required=True, allow_none=True)
    version = fields.Integer(required=True)


class ServiceList(Schema):
    items = fields.List(fields.Nested(ServiceOut), required=True)


# --- cases --------------------------------------------------------------------------------------
class StepOut(Schema):
    number = fields.Integer(required=True, metadata={"description": "1-based"})
    of = fields.Integer(required=True)
    name = _bilingual(required=True)


class SupplementOut(Schema):
    requested_at = Instant(required=True)
    items = fields.List(fields.String(), required=True)
    due = fields.Date(required=True)


class ExtensionOut(Schema):
    amount = fields.String(required=True)
    reason = fields.String(required=True, allow_none=True)


_PERSONAL = {"description": "Only for keys with the cases:read-personal scope."}


class ApplicantOut(Schema):
    name = fields.String(metadata=_PERSONAL)
    phone = fields.String(allow_none=True, metadata=_PERSONAL)
    email = fields.String(allow_none=True, metadata=_PERSONAL)
    language = fields.String(required=True)
    notify_by = fields.String(required=True)


class CaseOut(Schema):
    number = fields.String(required=True)
    service = fields.String(required=True, metadata={"description": "The service code."})
    department = fields.String(required=True, metadata={"description": "agency/department"})
    channel = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in CaseStatus]))
    received_at = Instant(required=True)
    due = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "YYYY-MM-DD for day and month limits, an instant with +08:00 for "
            "hour and minute limits; null while a supplement pause stops the clock."
        },
    )
    due_date = fields.Date(required=True, allow_none=True)
    overdue_at = Instant(required=True, allow_none=True)
    paused = fields.Boolean(required=True)
    supplement = fields.Nested(SupplementOut, required=True, allow_none=True)
    overdue = fields.Boolean(required=True)
    overdue_since = Instant(required=True, allow_none=True)
    overdue_reason = fields.String(required=True, allow_none=True)
    expected_completion = fields.Date(required=True, allow_none=True)
    extension = fields.Nested(ExtensionOut, required=True, allow_none=True)
    current_step = fields.Nested(StepOut, required=True, allow_none=True)
    closed_at = Instant(required=True, allow_none=True)
    updated_at = Instant(required=True)
    version = fields.Integer(required=True)
    applicant = fields.Nested(
        ApplicantOut,
        required=True,
        metadata={
            "description": "How the applicant is told; their name, phone and email only for "
            "keys with the cases:read-personal scope."
        },
    )


class CreatedCase(CaseOut):
    lookup_code = fields.String(
        required=True,
        metadata={"description": "For the applicant's status lookup; returned only here."},
    )


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseOut), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as cursor for the next page; null on the last page."},
    )


class NewCase(Schema):
    service = Text(required=True, validate=validate.Length(min=1, max=CODE_MAX))
    applicant_name = required_text_field(100)
    phone = Text(allow_none=True, load_default=None, validate=validate.Length(max=40))
    email = Text(allow_none=True, load_default=None, validate=validate.Length(max=254))
    channel = fields.String(load_default="online", validate=validate.OneOf(CHANNELS))
    language = fields.String(load_default="zh-TW", validate=validate.OneOf(LANGUAGES))
    notify_by = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(NOTIFY_BY)
    )
    note = note_field(allow_none=True, load_default=None)
    received_at = Instant(
        allow_none=True,
        load_default=None,
        metadata={"description": "When the application arrived; now if omitted."},
    )


class CaseQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.OneOf([s.value for s in CaseStatus]))
    service = Text(validate=validate.Length(max=CODE_MAX))
    department = Text(
        validate=validate.Length(max=2 * CODE_MAX + 1),
        metadata={"description": "agency/department"},
    )
    due_before = Day(metadata={"description": "Due on or before this day (Asia/Taipei)."})
    due_after = Day(metadata={"description": "Due on or after this day (Asia/Taipei)."})
    overdue = QueryFlag(metadata={"description": "Open and past its due instant (or not)."})
    limit = fields.Integer(load_default=DEFAULT_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(validate=validate.Length(max=200))


# --- notices ------------------------------------------------------------------------------------
class NoticeOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    channel = fields.String(required=True)
    audience = fields.String(required=True)
    status = fields.String(required=True)
    trigger_at = Instant(required=True)
    created_at = Instant(required=True)
    not_before = Instant(required=True)
    sent_at = Instant(required=True, allow_none=True)
    provider_status = fields.String(required=True, allow_none=True)
    # A letter task given by phone or letter: when, and the clerk who did (null until then).
    done_at = Instant(required=True, allow_none=True)
    done_by = fields.String(required=True, allow_none=True)


class NoticeList(Schema):
    items = fields.List(fields.Nested(NoticeOut), required=True)


# --- calendar -----------------------------------------------------------------------------------
class ClosureOut(Schema):
    id = fields.Integer(required=True)
    day = fields.Date(required=True)
    agency = fields.String(
        required=True, allow_none=True, metadata={"description": "null: city-wide"}
    )
    reason = fields.String(required=True)
    declared_by = fields.String(required=True)
    declared_at = Instant(required=True)


class DeclaredClosure(ClosureOut):
    retimed_cases = fields.Integer(
        required=True, metadata={"description": "Open cases whose due date moved."}
    )


class ClosureList(Schema):
    items = fields.List(fields.Nested(ClosureOut), required=True)


class NewClosure(Schema):
    day = Day(required=True)
    agency = Text(
        allow_none=True,
        load_default=None,
        validate=validate.Length(min=1, max=CODE_MAX),
        metadata={"description": "An agency code; omit for a city-wide closure."},
    )
    reason = required_text_field(500)


class ClosureWithdrawal(Schema):
    reason = required_text_field(500)


class WithdrawnClosure(Schema):
    id = fields.Integer(required=True)
    day = fields.Date(required=True)
    agency = fields.String(
        required=True, allow_none=True, metadata={"description": "null: city-wide"}
    )
    retimed_cases = fields.Integer(
        required=True, metadata={"description": "Open cases whose due date moved back."}
    )


class ClosureQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    from_ = Day(data_key="from", metadata={"description": "From this day on."})
    to = Day(metadata={"description": "Up to and including this day."})
