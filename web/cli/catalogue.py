"""``tracker db upgrade``, ``tracker catalogue load`` and ``export``: the schema and the SOPs."""

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


@catalogue.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@refusals
def catalogue_export(file: Path) -> None:
    """Write the catalogue as the database holds it to FILE (YAML that `catalogue load` takes
    back unchanged), with the SOP versions saved in the console."""
    from tracker.catalogue.export import catalogue_yaml, stored_catalogue

    now = utc_now()
    with transaction(settings_or_exit()) as session:
        catalogue = stored_catalogue(session)
    header = (
        f"Service catalogue exported by `tracker catalogue export` on {now:%Y-%m-%d %H:%M} UTC.\n"
        "Edit it and load it with `tracker catalogue load FILE` (DESIGN §5.1 describes the keys)."
    )
    try:
        file.write_text(catalogue_yaml(catalogue, header), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror}")
    click.echo(
        f"Wrote {len(catalogue.agencies)} agencies and {len(catalogue.services)} services "
        f"to {file}."
    )
