"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tracker.db import Database
from tracker.migrate import alembic_config, current_revision, head_revision, upgrade
from tracker.models import Base


def test_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert current_revision(database.url) == head_revision()


def test_open_due_index_is_partial(database: Database) -> None:
    indexes = {ix["name"]: ix for ix in inspect(database.engine).get_indexes("cases")}
    assert indexes["ix_cases_open_due_at"]["column_names"] == ["due_at"]


def test_downgrade_and_upgrade_again(database: Database) -> None:
    database.dispose()
    command.downgrade(alembic_config(database.url), "base")
    assert current_revision(database.url) is None
    upgrade(database.url)
    upgrade(database.url)  # a second run changes nothing
    assert current_revision(database.url) == head_revision()
