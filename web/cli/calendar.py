"""``tracker calendar``: the DGPA office calendar, and closures declared or withdrawn."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from tracker.clock import utc_now
from web.cli.base import command_actor, fail, main, refusals, settings_or_exit, transaction


@main.group()
def calendar() -> None:
    """The office calendar: the DGPA import and closures."""


@calendar.command("import-dgpa")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@refusals
def calendar_import_dgpa(file: Path) -> None:
    """Import the official DGPA office calendar CSV (UTF-8 or Big5)."""
    from tracker.accounts.audit import CALENDAR_IMPORTED, record_audit
    from tracker.calendar.changes import import_dgpa_calendar
    from tracker.calendar.dgpa import DgpaFormatError, parse_dgpa

    try:
        days = parse_dgpa(file.read_bytes(), str(file))
    except DgpaFormatError as exc:
        fail(f"the calendar was refused, nothing was changed:\n{exc}")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    actor, now = command_actor(), utc_now()
    first, last = min(d.date for d in days), max(d.date for d in days)
    with transaction(settings_or_exit()) as session:
        result = import_dgpa_calendar(session, days, source=file.name, actor=actor, now=now)
        record_audit(
            session,
            CALENDAR_IMPORTED,
            actor=actor,
            at=now,
            target=file.name,
            data={
                "first": first.isoformat(),
                "last": last.isoformat(),
                "changed_days": len(result.changed_days),
                "retimed": len(result.retimed),
            },
        )
    click.echo(f"Imported {len(days)} days ({first} to {last}) from {file.name}.")
    click.echo(
        f"{len(result.changed_days)} days changed the calendar; "
        f"{len(result.retimed)} open cases re-timed."
    )


@calendar.command("close")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--agency", "agency_code", help="Only this agency (default: the whole city).")
@click.option("--reason", required=True, help="Why the offices are closed, e.g. 颱風停止上班.")
@refusals
def calendar_close(day: datetime, agency_code: str | None, reason: str) -> None:
    """Declare the offices closed on DAY (YYYY-MM-DD) and re-time the open cases it touches."""
    from tracker.calendar.changes import declare_closure

    actor, now = command_actor(), utc_now()
    with transaction(settings_or_exit()) as session:
        result = declare_closure(
            session,
            day.date(),
            agency_code=agency_code,
            reason=reason,
            actor=actor,
            now=now,
        )
    scope = agency_code or "city-wide"
    click.echo(f"Closed {day.date()} ({scope}): {len(result.retimed)} open cases re-timed.")


@calendar.command("reopen")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--agency", "agency_code", help="The agency's closure (default: the city-wide one).")
@click.option("--reason", required=True, help="Why it is withdrawn, e.g. 颱風轉向，照常上班.")
@refusals
def calendar_reopen(day: datetime, agency_code: str | None, reason: str) -> None:
    """Withdraw the closure of DAY (YYYY-MM-DD) and give the open cases their due dates back."""
    from tracker.calendar.changes import withdraw_closure

    actor, now = command_actor(), utc_now()
    with transaction(settings_or_exit()) as session:
        result = withdraw_closure(
            session, day.date(), agency_code=agency_code, reason=reason, actor=actor, now=now
        )
    scope, count = agency_code or "city-wide", len(result.retimed)
    click.echo(f"Withdrew the closure of {day.date()} ({scope}): {count} open cases re-timed.")
