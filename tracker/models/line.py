"""A case bound to a LINE user of the office's official account (tracker.cases.line_binding)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, BigId

ACTIVE_LINE_SQL = "line_user_id IS NOT NULL"


class LineBinding(Base):
    """A case's link to a LINE user of the office's official account, and the way to it.

    ``state``: ``offered`` (a one-time code was shown on the receipt or the status page),
    ``pending`` (a LINE user sent the code; the bot asked to confirm), ``bound`` (the case's
    notices go by LINE: ``cases.applicant_line_id`` says to whom), ``ended`` (stopped, unfollowed,
    a push refused, or the case's personal data erased). One row per case.
    """

    __tablename__ = "line_bindings"
    __table_args__ = (
        # "stop" and unfollow end every binding of one LINE user; the pending confirmation too.
        Index(
            "ix_line_bindings_user",
            "line_user_id",
            postgresql_where=text(ACTIVE_LINE_SQL),
            sqlite_where=text(ACTIVE_LINE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    # The one-time code the applicant sends in the chat; NULL once used.
    code: Mapped[str | None] = mapped_column(String(12), unique=True)
    state: Mapped[str] = mapped_column(String(10))
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]
