"""surveys and petitions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = tracker.models.base.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_STATUSES = (
    "received",
    "in_progress",
    "awaiting_supplement",
    "completed",
    "rejected",
    "withdrawn",
    "transferred",
)


def _status_type(*statuses: str) -> sa.Enum:
    return sa.Enum(
        *statuses, name="case_status", native_enum=False, create_constraint=True, length=24
    )


def _set_statuses(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    # The status column is VARCHAR with a named CHECK; only the CHECK's list changes. Alembic
    # drops the old type's CHECK and adds the new one (SQLite: by copying the table).
    with op.batch_alter_table("cases") as batch:
        batch.alter_column(
            "status", existing_type=_status_type(*old), type_=_status_type(*new), nullable=False
        )


def upgrade() -> None:
    _set_statuses(_STATUSES, (*_STATUSES, "not_handled"))
    op.create_table(
        "survey_responses",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("answered_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_survey_responses_score_range")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_survey_responses_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_survey_responses_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_survey_responses_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("case_id", name=op.f("uq_survey_responses_case_id")),
    )
    op.create_index(
        "ix_survey_responses_department_answered",
        "survey_responses",
        ["department_id", "answered_at"],
        unique=False,
    )
    op.create_index(
        "ix_survey_responses_answered_at", "survey_responses", ["answered_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_survey_responses_answered_at", table_name="survey_responses")
    op.drop_index("ix_survey_responses_department_answered", table_name="survey_responses")
    op.drop_table("survey_responses")
    # A not-handled petition has no older status to go back to: it becomes a rejection.
    op.execute("UPDATE cases SET status = 'rejected' WHERE status = 'not_handled'")
    _set_statuses((*_STATUSES, "not_handled"), _STATUSES)
