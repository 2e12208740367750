"""People and systems allowed to act: console users and API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base
from tracker.models.catalogue import Agency, Department


class Role(StrEnum):
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class User(Base):
    """A console user: a clerk (承辦人), a supervisor or an administrator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # Staff of a whole agency (no department): its supervisors' agency view, its one-stop
    # counter's clerks (單一窗口) who file for any of its departments.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Bumped whenever the user's sessions must end everywhere (logout, deactivation, a password
    # change or reset, a role change): a session cookie carries the generation it was made in.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set by an administrator's reset: the one-time password works once, for choosing a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # TOTP (RFC 6238) second factor: the base32 secret, confirmed once the user has entered a code
    # from it; the last time step accepted, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    department: Mapped[Department | None] = relationship(lazy="joined")
    agency: Mapped[Agency | None] = relationship(lazy="joined")


class ApiKey(Base):
    """A key for another system; only its SHA-256 is kept, the key itself is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(
        String(200)
    )  # comma-separated, e.g. "cases:read,open311:submit"
    # A key bound to an agency sees and changes only that agency's cases.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
