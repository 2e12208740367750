"""Turning cases into what the console shows: local names, urgency labels, dates in Taipei."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from notifications.quiet_hours import sms_held_until
from tracker.cases.contact import display_phone
from tracker.cases.urgency import Standing, Urgency, standing
from tracker.clock import utc_now
from tracker.deadlines.display import written_soon
from tracker.deadlines.engine import Deadline
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.identifiers import format_lookup_code
from tracker.lifecycle import CaseStatus
from tracker.models import Case, Notice
from tracker.notices.outbox import NO_SMS_PROVIDER, PENDING
from tracker.text import in_language
from web.core.formatting import day, instant
from web.core.i18n import current_locale, text_language
from web.counter.i18n import ct, lazy

STATUS_LABELS = {
    CaseStatus.RECEIVED: lazy("Received (not started)"),
    CaseStatus.IN_PROGRESS: lazy("In progress"),
    CaseStatus.AWAITING_SUPPLEMENT: lazy("Waiting for documents"),
    CaseStatus.COMPLETED: lazy("Completed"),
    CaseStatus.REJECTED: lazy("Rejected"),
    CaseStatus.WITHDRAWN: lazy("Withdrawn"),
    CaseStatus.TRANSFERRED: lazy("Transferred to another agency"),
    CaseStatus.NOT_HANDLED: lazy("Not handled (Art. 173)"),
}
URGENCY_LABELS = {
    Urgency.OVERDUE: lazy("Overdue"),
    Urgency.DUE_SOON: lazy("Due soon"),
    Urgency.ON_TIME: lazy("On time"),
    Urgency.PAUSED: lazy("Paused"),
}
EVENT_LABELS = {
    "filed": lazy("Filed"),
    "started": lazy("Work started"),
    "step": lazy("SOP step"),
    "supplement_requested": lazy("Documents requested"),
    "supplement_received": lazy("Documents received"),
    "supplement_lapsed": lazy("Supplement deadline passed"),
    "extended": lazy("Extended"),
    "overdue_info": lazy("Delay reason recorded"),
    "overdue": lazy("Became overdue"),
    "transferred": lazy("Transferred"),
    "transferred_out": lazy("Transferred to another agency"),
    "completed": lazy("Completed"),
    "rejected": lazy("Rejected"),
    "withdrawn": lazy("Withdrawn"),
    "not_handled": lazy("Not handled (Art. 173)"),
    "note": lazy("Note"),
    "assigned": lazy("Assigned"),
    "retimed": lazy("Due date moved"),
}
NOTICE_LABELS = {
    "receipt": lazy("Receipt confirmation"),
    "supplement": lazy("Request for documents"),
    "supplement_reminder": lazy("Reminder: documents"),
    "extension": lazy("Extension"),
    "overdue": lazy("Overdue notice"),
    "ready": lazy("Completed / ready"),
    "rejected": lazy("Rejection"),
    "not_handled": lazy("Petition not handled"),
    "transferred": lazy("Transfer"),
    "survey": lazy("Satisfaction survey"),
    "retimed": lazy("New due date"),
    "due_soon": lazy("Due soon (staff)"),
    "supplement_lapsed": lazy("Supplement deadline passed (staff)"),
    "overdue_clerk": lazy("Overdue (staff)"),
}
NOTICE_STATUS_LABELS = {
    "pending": lazy("Waiting to be sent"),
    "sending": lazy("Sending"),
    "sent": lazy("Sent"),
    "delivered": lazy("Delivered"),
    "failed": lazy("Failed"),
    "undelivered": lazy("Not delivered"),
    "task": lazy("Contact by phone or letter"),
}
# What providers report of a message (Twilio's statuses, Mitake's, the local outbox's, a send whose
# outcome is not known): words for the clerk, whatever the provider spells.
PROVIDER_STATUS_LABELS = {
    "accepted": lazy("Accepted by the provider"),
    "queued": lazy("Queued at the provider"),
    "scheduled": lazy("Scheduled at the provider"),
    "sending": lazy("Being sent"),
    "sent": lazy("Sent to the phone network"),
    "delivered": lazy("Delivered"),
    "read": lazy("Read"),
    "undelivered": lazy("Not delivered"),
    "failed": lazy("Failed"),
    "canceled": lazy("Cancelled"),
    "outbox": lazy("In the local outbox"),
    "unknown": lazy("Not known: it may have been sent"),
    # 三竹 Mitake (notifications.mitake_callbacks): its StatusFlag, and a repeated clientid.
    "duplicate": lazy("Accepted once already: not sent again"),
    "mitake-0": lazy("Scheduled at the provider"),
    "mitake-1": lazy("Sent to the phone network"),
    "mitake-2": lazy("Sent to the phone network"),
    "mitake-3": lazy("Sent to the phone network"),
    "mitake-4": lazy("Delivered"),
    "mitake-5": lazy("Not delivered"),
    "mitake-6": lazy("Not delivered"),
    "mitake-7": lazy("Not delivered"),
    "mitake-8": lazy("Not delivered"),
    "mitake-9": lazy("Cancelled"),
    "mitake-unknown": lazy("The provider's report names no status"),
}
CHANNEL_LABELS = {
    "sms": lazy("SMS"),
    "email": lazy("Email"),
    "letter": lazy("Phone or letter"),
    "console": lazy("Console"),
}


def local(text: dict[str, str] | None) -> str:
    """A bilingual catalogue text in the reader's language (zh-TW when it has no other)."""
    return in_language(text, text_language())


