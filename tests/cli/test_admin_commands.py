"""The administration commands: each does its job, and refuses bad input changing nothing."""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from tests.cli.conftest import Run
from tests.conftest import DATA
from tracker.accounts.users import verify_password
from tracker.catalogue import DEMO_CATALOGUE
from tracker.catalogue.file import read_catalogue
from tracker.db import Database
from tracker.migrate import head_revision
from tracker.models import (
    ApiKey,
    AuditEntry,
    CalendarDay,
    Closure,
    Service,
    ServiceVersion,
    User,
)
from web.cli import main

CATALOGUE = str(DATA / "test-catalogue.yaml")


def _count(database: Database, model: type) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_commands_before_db_upgrade_say_what_to_do(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "TRACKER_INSTANCE": str(tmp_path)}
    result = CliRunner().invoke(main, ["catalogue", "load", CATALOGUE], env=env)
    assert result.exit_code != 0
    assert "run 'tracker db upgrade' first" in result.output


def test_db_upgrade_twice_is_harmless(run: Run) -> None:
    assert run("db", "upgrade").exit_code == 0
    second = run("db", "upgrade")
    assert second.exit_code == 0
    assert f"revision {head_revision()}" in second.output


def test_catalogue_load_twice_changes_nothing(run: Run, database: Database) -> None:
    run("db", "upgrade")
    first = run("catalogue", "load", CATALOGUE)
    assert first.exit_code == 0, first.output
    assert "added service five-wd (5wd)" in first.output
    second = run("catalogue", "load", CATALOGUE)
    assert second.exit_code == 0
    assert "No changes" in second.output
    assert _count(database, ServiceVersion) == _count(database, Service) == 6


def test_a_changed_limit_is_a_new_version(run: Run, database: Database, tmp_path: Path) -> None:
    run("db", "upgrade")
    run("catalogue", "load", CATALOGUE)
    changed = tmp_path / "changed.yaml"
    changed.write_text(Path(CATALOGUE).read_text().replace("time_limit: 14d", "time_limit: 10d"))
    result = run("catalogue", "load", str(changed))
    assert result.exit_code == 0
    assert "new SOP version for service fourteen-d (14d → 10d)" in result.output
    assert _count(database, ServiceVersion) == 7


def test_a_bad_catalogue_names_file_and_line_and_changes_nothing(
    run: Run, database: Database, tmp_path: Path
) -> None:
    run("db", "upgrade")
    bad = tmp_path / "bad.yaml"
    text = Path(CATALOGUE).read_text().replace("time_limit: 4h", "time_limit: four hours")
    bad.write_text(text)
    line = text.splitlines().index("    time_limit: four hours") + 1
    result = run("catalogue", "load", str(bad))
    assert result.exit_code != 0
    assert f"bad.yaml:{line}:" in result.output
    assert "nothing was changed" in result.output
    assert _count(database, Service) == 0


def test_a_missing_file_is_a_clear_error(run: Run) -> None:
    run("db", "upgrade")
    result = run("catalogue", "load", "/nonexistent/catalogue.yaml")
    assert result.exit_code != 0
    assert "cannot read" in result.output or "does not exist" in result.output


def test_import_dgpa(run: Run, database: Database, tmp_path: Path) -> None:
    run("db", "upgrade")
    csv = tmp_path / "dgpa.csv"
    csv.write_text(
        "西元日期,星期,是否放假,備註\n20260414,二,2,颱風停止上班\n20260418,六,0,補行上班\n",
        encoding="utf-8-sig",
    )
    result = run("calendar", "import-dgpa", str(csv))
    assert result.exit_code == 0, result.output
    assert "Imported 2 days" in result.output
    assert _count(database, CalendarDay) == 2
    assert run("deadline", "--received", "2026-04-13", "--limit", "5wd").stdout.startswith(
        "2026-04-20"  # 04-14 off, 04-18 (Sat) on: the same count, shifted
    )


def test_a_malformed_dgpa_file_changes_nothing(
    run: Run, database: Database, tmp_path: Path
) -> None:
    run("db", "upgrade")
    csv = tmp_path / "dgpa.csv"
    csv.write_text("西元日期,星期,是否放假,備註\n20260414,二,2,\n2026-04-15,三,0,\n")
    result = run("calendar", "import-dgpa", str(csv))
    assert result.exit_code != 0
    assert "dgpa.csv" in result.output and ":3" in result.output
    assert _count(database, CalendarDay) == 0


