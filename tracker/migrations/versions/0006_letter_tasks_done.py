"""letter tasks done

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

A "contact by phone or letter" task (a notice with status task) records who marked it done, when,
and an optional note on how the applicant was reached; a partial index finds the open ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = tracker.models.base.UTCDateTime(timezone=True)
# As tracker.models.notices.OPEN_TASK_SQL at this revision (copied: a migration is frozen).
_OPEN_TASK = "status = 'task' AND done_at IS NULL"


def upgrade() -> None:
    # Nullable columns: a plain ALTER on both backends, no table copy.
    op.add_column("notices", sa.Column("done_at", UTC_DATETIME, nullable=True))
    op.add_column("notices", sa.Column("done_by", sa.String(length=80), nullable=True))
    op.add_column("notices", sa.Column("done_note", sa.String(length=200), nullable=True))
    op.create_index(
        "ix_notices_open_tasks",
        "notices",
        ["case_id"],
        unique=False,
        postgresql_where=sa.text(_OPEN_TASK),
        sqlite_where=sa.text(_OPEN_TASK),
    )


def downgrade() -> None:
    op.drop_index("ix_notices_open_tasks", table_name="notices")
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("done_note")
        batch.drop_column("done_by")
        batch.drop_column("done_at")
