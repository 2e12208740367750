"""``tracker apikey create NAME [--scope S]... [--agency CODE]``: scoped keys, bound or not."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.cli.conftest import Run
from tests.conftest import DATA
from tracker.db import Database
from tracker.models import Agency, ApiKey, AuditEntry

CATALOGUE = str(DATA / "test-catalogue.yaml")


def _keys(database: Database) -> list[tuple[str, str, int | None]]:
    with database.transaction() as s:
        return [
            (k.name, k.scopes, k.agency_id) for k in s.scalars(select(ApiKey).order_by(ApiKey.id))
        ]


def test_scopes_and_agency_are_given_and_the_key_is_last(run: Run, database: Database) -> None:
    run("db", "upgrade")
    assert run("catalogue", "load", CATALOGUE).exit_code == 0
    result = run(
        "apikey", "create", "sanmin welfare", "--scope", "cases:read", "--scope",
        "cases:read-personal", "--scope", "cases:write", "--agency", "sanmin",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("ctk_")
    assert lines[-1] not in "\n".join(lines[:-1])
    assert "cases:read,cases:read-personal,cases:write" in lines[0]
    assert "agency sanmin" in lines[0]
    with database.transaction() as s:
        sanmin = s.scalar(select(Agency.id).where(Agency.code == "sanmin"))
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "api_key_created")).one()
        assert audit.data == {
            "scopes": "cases:read,cases:read-personal,cases:write",
            "agency": "sanmin",
        }
    assert _keys(database) == [
        ("sanmin welfare", "cases:read,cases:read-personal,cases:write", sanmin)
    ]


def test_without_scope_a_key_may_submit_and_read_cases(run: Run, database: Database) -> None:
    run("db", "upgrade")
    result = run("apikey", "create", "kiosk")
    assert result.exit_code == 0, result.output
    assert _keys(database) == [("kiosk", "cases:read,open311:submit", None)]


def test_an_unknown_scope_or_agency_is_refused_and_creates_nothing(
    run: Run, database: Database
) -> None:
    run("db", "upgrade")
    assert run("catalogue", "load", CATALOGUE).exit_code == 0
    for args, reason in (
        (("--scope", "cases:delete"), "unknown scope 'cases:delete'"),
        (("--scope", "read"), "unknown scope 'read'"),
        (("--agency", "atlantis"), "there is no agency 'atlantis'"),
    ):
        result = run("apikey", "create", "kiosk", *args)
        assert result.exit_code != 0, args
        assert reason in result.output
        assert "nothing was changed" in result.output
        assert "ctk_" not in result.output
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ApiKey)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "api_key_created"
        )) == 0  # fmt: skip


def test_the_old_read_only_flag_is_gone(run: Run) -> None:
    run("db", "upgrade")
    result = run("apikey", "create", "kiosk", "--read-only")
    assert result.exit_code != 0
    assert "No such option" in result.output
