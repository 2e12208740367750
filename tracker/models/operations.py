"""What operations watch besides the outbox: gateway credit, and when periodic jobs last ran."""

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
