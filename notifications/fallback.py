"""When a notice cannot reach the applicant: SMS falls back to email, and both to the clerk."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Case, Notice
from tracker.notices.outbox import Addressees, insert_notices, notice_rows

log = logging.getLogger(__name__)


def fall_back(session: Session, notice: Notice, now: datetime) -> None:
    """A notice that cannot reach the applicant by SMS goes by email; by neither, to the clerk."""
    if notice.audience != "applicant" or notice.case_id is None:
        return
    case = session.scalar(select(Case).where(Case.id == notice.case_id))
    assert case is not None
    channels: list[tuple[str, str | None]] = []
    if notice.channel == "sms" and case.applicant_email:
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
    log.info("notice %s falls back to %s", notice.id, channels[0][0])
