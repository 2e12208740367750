"""Small things every console screen uses: the database, the clock, the page layout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import current_app, render_template
from sqlalchemy.orm import Session

from tracker.db import Database


@contextmanager
def transaction() -> Iterator[Session]:
    """One database transaction for the request's work: all of it or none."""
    database: Database = current_app.extensions["database"]
    with database.transaction() as session:
        yield session


def utc_now() -> datetime:
    """The current instant; views read the clock here and pass it into the domain."""
    return datetime.now(UTC)


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A console page from ``templates/counter/``."""
    return render_template(f"counter/{template}", **context), status