def due_text(case: Case) -> str:
    """The due date (day limits) or instant (hour limits), as documents write them (115年4月20日,
    20 Apr 2026); empty while paused."""
    if case.due_at is None:
        return ""
    if case.due_date is not None:
        return day(case.due_date)
    return instant(Deadline(None, case.due_at).overdue_at)


def held_until(notice: Notice) -> str:
    """ "09:00" when quiet hours hold this SMS back until then (another day's date before it);
    "" when nothing holds it."""
    settings = current_app.config["SETTINGS"]
    now = utc_now()
    until = sms_held_until(
        notice.channel, notice.status, notice.not_before, now, settings.sms_quiet_hours
    )
    return written_soon(until, now, current_locale()) if until is not None else ""


def notice_error(notice: Notice) -> str:
    """What stopped or holds a notice, in the clerk's language where it is one of ours."""
    if notice.status == PENDING and notice.error == NO_SMS_PROVIDER:
        return ct("Waiting: no SMS provider is configured; it goes out once one is.")
    return notice.error or ""


def phone_text(e164: str | None) -> str:
    """A stored number as a clerk would say it."""
    return display_phone(e164) if e164 else ""


def lookup_code(case: Case) -> str:
    """The lookup code grouped for reading aloud."""
    return format_lookup_code(case.lookup_code)


@dataclass(frozen=True)
class QueueRow:
    """One line of a queue."""

    case: Case
    standing: Standing

    @property
    def urgency(self) -> str:
        """The CSS modifier and the stable name of the urgency."""
        return self.standing.urgency.value

    @property
    def urgency_label(self) -> str:
        """The urgency in words: colour is never the only signal."""
        return str(URGENCY_LABELS[self.standing.urgency])

    @property
    def days_text(self) -> str:
        """Working days left, or overdue by, in words."""
        left = self.standing.working_days_left
        if self.standing.urgency is Urgency.PAUSED:
            return ct("Clock stopped: waiting for documents")
        if left is None:
            return ct("Due %(when)s", when=due_text(self.case))
        if left < 0:
            return ct("%(days)s working days overdue", days=-left)
        if left == 0:
            return ct("Due today")
        return ct("%(days)s working days left", days=left)


def queue_row(case: Case, calendar: WorkCalendar, now: datetime) -> QueueRow:
    """A queue line for an open case."""
    return QueueRow(
        case,
        standing(
            received_at=case.received_at,
            due_date=case.due_date,
            due_at=case.due_at,
            now=now,
            calendar=calendar,
        ),
    )


ROLE_LABELS = {
    "clerk": lazy("Clerk"),
    "supervisor": lazy("Supervisor"),
    "admin": lazy("Administrator"),
}
AUDIT_LABELS = {
    "login_succeeded": lazy("Signed in"),
    "login_failed": lazy("Sign-in failed"),
    "logout": lazy("Signed out"),
    "user_created": lazy("User created"),
    "catalogue_reloaded": lazy("Catalogue reloaded"),
    "sop_saved": lazy("SOP saved"),
    "closure_declared": lazy("Closure declared"),
    "closure_withdrawn": lazy("Closure withdrawn"),
    "calendar_imported": lazy("Office calendar imported"),
    "api_key_created": lazy("API key created"),
    "api_key_revoked": lazy("API key revoked"),
    "task_done": lazy("Phone or letter task done"),
    "user_deactivated": lazy("User deactivated"),
    "user_activated": lazy("User reactivated"),
    "password_reset": lazy("Password reset"),
    "password_changed": lazy("Password changed"),
    "role_changed": lazy("Role or department changed"),
    "totp_enrolled": lazy("Two-step sign-in turned on"),
    "totp_failed": lazy("Two-step sign-in code refused"),
    "totp_reset": lazy("Two-step sign-in reset"),
}
