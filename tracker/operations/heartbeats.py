"""When the periodic jobs last ran, and what credit a gateway last reported: one row each.

Written with an upsert that only moves forward, so two workers finishing at once (or a late
one) never set the time back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.models import Heartbeat, ProviderCredit

SWEEP = "sweep"
DISPATCH = "dispatch"


def upsert_newer(session: Session, table: Table, keys: list[str], values: dict[str, Any]) -> None:
    """Insert the row, or update it when these values are newer (``at``) than the stored."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: statement.excluded[name] for name in values if name not in keys},
            where=table.c.at < statement.excluded.at,
        )
    )


def record_heartbeat(session: Session, name: str, at: datetime) -> None:
    """Job ``name`` (``sweep``, ``dispatch``) finished a run at ``at``."""
    upsert_newer(session, Heartbeat.__table__, ["name"], {"name": name, "at": at})


def record_credit(session: Session, provider: str, remaining: int, at: datetime) -> None:
    """The gateway of ``provider`` (a channel: ``sms``) said ``remaining`` is left at ``at``."""
    upsert_newer(
        session,
        ProviderCredit.__table__,
        ["provider"],
        {"provider": provider, "remaining": remaining, "at": at},
    )
