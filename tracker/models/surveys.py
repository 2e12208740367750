"""Satisfaction survey answers (滿意度調查): at most one per case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, BigId

# The longest comment we keep; the form and the domain refuse longer ones before the database.
COMMENT_MAX = 1000


class SurveyResponse(Base):
    """One applicant's answer about one finished case."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        # Reports aggregate per department over a period, or city-wide over a period.
        Index("ix_survey_responses_department_answered", "department_id", "answered_at"),
        Index("ix_survey_responses_answered_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Unique: the second answer for a case is refused by the database, never checked first.
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    # Copied from the case so that reports count answers without joining cases.
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(String(COMMENT_MAX))
    answered_at: Mapped[datetime]
