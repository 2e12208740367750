"""Plain words for case states and timeline entries, in the reader's language."""

from __future__ import annotations

from flask_babel import gettext as _

from tracker.transitions import CaseStatus


def status_label(status: str) -> str:
    """What a status means to the applicant, e.g. "Waiting for your documents"."""
    labels = {
        CaseStatus.RECEIVED: _("Received, waiting to be processed"),
        CaseStatus.IN_PROGRESS: _("Being processed"),
        CaseStatus.AWAITING_SUPPLEMENT: _("Waiting for your documents"),
        CaseStatus.COMPLETED: _("Completed"),
        CaseStatus.REJECTED: _("Not approved"),
        CaseStatus.WITHDRAWN: _("Withdrawn"),
        CaseStatus.TRANSFERRED: _("Transferred to another agency"),
    }
    return labels.get(CaseStatus(status), status) if status in set(CaseStatus) else status


def status_class(status: str, *, overdue: bool = False) -> str:
    """The CSS modifier of a status tag: ``tag--overdue``, ``tag--paused``, ``tag--done``..."""
    if overdue:
        return "tag--overdue"
    return {
        CaseStatus.AWAITING_SUPPLEMENT: "tag--paused",
        CaseStatus.COMPLETED: "tag--done",
        CaseStatus.REJECTED: "tag--closed",
        CaseStatus.WITHDRAWN: "tag--closed",
        CaseStatus.TRANSFERRED: "tag--closed",
    }.get(CaseStatus(status), "tag--open")


def event_label(kind: str) -> str:
    """A timeline entry's heading, e.g. "Documents requested"."""
    labels = {
        "filed": _("Application received"),
        "started": _("Processing started"),
        "step": _("Moved to the next step"),
        "supplement_requested": _("Documents requested"),
        "supplement_received": _("Documents received"),
        "extended": _("Time limit extended"),
        "overdue_info": _("Reason for the delay given"),
        "overdue": _("Overdue: we told you why"),
        "transferred": _("Passed to another section"),
        "transferred_out": _("Transferred to another agency"),
        "completed": _("Completed"),
        "rejected": _("Not approved"),
        "withdrawn": _("Withdrawn"),
        "note": _("Update"),
        "retimed": _("Due date changed by an office closure"),
    }
    return labels.get(kind, _("Update"))
