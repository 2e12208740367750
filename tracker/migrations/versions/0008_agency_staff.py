"""agency staff: users attached to a whole agency, and the index of their agency view

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08

``tracker user create NAME --role supervisor --department AGENCY`` attaches a user to a whole
agency rather than to one of its departments (DESIGN §5.2): a supervisor there (區長, 秘書) gets
the agency view across its departments, a clerk there is the agency's one-stop counter (單一窗口),
filing for any of its departments. Nullable: every existing user keeps their department.

The agency view counts each department's open cases by due instant and status: a partial index
on (department_id, due_at) over open cases, carrying due_date and status, lets PostgreSQL count
them from the index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# As tracker.models.cases._OPEN_SQL at this revision (copied: a migration is frozen).
_OPEN = "status IN ('awaiting_supplement', 'in_progress', 'received')"


def upgrade() -> None:
    # A batch: SQLite adds a foreign key only by copying the table.
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_users_agency_id_agencies"), "agencies", ["agency_id"], ["id"]
        )
    op.create_index(
        "ix_cases_open_department_due",
        "cases",
        ["department_id", "due_at"],
        unique=False,
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
        postgresql_include=["due_date", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_cases_open_department_due", table_name="cases")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("fk_users_agency_id_agencies"), type_="foreignkey")
        batch.drop_column("agency_id")
