"""The database and the clock, as the API's views reach them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy.orm import Session

from tracker.db import Database


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction for the request's work: all of it or none."""
    database: Database = current_app.extensions["database"]
    with database.transaction() as session:
        yield session


def utc_now() -> datetime:
    """The current instant; views read the clock here and pass it into the domain."""
    return datetime.now(UTC)