def test_calendar_close_validates(run: Run, database: Database) -> None:
    run("db", "upgrade")
    run("catalogue", "load", CATALOGUE)
    assert run("calendar", "close", "2026-13-01", "--reason", "x").exit_code != 0
    assert run("calendar", "close", "2026-04-15").exit_code != 0  # --reason is required
    unknown = run("calendar", "close", "2026-04-15", "--agency", "nowhere", "--reason", "颱風")
    assert unknown.exit_code != 0
    assert "there is no agency 'nowhere'" in unknown.output
    assert _count(database, Closure) == 0
    ok = run("calendar", "close", "2026-04-15", "--agency", "sanmin", "--reason", "颱風")
    assert ok.exit_code == 0, ok.output
    assert "Closed 2026-04-15 (sanmin)" in ok.output


def test_calendar_close_is_audited_as_the_console_does(run: Run, database: Database) -> None:
    run("db", "upgrade")
    run("catalogue", "load", CATALOGUE)
    run("calendar", "close", "2026-04-15", "--agency", "nowhere", "--reason", "颱風")  # refused
    assert run("calendar", "close", "2026-04-15", "--reason", "颱風").exit_code == 0
    actor = f"cli:{getpass.getuser()}"
    with database.transaction() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "closure_declared")).all()
        assert [(e.action, e.actor, e.target, e.data) for e in entries] == [
            ("closure_declared", actor, "2026-04-15 city-wide", {"retimed": 0, "reason": "颱風"})
        ]
        closure = s.scalar(select(Closure))
        assert closure is not None and closure.declared_by == actor


def test_user_create_generates_a_password(run: Run, database: Database) -> None:
    run("db", "upgrade")
    run("catalogue", "load", CATALOGUE)
    result = run("user", "create", "wang", "--role", "clerk", "--department", "sanmin/social")
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.username == "wang"))
        assert user is not None and user.department is not None
        assert user.department.path == "sanmin/social"
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, password)


def test_a_supervisor_may_be_attached_to_a_whole_agency(run: Run, database: Database) -> None:
    run("db", "upgrade")
    run("catalogue", "load", CATALOGUE)
    result = run("user", "create", "head", "--role", "supervisor", "--department", "sanmin")
    assert result.exit_code == 0, result.output
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.username == "head"))
        assert user is not None
        assert user.department_id is None
        assert user.agency is not None
        assert user.agency.code == "sanmin"
    unknown = run("user", "create", "chief", "--role", "supervisor", "--department", "nowhere")
    assert unknown.exit_code != 0
    assert "no agency 'nowhere'" in unknown.output


def test_without_a_terminal_a_password_is_generated_not_read(run: Run, database: Database) -> None:
    run("db", "upgrade")
    # Scripts pipe input; a password must never be taken from a pipe that may be logged.
    result = run("user", "create", "root", "--role", "admin", stdin="correct horse battery\n")
    assert result.exit_code == 0
    password = result.output.strip().splitlines()[-1]
    assert password != "correct horse battery"
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.username == "root"))
        assert user is not None
        assert verify_password(user.password_hash, password)
        assert not verify_password(user.password_hash, "correct horse battery")


def test_user_create_refusals(run: Run, database: Database) -> None:
    run("db", "upgrade")
    run("catalogue", "load", CATALOGUE)
    assert run("user", "create", "x", "--role", "clerk", "--department", "sanmin/social").exit_code
    no_dept = run("user", "create", "lin", "--role", "clerk")
    assert no_dept.exit_code != 0
    assert "belong to a department" in no_dept.output
    bad_dept = run("user", "create", "lin", "--role", "clerk", "--department", "sanmin/zoo")
    assert "no department 'sanmin/zoo'" in bad_dept.output
    assert run("user", "create", "lin", "--role", "boss").exit_code != 0
    run("user", "create", "lin", "--role", "admin")
    taken = run("user", "create", "lin", "--role", "admin")
    assert taken.exit_code != 0
    assert "already taken" in taken.output
    assert _count(database, User) == 1


def test_apikey_create_prints_the_key_last_and_stores_a_hash(run: Run, database: Database) -> None:
    run("db", "upgrade")
    result = run("apikey", "create", "open311-gateway")
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("ctk_") and len(key) > 40
    with database.transaction() as s:
        row = s.scalar(select(ApiKey))
        assert row is not None and row.scopes == "cases:read,open311:submit"
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in (row.prefix + row.key_hash)[13:]
    again = run("apikey", "create", "open311-gateway")
    assert again.exit_code != 0
    assert _count(database, ApiKey) == 1


