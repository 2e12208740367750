"""accounts an office can run, scoped keys, sessions that end, personal data kept only as needed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

- users: a session generation (bumped to end every session of the user at once), a one-time
  password's "must change" flag, and the admin's TOTP second factor (secret, confirmation, last
  accepted time step).
- api_keys: scopes widen to the five of DESIGN §5.2 and a key may be bound to an agency. Existing
  keys keep what they could do: "read" becomes cases:read + cases:read-personal, "write" becomes
  cases:write + open311:submit + calendar:admin.
- cases: a lookup generation (the citizen's "forget this case" ends every lookup of it), the
  instant its personal data was erased past retention, and the partial index the purge reads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = tracker.models.base.UTCDateTime(timezone=True)
_HELD = "closed_at IS NOT NULL AND personal_data_erased_at IS NULL"
_OLD_TO_NEW = {
    "read": "cases:read,cases:read-personal",
    "write": "calendar:admin,cases:write,open311:submit",
}


def _rescope(mapping: dict[str, str]) -> None:
    keys = sa.table("api_keys", sa.column("id", sa.Integer), sa.column("scopes", sa.String))
    connection = op.get_bind()
    for key_id, scopes in connection.execute(sa.select(keys.c.id, keys.c.scopes)).all():
        new = sorted(
            {part for old in scopes.split(",") if old for part in mapping.get(old, old).split(",")}
        )
        connection.execute(keys.update().where(keys.c.id == key_id).values(scopes=",".join(new)))


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("totp_confirmed_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("scopes", type_=sa.String(length=200), existing_nullable=False)
        batch.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_api_keys_agency_id_agencies"), "agencies", ["agency_id"], ["id"]
        )
    _rescope(_OLD_TO_NEW)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("lookup_generation", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("personal_data_erased_at", UTC_DATETIME, nullable=True))
    op.create_index(
        "ix_cases_personal_data_held",
        "cases",
        ["closed_at"],
        unique=False,
        postgresql_where=sa.text(_HELD),
        sqlite_where=sa.text(_HELD),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_personal_data_held", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("personal_data_erased_at")
        batch.drop_column("lookup_generation")
    _rescope({"cases:read": "read", "cases:read-personal": "read", "cases:write": "write",
              "open311:submit": "write", "calendar:admin": "write"})  # fmt: skip
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint(op.f("fk_api_keys_agency_id_agencies"), type_="foreignkey")
        batch.drop_column("agency_id")
        batch.alter_column("scopes", type_=sa.String(length=40), existing_nullable=False)
    with op.batch_alter_table("users") as batch:
        for column in ("totp_last_step", "totp_confirmed_at", "totp_secret",
                       "must_change_password", "session_generation"):  # fmt: skip
            batch.drop_column(column)
