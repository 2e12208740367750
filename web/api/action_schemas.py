"""The body of each case action; every one may carry ``expected_version``."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from tracker.cases.closing import DECLINE_GROUNDS
from web.api.fields import Day, Flag, Text, Whole
from web.api.schemas import LIMIT_PATTERN, NOTE_MAX, note_field, required_text_field, version_field


class _Versioned(Schema):
    expected_version = version_field()


class NoteAction(_Versioned):
    note = required_text_field()
    public = Flag(load_default=False, metadata={"description": "Whether the applicant sees it."})


class StartAction(_Versioned):
    note = note_field(allow_none=True, load_default=None)
    public = Flag(load_default=False)


class StepAction(_Versioned):
    step = Whole(
        required=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "The SOP step reached, 1-based."},
    )
    note = note_field(allow_none=True, load_default=None)
    public = Flag(load_default=True)


class RequestSupplementAction(_Versioned):
    items = fields.List(
        Text(validate=validate.Length(min=1, max=NOTE_MAX)),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Every missing document, all at once."},
    )
    deadline = Day(
        allow_none=True,
        load_default=None,
        metadata={"description": "The supplement deadline; the service's rule if omitted."},
    )
    note = note_field(allow_none=True, load_default=None)


class NoteOnlyAction(_Versioned):
    note = note_field(allow_none=True, load_default=None)


class ExtendAction(_Versioned):
    extension = fields.String(
        required=True,
        validate=validate.Regexp(LIMIT_PATTERN),
        metadata={"description": "At most the original limit, in its unit, e.g. 5wd."},
    )
    reason = required_text_field()


class OverdueInfoAction(_Versioned):
    reason = required_text_field()
    expected_completion = Day(required=True)


class TransferAction(_Versioned):
    department = Text(
        required=True,
        validate=validate.Length(min=3, max=81),
        metadata={"description": "agency/department"},
    )
    reason = required_text_field()


class TransferOutAction(_Versioned):
    agency = required_text_field(200)
    reason = required_text_field()


class CompleteAction(_Versioned):
    note = note_field(
        allow_none=True, load_default=None, metadata={"description": "The result, as told."}
    )


class ReasonAction(_Versioned):
    reason = required_text_field()


class DeclineAction(_Versioned):
    ground = fields.String(
        required=True,
        validate=validate.OneOf(DECLINE_GROUNDS),
        metadata={
            "description": "The item of Art. 173 (行政程序法): no_identity (1), repeated (2), "
            "not_competent (3)."
        },
    )
    reason = required_text_field()
