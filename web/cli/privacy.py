"""``tracker privacy purge``: personal data kept only as long as needed (個資法 Art. 11)."""

from __future__ import annotations

import click

from tracker.clock import utc_now
from web.cli.base import command_actor, main, open_database, refusals, settings_or_exit


@main.group()
def privacy() -> None:
    """Personal data past each service's retention."""


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="Count the cases past retention; change nothing.")
@refusals
def privacy_purge(dry_run: bool) -> None:
    """Erase the applicant's personal data of closed cases past their service's retention."""
    from tracker.cases.retention import PurgeReport, purge

    def progress(report: PurgeReport) -> None:
        # Long runs (a first purge of years of cases) say they are alive; stdout keeps the totals.
        click.echo(f"  … {report.total:,} cases erased so far", err=True)

    with open_database(settings_or_exit()) as database:
        report = purge(
            database, utc_now(), dry_run=dry_run, actor=command_actor(), progress=progress
        )
    if not report.total:
        click.echo("No closed case is past its retention: nothing to erase.")
        return
    if dry_run:
        click.echo(f"{report.total:,} cases are past retention (dry run: nothing was changed):")
    else:
        click.echo(f"Erased the personal data of {report.total:,} cases past retention:")
    for code, count in sorted(report.erased.items()):
        click.echo(f"  {code}: {count:,}")
