"""The database as a request reaches it: one transaction for the request's work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session

from tracker.db import Database


def current_database() -> Database:
    """The app's database (bound in ``create_app``)."""
    found: Database = current_app.extensions["database"]
    return found


@contextmanager
def transaction() -> Iterator[Session]:
    """One database transaction for the request's work: all of it or none."""
    with current_database().transaction() as session:
        yield session
