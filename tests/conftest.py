"""Fixtures: a real database per backend, fresh for every test.

Every test that takes ``database`` runs twice, on SQLite and on PostgreSQL. PostgreSQL must be
running (127.0.0.1:5432 unless TEST_POSTGRES_URL says otherwise): when it is not, those tests
fail loudly rather than skip. ``TEST_BACKENDS=sqlite`` (or ``postgres``) narrows the run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.db import Database
from tracker.migrate import upgrade

DATA = Path(__file__).with_name("data")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [b for b in os.environ.get("TEST_BACKENDS", "sqlite,postgres").split(",") if b]
# Tables a reset keeps: the schema version and the one-row calendar revision counter.
_KEEP = {"alembic_version", "calendar_revision"}


def _worker() -> str:
    # The process id keeps two test runs on one machine (two terminals, CI) out of each other's way.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test process."""
    name = f"tracker_test_{_worker()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _reset_postgres(db: Database) -> None:
    with db.engine.begin() as conn:
        tables = [
            t
            for (t,) in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            if t not in _KEEP
        ]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        # Cached calendars are keyed by revision: a reset must look like a calendar change.
        conn.execute(text("UPDATE calendar_revision SET revision = revision + 1"))


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database on each backend."""
    if request.param == "postgres":
        db = Database(request.getfixturevalue("postgres_url"))
        _reset_postgres(db)
    else:
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tracker.db"
        shutil.copy(template, path)
        db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[Database]:
    """An empty, migrated PostgreSQL database, for what only PostgreSQL can show."""
    db = Database(postgres_url)
    _reset_postgres(db)
    yield db
    db.dispose()


def _with_test_catalogue(database: Database) -> Database:
    with database.transaction() as session:
        load_catalogue(session, read_catalogue(DATA / "test-catalogue.yaml"), now=NOW)
    return database


@pytest.fixture
def catalogue_db(database: Database) -> Database:
    """The database (each backend) with the test catalogue loaded."""
    return _with_test_catalogue(database)


@pytest.fixture
def pg_catalogue_db(pg_database: Database) -> Database:
    """PostgreSQL with the test catalogue loaded."""
    return _with_test_catalogue(pg_database)


NOW = datetime(2026, 4, 13, 2, 0, tzinfo=UTC)  # Monday 2026-04-13 10:00 in Taipei
