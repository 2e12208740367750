"""``tracker privacy purge [--dry-run]`` (DESIGN §5.2) on each backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.cli.conftest import Run
from tests.conftest import DATA
from tests.factories import create_case
from tracker.cases import closing
from tracker.cases.retention import PERSONAL_DATA_PURGED
from tracker.db import Database
from tracker.models import AuditEntry, Case

# Years before any clock this suite runs under: past the default five years' retention.
LONG_AGO = datetime(2019, 3, 4, 2, 0, tzinfo=UTC)


def _closed_long_ago(run: Run, database: Database, services: list[str]) -> None:
    assert run("catalogue", "load", str(DATA / "test-catalogue.yaml")).exit_code == 0
    for service in services:
        with database.transaction() as s:
            case_id = create_case(s, service, now=LONG_AGO).id
        with database.transaction() as s:
            closing.complete(s, case_id, actor="clerk:test", now=LONG_AGO + timedelta(days=1))
    with database.transaction() as s:
        create_case(s, now=LONG_AGO)  # still open: kept


def _held(database: Database) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).where(Case.applicant_name != "")) or 0


def test_a_dry_run_prints_the_counts_and_changes_nothing(run: Run, database: Database) -> None:
    _closed_long_ago(run, database, ["five-wd", "five-wd", "fourteen-d"])
    result = run("privacy", "purge", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "3 cases are past retention (dry run: nothing was changed):",
        "  five-wd: 2",
        "  fourteen-d: 1",
    ]
    assert _held(database) == 4


def test_a_purge_prints_what_it_erased_and_audits_it(run: Run, database: Database) -> None:
    _closed_long_ago(run, database, ["five-wd", "fourteen-d"])
    result = run("privacy", "purge")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Erased the personal data of 2 cases past retention:",
        "  five-wd: 1",
        "  fourteen-d: 1",
    ]
    assert "cases erased so far" in result.stderr
    assert _held(database) == 1  # the open case
    with database.transaction() as s:
        actors = set(
            s.scalars(select(AuditEntry.actor).where(AuditEntry.action == PERSONAL_DATA_PURGED))
        )
    assert len(actors) == 1
    assert actors.pop().startswith("cli")


def test_a_second_purge_finds_nothing(run: Run, database: Database) -> None:
    _closed_long_ago(run, database, ["five-wd"])
    assert run("privacy", "purge").exit_code == 0
    again = run("privacy", "purge")
    assert again.exit_code == 0
    assert again.stdout == "No closed case is past its retention: nothing to erase.\n"
