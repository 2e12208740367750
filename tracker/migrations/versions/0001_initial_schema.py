"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=40), nullable=False),
        sa.Column("created_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
    )
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("imported_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    calendar_revision = op.create_table(
        "calendar_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_revision")),
    )
    # One row from the start, so that bumping it is a plain UPDATE with no insert race.
    op.bulk_insert(calendar_revision, [{"id": 1, "revision": 0}])
    op.create_table(
        "case_counters",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_case_counters")),
    )
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_by", sa.String(length=80), nullable=False),
        sa.Column("declared_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_closures_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closures")),
    )
    op.create_index(
        "uq_closures_agency_day",
        "closures",
        ["day", "agency_id"],
        unique=True,
        postgresql_where=sa.text("agency_id IS NOT NULL"),
        sqlite_where=sa.text("agency_id IS NOT NULL"),
    )
    op.create_index(
        "uq_closures_citywide_day",
        "closures",
        ["day"],
        unique=True,
        postgresql_where=sa.text("agency_id IS NULL"),
        sqlite_where=sa.text("agency_id IS NULL"),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("hours", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_departments_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("agency_id", "code", name=op.f("uq_departments_agency_id")),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_services_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("code", name=op.f("uq_services_code")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_users_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "service_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("time_limit", sa.String(length=12), nullable=False),
        sa.Column("supplement_deadline", sa.String(length=12), nullable=False),
        sa.Column("supplement_clock", sa.String(length=10), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("required_documents", sa.JSON(), nullable=False),
        sa.Column("legal_basis", sa.JSON(), nullable=True),
        sa.Column("overdue_reason", sa.JSON(), nullable=False),
        sa.Column("faq", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_service_versions_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_versions")),
        sa.UniqueConstraint("service_id", "version", name=op.f("uq_service_versions_service_id")),
    )
    # services and service_versions refer to each other: the second reference comes last.
    with op.batch_alter_table("services") as batch:
        batch.create_foreign_key(
            op.f("fk_services_current_version_id_service_versions"),
            "service_versions",
            ["current_version_id"],
            ["id"],
        )
    op.create_table(
        "cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("lookup_code", sa.String(length=16), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("service_version_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("applicant_name", sa.String(length=100), nullable=False),
        sa.Column("applicant_phone", sa.String(length=20), nullable=True),
        sa.Column("applicant_email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("notify_by", sa.String(length=10), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "in_progress",
                "awaiting_supplement",
                "completed",
                "rejected",
                "withdrawn",
                "transferred",
                name="case_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("received_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_at", tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expected_completion", sa.Date(), nullable=True),
        sa.Column("overdue_reason", sa.Text(), nullable=True),
        sa.Column("extension", sa.String(length=12), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_user_id"], ["users.id"], name=op.f("fk_cases_assigned_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_cases_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_cases_service_id_services")
        ),
        sa.ForeignKeyConstraint(
            ["service_version_id"],
            ["service_versions.id"],
            name=op.f("fk_cases_service_version_id_service_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    op.create_index("ix_cases_applicant_phone", "cases", ["applicant_phone"], unique=False)
    op.create_index(
        "ix_cases_department_status", "cases", ["department_id", "status"], unique=False
    )
    op.create_index(
        "ix_cases_open_due_at",
        "cases",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('awaiting_supplement', 'in_progress', 'received')"),
        sqlite_where=sa.text("status IN ('awaiting_supplement', 'in_progress', 'received')"),
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index(op.f("ix_case_events_case_id"), "case_events", ["case_id"], unique=False)
    op.create_table(
        "notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_before", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("provider_status", sa.String(length=30), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_notices_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notices_dedupe_key")),
    )
    op.create_index(op.f("ix_notices_case_id"), "notices", ["case_id"], unique=False)
    op.create_index(
        "ix_notices_pending",
        "notices",
        ["not_before"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index(op.f("ix_notices_provider_id"), "notices", ["provider_id"], unique=False)
    op.create_table(
        "pauses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("requested_at", tracker.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resumed_at", tracker.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("supplement_due", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_pauses_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pauses")),
    )
    op.create_index(op.f("ix_pauses_case_id"), "pauses", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pauses_case_id"), table_name="pauses")
    op.drop_table("pauses")
    op.drop_index(op.f("ix_notices_provider_id"), table_name="notices")
    op.drop_index(
        "ix_notices_pending",
        table_name="notices",
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.drop_index(op.f("ix_notices_case_id"), table_name="notices")
    op.drop_table("notices")
    op.drop_index(op.f("ix_case_events_case_id"), table_name="case_events")
    op.drop_table("case_events")
    op.drop_index(
        "ix_cases_open_due_at",
        table_name="cases",
        postgresql_where=sa.text("status IN ('awaiting_supplement', 'in_progress', 'received')"),
        sqlite_where=sa.text("status IN ('awaiting_supplement', 'in_progress', 'received')"),
    )
    op.drop_index("ix_cases_department_status", table_name="cases")
    op.drop_index("ix_cases_applicant_phone", table_name="cases")
    op.drop_table("cases")
    with op.batch_alter_table("services") as batch:
        batch.drop_constraint(
            op.f("fk_services_current_version_id_service_versions"), type_="foreignkey"
        )
    op.drop_table("service_versions")
    op.drop_table("users")
    op.drop_table("services")
    op.drop_table("departments")
    op.drop_index(
        "uq_closures_citywide_day",
        table_name="closures",
        postgresql_where=sa.text("agency_id IS NULL"),
        sqlite_where=sa.text("agency_id IS NULL"),
    )
    op.drop_index(
        "uq_closures_agency_day",
        table_name="closures",
        postgresql_where=sa.text("agency_id IS NOT NULL"),
        sqlite_where=sa.text("agency_id IS NOT NULL"),
    )
    op.drop_table("closures")
    op.drop_table("case_counters")
    op.drop_table("calendar_revision")
    op.drop_table("calendar_days")
    op.drop_table("api_keys")
    op.drop_table("agencies")