def _audit(database: Database) -> list[tuple[str, str, str | None, dict[str, object]]]:
    with database.transaction() as s:
        return [
            (e.action, e.actor, e.target, e.data)
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def test_every_administrative_command_is_audited(
    run: Run, database: Database, tmp_path: Path
) -> None:
    run("db", "upgrade")
    assert run("catalogue", "load", CATALOGUE).exit_code == 0
    assert run("catalogue", "load", CATALOGUE).exit_code == 0  # no changes: still a reload
    assert run("catalogue", "load", str(tmp_path / "missing.yaml")).exit_code != 0  # refused
    dgpa = tmp_path / "dgpa.csv"
    dgpa.write_bytes((DATA / "dgpa-2026-sample.csv").read_bytes())
    assert run("calendar", "import-dgpa", str(dgpa)).exit_code == 0
    created = run(
        "user", "create", "lin", "--role", "clerk", "--department", "sanmin/social",
        "--generate-password",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert run("apikey", "create", "open311-gateway", "--scope", "cases:read").exit_code == 0
    assert run("apikey", "revoke", "open311-gateway").exit_code == 0
    actor = f"cli:{getpass.getuser()}"
    entries = _audit(database)
    assert [(action, who, target) for action, who, target, _ in entries] == [
        ("catalogue_reloaded", actor, "test-catalogue.yaml"),
        ("catalogue_reloaded", actor, "test-catalogue.yaml"),
        ("calendar_imported", actor, "dgpa.csv"),
        ("user_created", actor, "lin"),
        ("api_key_created", actor, "open311-gateway"),
        ("api_key_revoked", actor, "open311-gateway"),
    ]
    first_load, second_load, imported, user, key, _revoked = (e[3] for e in entries)
    assert any("five-wd" in line for line in first_load["changes"])  # type: ignore[union-attr]
    assert second_load == {"changes": []}
    assert set(imported) == {"first", "last", "changed_days", "retimed"}
    assert user == {"role": "clerk", "department": "sanmin/social"}
    assert key == {"scopes": "cases:read", "agency": None}
    # Nothing secret or personal: no password, no key.
    assert "ctk_" not in repr(entries)


def test_calendar_reopen_withdraws_a_closure_and_is_audited(run: Run, database: Database) -> None:
    run("db", "upgrade")
    run("catalogue", "load", CATALOGUE)
    assert run("calendar", "close", "2026-04-15", "--reason", "颱風").exit_code == 0
    refused = run("calendar", "reopen", "2026-04-16", "--reason", "誤植")
    assert refused.exit_code != 0
    assert "no closure is declared on 2026-04-16" in refused.output
    assert "nothing was changed" in refused.output
    reopened = run("calendar", "reopen", "2026-04-15", "--reason", "颱風轉向")
    assert reopened.exit_code == 0, reopened.output
    assert "Withdrew the closure of 2026-04-15 (city-wide): 0 open cases re-timed." in (
        reopened.output
    )
    assert _count(database, Closure) == 0
    closures = [e for e in _audit(database) if e[0].startswith("closure_")]
    actor = f"cli:{getpass.getuser()}"
    assert [(action, who, target, data) for action, who, target, data in closures] == [
        ("closure_declared", actor, "2026-04-15 city-wide", {"retimed": 0, "reason": "颱風"}),
        ("closure_withdrawn", actor, "2026-04-15 city-wide", {"retimed": 0, "reason": "颱風轉向"}),
    ]


def test_catalogue_export_is_taken_back_unchanged(
    run: Run, database: Database, tmp_path: Path
) -> None:
    run("db", "upgrade")
    run("catalogue", "load", str(DEMO_CATALOGUE))
    exported = tmp_path / "exported.yaml"
    result = run("catalogue", "export", str(exported))
    assert result.exit_code == 0, result.output
    assert "5 agencies and 25 services" in result.output
    versions = _count(database, ServiceVersion)
    again = run("catalogue", "load", str(exported))
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
    assert _count(database, ServiceVersion) == versions
    # What it wrote is the demo catalogue's content, service by service and agency by agency.
    original, written = read_catalogue(DEMO_CATALOGUE), read_catalogue(exported)
    assert [s.content() for s in written.services] == [s.content() for s in original.services]
    assert [a.content() for a in written.agencies] == [a.content() for a in original.agencies]


def test_catalogue_export_leaves_out_services_closed_for_filing(
    run: Run, database: Database, tmp_path: Path
) -> None:
    run("db", "upgrade")
    run("catalogue", "load", CATALOGUE)
    fewer = tmp_path / "fewer.yaml"
    text = Path(CATALOGUE).read_text(encoding="utf-8")
    fewer.write_text(text[: text.index("  - code: petition")], encoding="utf-8")
    run("catalogue", "load", str(fewer))
    exported = tmp_path / "exported.yaml"
    assert run("catalogue", "export", str(exported)).exit_code == 0
    assert "petition" not in {s.code for s in read_catalogue(exported).services}
    assert "No changes" in run("catalogue", "load", str(exported)).output


def test_catalogue_export_to_an_unwritable_place_says_so(run: Run, tmp_path: Path) -> None:
    run("db", "upgrade")
    result = run("catalogue", "export", str(tmp_path / "no-such-folder" / "x.yaml"))
    assert result.exit_code != 0
    assert "cannot write" in result.output
