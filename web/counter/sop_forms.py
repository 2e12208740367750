"""The SOP editor's form and its way to and from a catalogue service.

The form is laid out for people (a number and a unit, one step per line, Chinese and English
side by side); what it says is turned into a service exactly as a catalogue file writes one
(``document``), and the catalogue's own reader checks it (tracker.catalogue.file.read_service):
the editor holds no rule of its own. The reader's problems come back under the service's keys
and are put beside the fields that show them (``FIELDS``).
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.widgets import HiddenInput

from tracker.catalogue.specs import ServiceSpec, Text
from web.counter.forms import options
from web.counter.i18n import lazy

LIMIT_UNITS = {
    "wd": lazy("working days"),
    "d": lazy("calendar days"),
    "mo": lazy("months"),
    "h": lazy("hours"),
    "min": lazy("minutes"),
}
SUPPLEMENT_UNITS = {"d": lazy("calendar days"), "wd": lazy("working days")}
RETENTION_UNITS = {"y": lazy("years"), "mo": lazy("months"), "d": lazy("days")}
KINDS = {"application": lazy("Application"), "petition": lazy("Petition (陳情)")}
CLOCKS = {
    "pause": lazy("The time limit is paused until they arrive"),
    "restart": lazy("The full time limit starts again when they arrive"),
}
_TEXT = {"autocomplete": "off"}


class SopForm(FlaskForm):
    """One service's SOP, as a supervisor or an administrator edits it."""

    based_on = IntegerField(widget=HiddenInput())
    code = StringField(
        lazy("Code"), render_kw={"autocomplete": "off", "spellcheck": "false", "lang": "en"}
    )
    department = SelectField(lazy("Department"), choices=[])
    kind = SelectField(lazy("Kind"), choices=options(KINDS.items()), default="application")
    name_zh = StringField(lazy("Name in Chinese"), render_kw=_TEXT)
    name_en = StringField(lazy("Name in English"), render_kw=_TEXT)
    limit_amount = StringField(
        lazy("Time limit"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    limit_unit = SelectField(lazy("Unit of the time limit"), choices=options(LIMIT_UNITS.items()))
    supplement_amount = StringField(
        lazy("Time to bring missing documents"),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    supplement_unit = SelectField(
        lazy("Unit of that time"), choices=options(SUPPLEMENT_UNITS.items()), default="d"
    )
    supplement_clock = SelectField(
        lazy("While documents are missing"), choices=options(CLOCKS.items()), default="pause"
    )
    steps_zh = TextAreaField(lazy("Steps in Chinese"))
    steps_en = TextAreaField(lazy("Steps in English"))
    documents_zh = TextAreaField(lazy("Documents to bring, in Chinese"))
    documents_en = TextAreaField(lazy("Documents to bring, in English"))
    legal_basis_zh = StringField(lazy("Legal basis in Chinese"), render_kw=_TEXT)
    legal_basis_en = StringField(lazy("Legal basis in English"), render_kw=_TEXT)
    overdue_reason_zh = StringField(lazy("Default reason for a delay, in Chinese"), render_kw=_TEXT)
    overdue_reason_en = StringField(lazy("Default reason for a delay, in English"), render_kw=_TEXT)
    pickup = BooleanField(lazy("The applicant collects something when the case is done"))
    retention_amount = StringField(
        lazy("Keep personal data after closing"),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    retention_unit = SelectField(
        lazy("Unit of the keeping time"), choices=options(RETENTION_UNITS.items()), default="y"
    )


# Where each key of a service is shown: a bilingual text by its Chinese or English field.
FIELDS = {
    "code": "code",
    "agency": "department",
    "department": "department",
    "kind": "kind",
    "name": "name",
    "time_limit": "limit_amount",
    "supplement": "supplement_amount",
    "steps": "steps",
    "required_documents": "documents",
    "legal_basis": "legal_basis",
    "overdue_reason": "overdue_reason",
    "pickup": "pickup",
    "retention": "retention_amount",
}
_BILINGUAL = ("name", "steps", "documents", "legal_basis", "overdue_reason")


def field_for(key: str, reason: str) -> str | None:
    """The form field that shows a problem the reader found under ``key`` (None: the form's)."""
    name = FIELDS.get(key)
    if name in _BILINGUAL:
        return f"{name}_en" if reason.startswith("'en'") else f"{name}_zh"
    if key == "supplement" and "clock" in reason:
        return "supplement_clock"
    return name


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _text(zh: str | None, en: str | None) -> dict[str, str]:
    text = {"zh-TW": (zh or "").strip()}
    if (en or "").strip():
        text["en"] = (en or "").strip()
    return text


def _texts(zh: str | None, en: str | None) -> list[dict[str, str]]:
    chinese, english = _lines(zh), _lines(en)
    return [
        _text(chinese[i] if i < len(chinese) else "", english[i] if i < len(english) else "")
        for i in range(max(len(chinese), len(english)))
    ]


def document(form: SopForm, faq: list[dict[str, Any]]) -> dict[str, Any]:
    """The service as a catalogue file writes it (DESIGN §5.1), from what the form says; the
    FAQ, which the form does not edit, as the current version has it."""
    agency, _, department = (form.department.data or "").partition("/")
    service: dict[str, Any] = {
        "code": (form.code.data or "").strip(),
        "agency": agency,
        "department": department,
        "name": _text(form.name_zh.data, form.name_en.data),
        "time_limit": f"{(form.limit_amount.data or '').strip()}{form.limit_unit.data}",
        "supplement": {
            "deadline": f"{(form.supplement_amount.data or '').strip()}{form.supplement_unit.data}",
            "clock": form.supplement_clock.data,
        },
        "kind": form.kind.data,
        "steps": _texts(form.steps_zh.data, form.steps_en.data),
        "required_documents": _texts(form.documents_zh.data, form.documents_en.data),
    }
    if (form.legal_basis_zh.data or "").strip() or (form.legal_basis_en.data or "").strip():
        service["legal_basis"] = _text(form.legal_basis_zh.data, form.legal_basis_en.data)
    if (form.overdue_reason_zh.data or "").strip() or (form.overdue_reason_en.data or "").strip():
        service["overdue_reason"] = _text(form.overdue_reason_zh.data, form.overdue_reason_en.data)
    if faq:
        service["faq"] = faq
    service["pickup"] = bool(form.pickup.data)
    retention = f"{(form.retention_amount.data or '').strip()}{form.retention_unit.data}"
    service["retention"] = retention
    return service


def _split(value: object) -> tuple[str, str]:
    text = str(value)
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    return number, text[len(number) :]


def _both(texts: tuple[Text, ...]) -> tuple[str, str]:
    return "\n".join(t.zh_tw for t in texts), "\n".join(t.en or "" for t in texts).rstrip("\n")


def fill(form: SopForm, spec: ServiceSpec, version: int) -> None:
    """Put a service's current SOP into the form, to edit it."""
    form.based_on.data = version
    form.code.data = spec.code
    form.department.data = f"{spec.agency}/{spec.department}"
    form.kind.data = spec.kind
    form.name_zh.data, form.name_en.data = spec.name.zh_tw, spec.name.en or ""
    form.limit_amount.data, form.limit_unit.data = _split(spec.time_limit)
    form.supplement_amount.data, form.supplement_unit.data = _split(spec.supplement_deadline)
    form.supplement_clock.data = spec.supplement_clock
    form.steps_zh.data, form.steps_en.data = _both(spec.steps)
    form.documents_zh.data, form.documents_en.data = _both(spec.required_documents)
    if spec.legal_basis is not None:
        form.legal_basis_zh.data = spec.legal_basis.zh_tw
        form.legal_basis_en.data = spec.legal_basis.en or ""
    form.overdue_reason_zh.data = spec.overdue_reason.zh_tw
    form.overdue_reason_en.data = spec.overdue_reason.en or ""
    form.pickup.data = spec.pickup
    form.retention_amount.data, form.retention_unit.data = _split(spec.retention)
