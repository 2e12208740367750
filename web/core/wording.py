"""Plain words for case states and timeline entries, in the reader's language."""

from __future__ import annotations

from flask_babel import gettext

from tracker.lifecycle import CaseStatus
from web.core.i18n import N_

# Msgids, translated when shown, one at a time: a page asks for one label, not every one.
_STATUS_LABELS = {
    CaseStatus.RECEIVED: N_("Received, waiting to be processed"),
    CaseStatus.IN_PROGRESS: N_("Being processed"),
    CaseStatus.AWAITING_SUPPLEMENT: N_("Waiting for your documents"),
    CaseStatus.COMPLETED: N_("Completed"),
    CaseStatus.REJECTED: N_("Not approved"),
    CaseStatus.WITHDRAWN: N_("Withdrawn"),
    CaseStatus.TRANSFERRED: N_("Transferred to another agency"),
    CaseStatus.NOT_HANDLED: N_("Petition not handled (Administrative Procedure Act Art. 173)"),
}
_EVENT_LABELS = {
    "filed": N_("Application received"),
    "started": N_("Processing started"),
    "step": N_("Moved to the next step"),
    "supplement_requested": N_("Documents requested"),
    "supplement_received": N_("Documents received"),
    "extended": N_("Time limit extended"),
    "overdue_info": N_("Reason for the delay given"),
    "overdue": N_("Overdue: we told you why"),
    "transferred": N_("Passed to another section"),
    "transferred_out": N_("Transferred to another agency"),
    "completed": N_("Completed"),
    "rejected": N_("Not approved"),
    "withdrawn": N_("Withdrawn"),
    "not_handled": N_("Petition not handled"),
    "note": N_("Update"),
    "retimed": N_("Due date changed by an office closure"),
}
_STATUS_CLASSES = {
    CaseStatus.AWAITING_SUPPLEMENT: "tag--paused",
    CaseStatus.COMPLETED: "tag--done",
    CaseStatus.REJECTED: "tag--closed",
    CaseStatus.WITHDRAWN: "tag--closed",
    CaseStatus.TRANSFERRED: "tag--closed",
    CaseStatus.NOT_HANDLED: "tag--closed",
}


def status_label(status: str) -> str:
    """What a status means to the applicant, e.g. "Waiting for your documents"."""
    label = _STATUS_LABELS.get(status)  # type: ignore[call-overload]
    return gettext(label) if label is not None else status


def status_class(status: str, *, overdue: bool = False) -> str:
    """The CSS modifier of a status tag: ``tag--overdue``, ``tag--paused``, ``tag--done``..."""
    if overdue:
        return "tag--overdue"
    return _STATUS_CLASSES.get(CaseStatus(status), "tag--open")


def event_label(kind: str) -> str:
    """A timeline entry's heading, e.g. "Documents requested"."""
    return gettext(_EVENT_LABELS.get(kind, _EVENT_LABELS["note"]))
