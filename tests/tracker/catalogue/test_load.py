"""Loading the catalogue into the database: versions, idempotence, deactivation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import DATA, NOW
from tests.factories import create_case
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue, load_service, sop_changes
from tracker.catalogue.specs import Catalogue, Retention, Text
from tracker.db import Database
from tracker.deadlines.limits import parse_limit
from tracker.errors import InvalidInput
from tracker.models import Agency, Case, Department, Service, ServiceVersion


def _catalogue() -> Catalogue:
    return read_catalogue(DATA / "test-catalogue.yaml")


def _with_limit(catalogue: Catalogue, code: str, limit: str) -> Catalogue:
    services = tuple(
        replace(s, time_limit=parse_limit(limit)) if s.code == code else s
        for s in catalogue.services
    )
    return replace(catalogue, services=services)


def test_loading_twice_changes_nothing(database: Database) -> None:
    with database.transaction() as s:
        first = load_catalogue(s, _catalogue(), now=NOW)
    with database.transaction() as s:
        second = load_catalogue(s, _catalogue(), now=NOW)
        counts = [
            s.scalar(select(func.count()).select_from(m))
            for m in (Agency, Department, Service, ServiceVersion)
        ]
    assert first.changed and not second.changed
    assert counts == [2, 3, 6, 6]


def test_a_changed_limit_applies_to_new_cases_only(database: Database) -> None:
    with database.transaction() as s:
        load_catalogue(s, _catalogue(), now=NOW)
        old_case = create_case(s, "five-wd").id
    with database.transaction() as s:
        report = load_catalogue(s, _with_limit(_catalogue(), "five-wd", "10wd"), now=NOW)
        assert report.new_versions == ["service five-wd (5wd → 10wd)"]
        new_case = create_case(s, "five-wd").id
    with database.transaction() as s:
        old, new = s.get(Case, old_case), s.get(Case, new_case)
        assert old is not None and new is not None
        assert (old.service_version.version, old.service_version.time_limit) == (1, "5wd")
        assert (new.service_version.version, new.service_version.time_limit) == (2, "10wd")
        assert old.due_date == date(2026, 4, 20)
        assert new.due_date == date(2026, 4, 27)


def test_a_dropped_service_stops_taking_cases(database: Database) -> None:
    catalogue = _catalogue()
    with database.transaction() as s:
        load_catalogue(s, catalogue, now=NOW)
    smaller = replace(
        catalogue, services=tuple(x for x in catalogue.services if x.code != "petition")
    )
    with database.transaction() as s:
        report = load_catalogue(s, smaller, now=NOW)
    assert report.deactivated == ["service petition"]
    with pytest.raises(InvalidInput), database.transaction() as s:
        create_case(s, "petition")
    with database.transaction() as s:
        assert load_catalogue(s, catalogue, now=NOW).updated == [
            "service petition (open for filing again)"
        ]
        assert create_case(s, "petition").service.code == "petition"


def test_the_demo_catalogue_loads(database: Database) -> None:
    from tracker.catalogue import DEMO_CATALOGUE

    with database.transaction() as s:
        report = load_catalogue(s, read_catalogue(DEMO_CATALOGUE), now=NOW)
        assert len([a for a in report.added if a.startswith("service")]) >= 15
        assert create_case(s, "demo-quick").due_at is not None


def test_short_name_pickup_and_retention_are_stored_and_a_change_is_a_new_version(
    database: Database,
) -> None:
    catalogue = _catalogue()
    sanmin = replace(catalogue.agencies[0], short_name=Text("三民區公所", "Sanmin Dist. Office"))
    services = tuple(
        replace(s, pickup=False, retention=Retention(18, "mo")) if s.code == "five-wd" else s
        for s in catalogue.services
    )
    changed = replace(catalogue, agencies=(sanmin, *catalogue.agencies[1:]), services=services)
    with database.transaction() as s:
        load_catalogue(s, catalogue, now=NOW)
    with database.transaction() as s:
        report = load_catalogue(s, changed, now=NOW)
        agency = s.scalar(select(Agency).where(Agency.code == "sanmin"))
        service = s.scalar(select(Service).where(Service.code == "five-wd"))
        assert agency is not None and service is not None
        assert agency.short_name == {"zh-TW": "三民區公所", "en": "Sanmin Dist. Office"}
        assert service.current_version is not None
        assert service.current_version.version == 2
        assert service.current_version.pickup is False
        assert service.current_version.retention == "18mo"
    assert "updated agency sanmin" in report.lines()
    assert "new SOP version for service five-wd (open cases keep theirs)" in report.lines()
    with database.transaction() as s:
        assert not load_catalogue(s, changed, now=NOW).changed


def test_versions_from_before_the_new_keys_have_their_defaults(database: Database) -> None:
    with database.transaction() as s:
        load_catalogue(s, _catalogue(), now=NOW)
        version = s.scalar(select(ServiceVersion).limit(1))
        assert version is not None
        assert version.pickup is True
        assert version.retention == "5y"


def test_one_service_saved_is_a_new_version_and_says_what_changed(catalogue_db: Database) -> None:
    before = _catalogue().service("fourteen-d")
    after = replace(before, time_limit=parse_limit("10d"), pickup=False)
    with catalogue_db.transaction() as s:
        report = load_service(s, after, now=NOW)
        unchanged = load_service(s, after, now=NOW)
        versions = s.scalars(
            select(ServiceVersion.time_limit)
            .join(Service, Service.id == ServiceVersion.service_id)
            .where(Service.code == "fourteen-d")
            .order_by(ServiceVersion.version)
        ).all()
    assert report.new_versions == ["service fourteen-d (14d → 10d)"]
    assert not unchanged.changed
    assert versions == ["14d", "10d"]
    assert sop_changes(before, after) == {
        "pickup": {"from": None, "to": False},
        "time_limit": {"from": "14d", "to": "10d"},
    }


def test_a_new_service_saved_alone_is_added(catalogue_db: Database) -> None:
    new = replace(_catalogue().service("five-wd"), code="brand-new", name=Text("新服務"))
    with catalogue_db.transaction() as s:
        report = load_service(s, new, now=NOW)
    assert report.added == ["service brand-new (5wd)"]
    assert set(sop_changes(None, new)) == {k for k, v in new.content().items() if v is not None}
    with catalogue_db.transaction() as s:
        assert create_case(s, "brand-new").due_at is not None


def test_a_service_of_no_department_is_refused(catalogue_db: Database) -> None:
    stray = replace(_catalogue().service("five-wd"), department="zoo")
    with pytest.raises(ValueError, match="no department"), catalogue_db.transaction() as s:
        load_service(s, stray, now=NOW)
