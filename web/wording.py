"""Plain words for case states and timeline entries, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.transitions import CaseStatus

# Translated when shown (str()), one at a time: a page asks for one label, not every one.
_STATUS_LABELS = {
    CaseStatus.RECEIVED: _l("Received, waiting to be processed"),
    CaseStatus.IN_PROGRESS: _l("Being processed"),
    CaseStatus.AWAITING_SUPPLEMENT: _l("Waiting for your documents"),
    CaseStatus.COMPLETED: _l("Completed"),
    CaseStatus.REJECTED: _l("Not approved"),
    CaseStatus.WITHDRAWN: _l("Withdrawn"),
    CaseStatus.TRANSFERRED: _l("Transferred to another agency"),
    CaseStatus.NOT_HANDLED: _l("Petition not handled (Administrative Procedure Act Art. 173)"),
}
_EVENT_LABELS = {
    "filed": _l("Application received"),
    "started": _l("Processing started"),
    "step": _l("Moved to the next step"),
    "supplement_requested": _l("Documents requested"),
    "supplement_received": _l("Documents received"),
    "extended": _l("Time limit extended"),
    "overdue_info": _l("Reason for the delay given"),
    "overdue": _l("Overdue: we told you why"),
    "transferred": _l("Passed to another section"),
    "transferred_out": _l("Transferred to another agency"),
    "completed": _l("Completed"),
    "rejected": _l("Not approved"),
    "withdrawn": _l("Withdrawn"),
    "not_handled": _l("Petition not handled"),
    "note": _l("Update"),
    "retimed": _l("Due date changed by an office closure"),
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
    return str(label) if label is not None else status


def status_class(status: str, *, overdue: bool = False) -> str:
    """The CSS modifier of a status tag: ``tag--overdue``, ``tag--paused``, ``tag--done``..."""
    if overdue:
        return "tag--overdue"
    return _STATUS_CLASSES.get(CaseStatus(status), "tag--open")


def event_label(kind: str) -> str:
    """A timeline entry's heading, e.g. "Documents requested"."""
    return str(_EVENT_LABELS.get(kind, _EVENT_LABELS["note"]))
