"""deadline watch and outbox delivery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = tracker.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("cases", sa.Column("watch_at", UTC_DATETIME, nullable=True))
    op.add_column("cases", sa.Column("watched_until", UTC_DATETIME, nullable=True))
    op.add_column("cases", sa.Column("overdue_since", UTC_DATETIME, nullable=True))
    # Open cases are watched from their due instant on; the watch recomputes the rest.
    op.execute(
        "UPDATE cases SET watch_at = due_at "
        "WHERE status IN ('received', 'in_progress', 'awaiting_supplement')"
    )
    op.create_index(
        "ix_cases_watch_at",
        "cases",
        ["watch_at"],
        unique=False,
        postgresql_where=sa.text("watch_at IS NOT NULL"),
        sqlite_where=sa.text("watch_at IS NOT NULL"),
    )
    with op.batch_alter_table("notices") as batch:
        batch.add_column(
            sa.Column("audience", sa.String(length=10), nullable=False, server_default="applicant")
        )
        batch.add_column(sa.Column("trigger_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("claimed_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("rendered", sa.JSON(), nullable=True))
    op.execute("UPDATE notices SET trigger_at = created_at")
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("trigger_at", existing_type=UTC_DATETIME, nullable=False)
        batch.alter_column("audience", server_default=None)
    op.create_index(
        "ix_notices_sending",
        "notices",
        ["claimed_at"],
        unique=False,
        postgresql_where=sa.text("status = 'sending'"),
        sqlite_where=sa.text("status = 'sending'"),
    )
    op.add_column("users", sa.Column("email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
    op.drop_index("ix_notices_sending", table_name="notices")
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("rendered")
        batch.drop_column("claimed_at")
        batch.drop_column("trigger_at")
        batch.drop_column("audience")
    op.drop_index("ix_cases_watch_at", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("overdue_since")
        batch.drop_column("watched_until")
        batch.drop_column("watch_at")
