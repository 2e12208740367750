"""三竹 Mitake delivery reports: Mitake calls the ``response`` address of each message.

The report is a GET (or a form POST) with ``msgid``, ``dstaddr``, ``dlvtime``, ``donetime``,
``statuscode``, ``statusstr`` and ``StatusFlag``; Mitake expects the plain-text answer
``magicid=sms_gateway_rpack`` and ``msgid=<msgid>`` on two lines, and calls again until it gets
it. ``StatusFlag`` is the message's status in the vendor's table (``4`` delivered, ``5``–``9``
not delivered, ``0``–``3`` still on its way); ``statusstr`` says the same in words (``DELIVRD``,
``UNDELIV``, ``EXPIRED``, ``DELETED``, ``SYNTAXE``, ``UNKNOWN``) and is read when the flag is
missing. Mitake cannot sign a request: the address carries a secret instead (config.gateways).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from notifications.delivery_reports import Outcome, apply_report
from notifications.mitake_codes import PERMANENT_CODES

_BY_WORD = {
    "DELIVRD": "4",
    "SYNTAXE": "5",
    "UNDELIV": "6",
    "EXPIRED": "8",
    "DELETED": "9",
}
# Progress in the order it happens: scheduled, then handed to the carrier.
_RANK = {"mitake-0": 0, "mitake-1": 1, "mitake-2": 1, "mitake-3": 1}


def acknowledgement(msgid: str) -> str:
    """The answer Mitake waits for before it stops calling."""
    return f"magicid=sms_gateway_rpack\nmsgid={msgid}\n"


def record_report(session: Session, params: Mapping[str, str], now: datetime) -> str | None:
    """Apply one report; returns its msgid (None when there is none: a malformed call)."""
    msgid = params.get("msgid", "").strip().lstrip("#")
    if not msgid:
        return None
    flag = params.get("StatusFlag", "").strip() or _BY_WORD.get(
        params.get("statusstr", "").strip().upper(), ""
    )
    status = f"mitake-{flag}" if flag else "mitake-unknown"
    if flag == "4":
        outcome = Outcome.DELIVERED
    elif flag in PERMANENT_CODES:
        outcome = Outcome.FAILED
    else:
        outcome = Outcome.PROGRESS
    error = f"Mitake {status}: {PERMANENT_CODES[flag]}" if outcome is Outcome.FAILED else None
    apply_report(
        session,
        msgid,
        outcome,
        provider="mitake",
        provider_status=status,
        rank=_RANK.get(status, -1),
        ranks=_RANK,
        error=error,
        now=now,
    )
    return msgid
