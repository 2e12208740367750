"""catalogue: the agency's short name, a service's pickup and retention

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Three optional catalogue keys (DESIGN §5.1): ``short_name`` of an agency (the sender named in
every SMS and email), and of a service's SOP version ``pickup`` (something is collected when
done) and ``retention`` (how long personal data is kept after closing). Existing versions get
the defaults: pickup true, retention 5y.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agencies", sa.Column("short_name", sa.JSON(), nullable=True))
    op.add_column(
        "service_versions",
        sa.Column("pickup", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.add_column(
        "service_versions",
        sa.Column("retention", sa.String(length=12), server_default="5y", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("service_versions") as batch:
        batch.drop_column("retention")
        batch.drop_column("pickup")
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("short_name")
