"""case figures for reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

Closing a case stores the working days it used and the days it waited for documents; an index on
receipt serves the reports' monthly grouping (covering on PostgreSQL) and Open311's listings, and
one on the notices' creation their monthly delivery figures.
Cases closed before this revision keep NULL figures: they are counted, but not in the medians.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As tracker.models.cases.STATISTICS_COLUMNS at this revision (copied: a migration is frozen).
_INCLUDE = [
    "service_id",
    "department_id",
    "status",
    "due_at",
    "closed_at",
    "extension",
    "working_days_used",
    "paused_days",
    "overdue_reason",
]


def upgrade() -> None:
    # Nullable columns: a plain ALTER on both backends, no table copy.
    op.add_column("cases", sa.Column("working_days_used", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("paused_days", sa.Integer(), nullable=True))
    op.create_index(
        "ix_cases_received_at",
        "cases",
        ["received_at"],
        unique=False,
        postgresql_include=_INCLUDE,
    )
    op.create_index(
        "ix_notices_created_at",
        "notices",
        ["created_at"],
        unique=False,
        postgresql_include=["channel", "status", "audience"],
    )


def downgrade() -> None:
    op.drop_index("ix_notices_created_at", table_name="notices")
    op.drop_index("ix_cases_received_at", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("paused_days")
        batch.drop_column("working_days_used")
