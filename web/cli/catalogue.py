"""``tracker db upgrade`` and ``tracker catalogue load``: the schema and the SOP catalogue."""

from __future__ import annotations

from pathlib import Path

import click

from tracker import migrate
from tracker.clock import utc_now
from web.cli.base import command_actor, fail, main, refusals, settings_or_exit, transaction


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the latest schema."""
    settings = settings_or_exit()
    migrate.upgrade(settings.database_url)
    click.echo(f"Database is at revision {migrate.current_revision(settings.database_url)}.")


@main.group()
def catalogue() -> None:
    """The service catalogue (SOPs and time limits)."""


@catalogue.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@refusals
def catalogue_load(file: Path) -> None:
    """Load or reload a catalogue FILE (YAML); an invalid file changes nothing."""
    from tracker.accounts.audit import CATALOGUE_RELOADED, record_audit
    from tracker.catalogue.file import read_catalogue
    from tracker.catalogue.load import load_catalogue
    from tracker.catalogue.yaml_nodes import CatalogueInvalid

    try:
        parsed = read_catalogue(file)
    except CatalogueInvalid as exc:
        fail(f"the catalogue was refused, nothing was changed:\n{exc}")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    now = utc_now()
    with transaction(settings_or_exit()) as session:
        report = load_catalogue(session, parsed, now=now)
        # As the console records a reload: the file and what it changed.
        record_audit(
            session,
            CATALOGUE_RELOADED,
            actor=command_actor(),
            at=now,
            target=file.name,
            data={"changes": report.lines() if report.changed else []},
        )
    for line in report.lines():
        click.echo(line)
