"""The counter console (/counter): clerks, supervisors and administrators (DESIGN §1, §5.5).

Each screen is a module; importing them registers their views on the blueprint.
"""

from __future__ import annotations

from web.counter import (
    account,
    admin,
    admin_users,
    auth,
    cases,
    filing,
    forms,
    present,
    queues,
    reports,
    search,
    sop,
    tasks,
    totp,
)
from web.counter.access import current_user
from web.counter.blueprint import counter
from web.counter.i18n import ct

__all__ = [
    "account",
    "admin",
    "admin_users",
    "auth",
    "cases",
    "counter",
    "filing",
    "queues",
    "reports",
    "search",
    "sop",
    "tasks",
    "totp",
]


@counter.context_processor
def _template_helpers() -> dict[str, object]:
    # ``ct("...")`` in the console's templates reads the "counter" catalogue.
    return {
        "ct": ct,
        "counter_user": current_user(),
        "status_labels": present.STATUS_LABELS,
        "event_labels": present.EVENT_LABELS,
        "notice_labels": present.NOTICE_LABELS,
        "notice_status_labels": present.NOTICE_STATUS_LABELS,
        "notice_channel_labels": present.CHANNEL_LABELS,
        "provider_status_labels": present.PROVIDER_STATUS_LABELS,
        "held_until": present.held_until,
        "notice_error": present.notice_error,
        "channel_labels": forms.CHANNEL_LABELS,
        "notify_labels": forms.NOTIFY_LABELS,
        "language_labels": forms.LANGUAGE_LABELS,
        "role_labels": present.ROLE_LABELS,
        "audit_labels": present.AUDIT_LABELS,
        "due_text": present.due_text,
        "phone_text": present.phone_text,
        "lookup_code": present.lookup_code,
    }
