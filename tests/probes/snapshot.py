"""What the probes compare before and after an attack: the rows of every table."""

from __future__ import annotations

from sqlalchemy import func, inspect, select

from tracker.db import Database
from tracker.models.base import Base


def row_counts(database: Database) -> dict[str, int]:
    """The number of rows in each of the product's tables (a dropped table raises)."""
    with database.transaction() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def table_names(database: Database) -> set[str]:
    """The tables the database holds now."""
    return set(inspect(database.engine).get_table_names())
