"""The case lifecycle (DESIGN §4.5) as data: which action may move a case from which status.

received → in_progress → (awaiting_supplement ⇄ in_progress) → completed | rejected | withdrawn,
plus transferred to another agency. Pure: no database, no clock.
"""

from __future__ import annotations

from enum import StrEnum

from tracker.errors import IllegalTransition


class CaseStatus(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    TRANSFERRED = "transferred"
    # A petition closed without a reply on the merits (行政程序法 Art. 173): a status of its
    # own rather than a kind of rejection, so that reports and the board count it apart.
    NOT_HANDLED = "not_handled"


OPEN_STATUSES = frozenset(
    {CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_SUPPLEMENT}
)
# The clock runs in these; in awaiting_supplement it is stopped (or restarts afterwards).
CLOCK_RUNNING = frozenset({CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS})


class Action(StrEnum):
    START = "start"
    REQUEST_SUPPLEMENT = "request_supplement"
    RECEIVE_SUPPLEMENT = "receive_supplement"
    EXTEND = "extend"
    TRANSFER = "transfer"  # to another department of ours: the case stays open there
    TRANSFER_OUT = "transfer_out"  # to another agency (移文): our part ends
    COMPLETE = "complete"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    DECLINE = "decline"  # petitions only: not handled under Art. 173, with the reason
    ADVANCE_STEP = "advance_step"
    SET_OVERDUE_INFO = "set_overdue_info"
    NOTE = "note"


S = CaseStatus
_KEEP = None  # the action leaves the status as it is

# action → {status it may be taken from: status it leads to (None: unchanged)}
TRANSITIONS: dict[Action, dict[CaseStatus, CaseStatus | None]] = {
    Action.START: {S.RECEIVED: S.IN_PROGRESS},
    Action.REQUEST_SUPPLEMENT: {
        S.RECEIVED: S.AWAITING_SUPPLEMENT,
        S.IN_PROGRESS: S.AWAITING_SUPPLEMENT,
    },
    Action.RECEIVE_SUPPLEMENT: {S.AWAITING_SUPPLEMENT: S.IN_PROGRESS},
    # Extension needs a running clock: while paused there is no due date to move.
    Action.EXTEND: {S.RECEIVED: _KEEP, S.IN_PROGRESS: _KEEP},
    Action.TRANSFER: dict.fromkeys(OPEN_STATUSES, _KEEP),
    Action.TRANSFER_OUT: dict.fromkeys(OPEN_STATUSES, S.TRANSFERRED),
    # Same-visit services (隨到隨辦) are completed straight from received.
    Action.COMPLETE: {S.RECEIVED: S.COMPLETED, S.IN_PROGRESS: S.COMPLETED},
    # Rejection after a lapsed supplement deadline comes from awaiting_supplement.
    Action.REJECT: dict.fromkeys(OPEN_STATUSES, S.REJECTED),
    Action.WITHDRAW: dict.fromkeys(OPEN_STATUSES, S.WITHDRAWN),
    Action.DECLINE: dict.fromkeys(OPEN_STATUSES, S.NOT_HANDLED),
    Action.ADVANCE_STEP: {S.RECEIVED: S.IN_PROGRESS, S.IN_PROGRESS: _KEEP},
    Action.SET_OVERDUE_INFO: dict.fromkeys(OPEN_STATUSES, _KEEP),
    Action.NOTE: dict.fromkeys(CaseStatus, _KEEP),
}

_WHY = {
    S.COMPLETED: "it is already completed",
    S.REJECTED: "it has been rejected",
    S.WITHDRAWN: "it has been withdrawn",
    S.TRANSFERRED: "it has been transferred to another agency",
    S.NOT_HANDLED: "it has been closed as not handled",
    S.AWAITING_SUPPLEMENT: "it is waiting for the applicant's documents",
    S.RECEIVED: "it has not been started",
    S.IN_PROGRESS: "it is in progress",
}


def next_status(status: CaseStatus, action: Action) -> CaseStatus:
    """The status after ``action``, or IllegalTransition saying why it is not allowed now."""
    allowed = TRANSITIONS[action]
    if status not in allowed:
        raise IllegalTransition(
            f"Cannot {action.replace('_', ' ')} this case: {_WHY[status]}.",
            action=action.value,
            status=status.value,
        )
    target = allowed[status]
    return status if target is None else target


def allowed_actions(status: CaseStatus) -> list[Action]:
    """Every action the status allows, in the order the console shows them."""
    return [action for action, table in TRANSITIONS.items() if status in table]
