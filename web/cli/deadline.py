"""``tracker deadline``: the due date the engine gives, on the configured calendar."""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise
from typing import Any

import click
from sqlalchemy import select

from tracker import migrate
from web.cli.base import fail, main, settings_or_exit


def _parse_received(text: str) -> datetime:
    from tracker.deadlines.timezones import TAIPEI

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"'{text}' is not ISO 8601, e.g. 2026-02-13T10:00 or 2026-02-13T10:00+08:00"
        ) from None
    # Without an offset the time is Taipei time, as the contract says.
    return value if value.tzinfo else value.replace(tzinfo=TAIPEI)


def _parse_pause(text: str) -> tuple[date, date]:
    start, sep, end = text.partition("/")
    try:
        if not sep:
            raise ValueError
        pause = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise click.BadParameter(
            f"'{text}' is not FROM/TO with two dates, e.g. 2026-03-04/2026-03-09"
        ) from None
    if pause[1] < pause[0]:
        raise click.BadParameter(f"'{text}': the documents cannot arrive before the request")
    return pause


@main.command()
@click.option("--received", required=True, help="When the case was received (ISO 8601).")
@click.option("--limit", "limit_text", required=True, help="The time limit, e.g. 5wd, 14d, 2mo.")
@click.option("--pause", "pauses", multiple=True, help="A supplement pause FROM/TO (dates).")
@click.option("--clock", type=click.Choice(["pause", "restart"]), default="pause")
@click.option("--agency", "agency_code", help="Apply this agency's closures too.")
def deadline(
    received: str, limit_text: str, pauses: tuple[str, ...], clock: str, agency_code: str | None
) -> None:
    """Print the due date of a case received at RECEIVED with LIMIT."""
    from tracker.deadlines.engine import ClockPolicy, Pause, compute_deadline
    from tracker.deadlines.limits import InvalidLimit, parse_limit
    from tracker.deadlines.timezones import iso_taipei, start_of_local_day

    received_at = _parse_received(received)
    try:
        limit = parse_limit(limit_text)
    except InvalidLimit as exc:
        raise click.BadParameter(str(exc), param_hint="--limit") from None
    spans = sorted(_parse_pause(p) for p in pauses)
    for (_, end), (start, _) in pairwise(spans):
        if start < end:
            raise click.BadParameter("pauses overlap", param_hint="--pause")
    calendar = _calendar_for(agency_code)
    try:
        result = compute_deadline(
            received_at,
            limit,
            calendar,
            pauses=[Pause(start_of_local_day(a), start_of_local_day(b)) for a, b in spans],
            clock=ClockPolicy(clock),
        )
    except ValueError as exc:
        fail(str(exc))
    assert result is not None  # every pause given on the command line has ended
    click.echo(result.display())
    click.echo(f"overdue from {iso_taipei(result.overdue_at)}")


def _calendar_for(agency_code: str | None) -> Any:
    """The configured database's calendar; the built-in one if the database is not set up."""
    from tracker.calendar.store import load_calendar
    from tracker.db import Database
    from tracker.deadlines.workcalendar import WorkCalendar
    from tracker.models import Agency

    settings = settings_or_exit()
    if migrate.current_revision(settings.database_url) is None:
        if agency_code:
            fail("the database is not set up, so no agency is known; run 'tracker db upgrade'.")
        click.echo(
            "note: the database is not set up; using the built-in Taiwan calendar only.", err=True
        )
        return WorkCalendar()
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            agency_id = None
            if agency_code:
                agency_id = session.scalar(select(Agency.id).where(Agency.code == agency_code))
                if agency_id is None:
                    fail(f"there is no agency '{agency_code}'.")
            return load_calendar(session, agency_id)
    finally:
        database.dispose()
