"""GeoReport v2 documents: services and service requests, in the reader's language.

A request document is made from a ``PublicCase`` only, which holds no personal data; its
``status_notes`` are the words of the citizen status page (status, documents awaited, the
service's published overdue reason and the expected completion), not the clerks' free text.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _

from tracker.cases.public import PublicCase
from tracker.deadlines.timezones import TAIPEI, iso_taipei
from tracker.lifecycle import CaseStatus
from tracker.models import Service
from web.core.formatting import day, limit_words, localized
from web.core.i18n import text_language
from web.core.wording import status_label

_ENDINGS = ("。", ".", "！", "!", "？", "?")


def _chinese() -> bool:
    return text_language() == "zh-TW"


def _sentences(parts: list[str]) -> str:
    """Parts joined as sentences: ``已收件，等待處理。本案...`` / ``Being processed. This ...``."""
    stop, gap = ("。", "") if _chinese() else (".", " ")
    return gap.join(
        p if p.endswith(_ENDINGS) else p + stop for p in (p.strip() for p in parts) if p
    )


def service_notice(time_limit: str) -> str:
    """The time limit in words: ``處理期限：5 個工作天`` / ``Time limit: 5 working days``."""
    return _("Time limit: %(limit)s", limit=limit_words(time_limit))


def status_notes(case: PublicCase, now: datetime) -> str:
    """The public status text, as the citizen page words it."""
    parts = [status_label(case.status)]
    if case.status == CaseStatus.AWAITING_SUPPLEMENT and case.supplement_due is not None:
        parts.append(
            _(
                "Please bring or send them by %(date)s. The time limit is paused until "
                "they arrive.",
                date=day(case.supplement_due),
            )
        )
    if case.overdue(now):
        parts.append(_("This case is taking longer than the time limit"))
        reason = localized(case.default_overdue_reason)
        if reason:
            parts.append(_("Reason: %(reason)s", reason=reason))
        expected = (
            day(case.expected_completion)
            if case.expected_completion
            else _("the office will tell you shortly")
        )
        parts.append(_("Expected completion: %(date)s", date=expected))
    return _sentences(parts)


def _end_of(day_: date) -> str:
    """The last second of a day in Taipei: a case due on D is on time all of D (§4.3)."""
    return iso_taipei(datetime.combine(day_, time(23, 59, 59), tzinfo=TAIPEI))


def expected_datetime(case: PublicCase) -> str | None:
    """The expected completion the clerk promised, else the due date (or instant, h/min limits).

    None while a supplement pause has stopped the clock and nothing was promised.
    """
    if case.expected_completion is not None:
        return _end_of(case.expected_completion)
    if case.due_date is not None:
        return _end_of(case.due_date)
    return iso_taipei(case.due_at) if case.due_at is not None else None


def agency_responsible(agency_name: dict[str, str], department_name: dict[str, str]) -> str:
    """``高雄市三民區公所 社會課`` / ``Sanmin District Office, Social Affairs Section``."""
    gap = " " if _chinese() else ", "
    return gap.join(n for n in (localized(agency_name), localized(department_name)) if n)


def request_document(case: PublicCase, now: datetime) -> dict[str, Any]:
    """One service request. No description: what the applicant wrote may name them."""
    updated = case.closed_at if not case.is_open and case.closed_at else case.updated_at
    return {
        "service_request_id": case.number,
        "status": "open" if case.is_open else "closed",
        "status_notes": status_notes(case, now),
        "service_name": localized(case.service_name),
        "service_code": case.service_code,
        "description": None,
        "agency_responsible": agency_responsible(case.agency_name, case.department_name),
        "service_notice": service_notice(case.time_limit),
        "requested_datetime": iso_taipei(case.received_at),
        "updated_datetime": iso_taipei(updated),
        "expected_datetime": expected_datetime(case),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def service_document(service: Service) -> dict[str, Any]:
    """One service type: ``realtime`` (a case number comes back at once), no extra fields."""
    version = service.current_version
    assert version is not None
    department = service.department
    return {
        "service_code": service.code,
        "service_name": localized(version.name),
        "description": service_notice(version.time_limit),
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join((department.agency.code, department.code, service.kind)),
        "group": agency_responsible(department.agency.name, department.name),
    }


def service_definition(service: Service) -> dict[str, Any]:
    """A service's definition: our services ask for no attributes beyond the contact fields."""
    return {"service_code": service.code, "attributes": []}
