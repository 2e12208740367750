"""Agencies, departments and services with their versioned SOPs (the catalogue)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Base, Bilingual


class Agency(Base):
    """An office: a district office, a household registration office, a bureau (機關)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[Bilingual]
    # The sender named first in every SMS and email; the name when the catalogue gives none.
    short_name: Mapped[Bilingual | None]

    departments: Mapped[list[Department]] = relationship(back_populates="agency")

    @property
    def sender(self) -> Bilingual:
        """The name notices are signed with: the short name, else the name (DESIGN §5.1)."""
        return self.short_name or self.name


class Department(Base):
    """A section of an agency (課室) that handles cases."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("agency_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[Bilingual]
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[Bilingual | None]
    hours: Mapped[Bilingual | None]

    agency: Mapped[Agency] = relationship(back_populates="departments", lazy="joined")

    @property
    def path(self) -> str:
        """``agency/department``, as the command line names a department."""
        return f"{self.agency.code}/{self.code}"


class Service(Base):
    """A service the public can apply for; its SOP lives in versions so old cases keep theirs."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(20))
    # A service dropped from the catalogue stops taking new cases but keeps its history.
    active: Mapped[bool] = mapped_column(default=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_versions.id", use_alter=True)
    )

    department: Mapped[Department] = relationship(lazy="joined")
    current_version: Mapped[ServiceVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="joined"
    )


class ServiceVersion(Base):
    """One published version of a service's SOP: limit, steps, documents, texts."""

    __tablename__ = "service_versions"
    __table_args__ = (UniqueConstraint("service_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    version: Mapped[int]
    name: Mapped[Bilingual]
    time_limit: Mapped[str] = mapped_column(String(12))
    supplement_deadline: Mapped[str] = mapped_column(String(12))
    supplement_clock: Mapped[str] = mapped_column(String(10))
    steps: Mapped[list[dict[str, str]]]
    required_documents: Mapped[list[dict[str, str]]]
    legal_basis: Mapped[Bilingual | None]
    overdue_reason: Mapped[Bilingual]
    faq: Mapped[list[Any]]
    # Something is collected when the case is done (the board says 可領件, the ready notice
    # gives the place and hours); otherwise the board says 已辦結.
    pickup: Mapped[bool] = mapped_column(server_default=true())
    # How long the applicant's personal data is kept after the case is closed (``5y``).
    retention: Mapped[str] = mapped_column(String(12), server_default="5y")
    # A digest of everything above: reloading an unchanged file must not mint a new version.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    service: Mapped[Service] = relationship(foreign_keys=[service_id])
