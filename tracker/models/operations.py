"""What operations watch besides the outbox: gateway credit, when periodic jobs last ran, and
the case gauges the sweep counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base


class ProviderCredit(Base):
    """What a gateway last said is left on the account (Mitake's ``AccountPoint``)."""

    __tablename__ = "provider_credit"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    remaining: Mapped[int]
    at: Mapped[datetime]


class Heartbeat(Base):
    """When a periodic job last finished a run (``sweep``, ``dispatch``): for /metrics."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime]


class CaseGauge(Base):
    """One figure of the case gauges (open cases by status, overdue ones by agency), counted by
    the sweep at most once a minute (tracker.operations.gauges): /metrics reads these rows
    instead of counting the open cases at every scrape."""

    __tablename__ = "case_gauges"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # open | overdue
    label: Mapped[str] = mapped_column(String(40), primary_key=True)  # a status, an agency code
    count: Mapped[int]
    at: Mapped[datetime]
