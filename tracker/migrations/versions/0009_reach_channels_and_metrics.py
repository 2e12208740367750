"""reach channels and metrics

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10

LINE: a case may be bound to a LINE user (cases.applicant_line_id) through a one-time code
(line_bindings). Operations: the credit a gateway reports (provider_credit, Mitake's
AccountPoint) and when the sweep and the dispatcher last ran (heartbeats), read by /metrics, with the case
gauges the sweep counts (case_gauges); the open cases' and the pending and sending notices'
partial indexes carry what /metrics counts (index-only scans).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = tracker.models.base.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# As tracker.models.line.ACTIVE_LINE_SQL at this revision (copied: a migration is frozen).
_ACTIVE_LINE = "line_user_id IS NOT NULL"
# As tracker.models.cases' open statuses at this revision.
_OPEN = "status IN ('awaiting_supplement', 'in_progress', 'received')"


def upgrade() -> None:
    # A nullable column: a plain ALTER on both backends, no table copy.
    op.add_column("cases", sa.Column("applicant_line_id", sa.String(length=64), nullable=True))
    op.create_table(
        "line_bindings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("code", sa.String(length=12), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("line_user_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_line_bindings_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_bindings")),
        sa.UniqueConstraint("case_id", name=op.f("uq_line_bindings_case_id")),
        sa.UniqueConstraint("code", name=op.f("uq_line_bindings_code")),
    )
    op.create_index(
        "ix_line_bindings_user",
        "line_bindings",
        ["line_user_id"],
        unique=False,
        postgresql_where=sa.text(_ACTIVE_LINE),
        sqlite_where=sa.text(_ACTIVE_LINE),
    )
    op.create_table(
        "provider_credit",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_provider_credit")),
    )
    # The open cases' index carries status and department for /metrics' index-only counts.
    op.drop_index("ix_cases_open_due_at", table_name="cases")
    op.create_index(
        "ix_cases_open_due_at",
        "cases",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
        postgresql_include=["status", "department_id"],
    )
    # /metrics counts pending and sending notices by channel with index-only scans.
    for name, column, where in (
        ("ix_notices_pending", "not_before", "status = 'pending'"),
        ("ix_notices_sending", "claimed_at", "status = 'sending'"),
    ):
        op.drop_index(name, table_name="notices")
        op.create_index(
            name,
            "notices",
            [column],
            unique=False,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
            postgresql_include=["channel"],
        )
    op.create_table(
        "case_gauges",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("kind", "label", name=op.f("pk_case_gauges")),
    )
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
    op.drop_table("case_gauges")
    for name, column, where in (
        ("ix_notices_pending", "not_before", "status = 'pending'"),
        ("ix_notices_sending", "claimed_at", "status = 'sending'"),
    ):
        op.drop_index(name, table_name="notices")
        op.create_index(
            name,
            "notices",
            [column],
            unique=False,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )
    op.drop_index("ix_cases_open_due_at", table_name="cases")
    op.create_index(
        "ix_cases_open_due_at",
        "cases",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
    )
    op.drop_table("provider_credit")
    op.drop_index("ix_line_bindings_user", table_name="line_bindings")
    op.drop_table("line_bindings")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("applicant_line_id")
