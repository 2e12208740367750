"""When a notice cannot reach the applicant: LINE falls back to SMS, SMS to email, and all of
them to the clerk."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.cases.line_binding import end_bindings
from tracker.models import Case, Notice
from tracker.notices.outbox import CHAT_KINDS, Addressees, insert_notices, notice_rows

log = logging.getLogger(__name__)


def fall_back(session: Session, notice: Notice, now: datetime, *, refused: bool = False) -> None:
    """A notice that cannot reach the applicant by LINE goes by SMS; by SMS, by email; by none of
    them, to the clerk. A push LINE ``refused`` (a permanent error, not an outage waited out) also
    ends the case's binding to that LINE user."""
    if notice.audience != "applicant" or notice.case_id is None or notice.kind in CHAT_KINDS:
        return
    case = session.scalar(select(Case).where(Case.id == notice.case_id))
    assert case is not None
    if refused and notice.channel == "line" and notice.recipient:
        end_bindings(session, notice.recipient, reason="push_failed", now=now, case_ids=[case.id])
    channels: list[tuple[str, str | None]] = []
    if notice.channel == "line" and case.applicant_phone:
        channels.append(("sms", case.applicant_phone))
    elif notice.channel in ("line", "sms") and case.applicant_email:
        channels.append(("email", case.applicant_email))
    else:
        channels.append(("letter", None))
    # The fallback's dedupe key is the one the other channel's notice would have had: if the
    # applicant already gets this notice by email, no second email is written.
    rows = notice_rows(
        Addressees.of(case),
        notice.kind,
        trigger_at=notice.trigger_at,
        now=now,
        values=notice.payload,
        channels=channels,
    )
    insert_notices(session, rows)
    log.info(
        "notice %s falls back to %s", notice.id, channels[0][0],
        extra={"case": case.number, "notice": notice.id, "channel": channels[0][0]},
    )  # fmt: skip
