"""The ``tracker`` command line (DESIGN §5.2)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings, SettingsError, load_settings
from tracker import migrate
from tracker.clock import utc_now
from tracker.errors import InvalidInput, TrackerError


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _actor() -> str:
    """Who runs the command, as timelines, closures and the audit log name them.

    ``cli:<os user>``, like ``api:<key name>`` for the API: the operating-system account (as
    the environment or the password database give it) is all a command line knows of a person.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name at all, e.g. a container running as a bare uid
        return "cli"
    return f"cli:{user}"[:80]


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        _fail(str(exc), 2)


def refusals(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the domain's refusals into a clear message and a non-zero exit (nothing changed)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InvalidInput as exc:
            lines = "\n".join(f"  {name}: {problem}" for name, problem in exc.fields.items())
            _fail(f"nothing was changed:\n{lines}")
        except (TrackerError, ValueError) as exc:
            _fail(f"{exc}\nNothing was changed.")

    return wrapper


@contextmanager
def _transaction(settings: Settings) -> Iterator[Session]:
    """A transaction on the configured database, which must be migrated to the latest schema."""
    from tracker.db import Database

    revision = migrate.current_revision(settings.database_url)
    if revision != migrate.head_revision():
        _fail("the database is not set up or not up to date; run 'tracker db upgrade' first.")
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            yield session
    finally:
        database.dispose()


@click.group()
def main() -> None:
    """Case Tracker: cases, deadlines and notices for Kaohsiung City offices."""


# --- db ---------------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the latest schema."""
    settings = _settings()
    migrate.upgrade(settings.database_url)
    click.echo(f"Database is at revision {migrate.current_revision(settings.database_url)}.")


# --- catalogue --------------------------------------------------------------------------------
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
        _fail(f"the catalogue was refused, nothing was changed:\n{exc}")
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    now = utc_now()
    with _transaction(_settings()) as session:
        report = load_catalogue(session, parsed, now=now)
        # As the console records a reload: the file and what it changed.
        record_audit(
            session,
            CATALOGUE_RELOADED,
            actor=_actor(),
            at=now,
            target=file.name,
            data={"changes": report.lines() if report.changed else []},
        )
    for line in report.lines():
        click.echo(line)


# --- calendar ---------------------------------------------------------------------------------
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
        _fail(f"the calendar was refused, nothing was changed:\n{exc}")
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    actor, now = _actor(), utc_now()
    first, last = min(d.date for d in days), max(d.date for d in days)
    with _transaction(_settings()) as session:
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
    from tracker.accounts.audit import record_closure
    from tracker.calendar.changes import declare_closure

    actor, now = _actor(), utc_now()
    with _transaction(_settings()) as session:
        result = declare_closure(
            session,
            day.date(),
            agency_code=agency_code,
            reason=reason,
            actor=actor,
            now=now,
        )
        # As the console records its closures: who, when, which day and scope, why.
        record_closure(
            session,
            actor=actor,
            at=now,
            day=day.date(),
            agency_code=agency_code,
            reason=reason,
            retimed=len(result.retimed),
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
    from tracker.accounts.audit import record_closure
    from tracker.calendar.changes import withdraw_closure

    actor, now = _actor(), utc_now()
    with _transaction(_settings()) as session:
        result = withdraw_closure(
            session, day.date(), agency_code=agency_code, reason=reason, actor=actor, now=now
        )
        record_closure(
            session,
            actor=actor,
            at=now,
            day=day.date(),
            agency_code=agency_code,
            reason=reason,
            retimed=len(result.retimed),
            withdrawn=True,
        )
    scope, count = agency_code or "city-wide", len(result.retimed)
    click.echo(f"Withdrew the closure of {day.date()} ({scope}): {count} open cases re-timed.")


# --- deadline ---------------------------------------------------------------------------------
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
        _fail(str(exc))
    assert result is not None  # every pause given on the command line has ended
    click.echo(result.display())
    click.echo(f"overdue from {iso_taipei(result.overdue_at)}")


def _calendar_for(agency_code: str | None) -> Any:
    """The configured database's calendar; the built-in one if the database is not set up."""
    from tracker.calendar.store import load_calendar
    from tracker.db import Database
    from tracker.deadlines.workcalendar import WorkCalendar
    from tracker.models import Agency

    settings = _settings()
    if migrate.current_revision(settings.database_url) is None:
        if agency_code:
            _fail("the database is not set up, so no agency is known; run 'tracker db upgrade'.")
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
                    _fail(f"there is no agency '{agency_code}'.")
            return load_calendar(session, agency_id)
    finally:
        database.dispose()


# --- users and keys ---------------------------------------------------------------------------
@main.group()
def user() -> None:
    """Console users."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["clerk", "supervisor", "admin"]), required=True)
@click.option("--department", help="AGENCY/DEPT, e.g. sanmin/social (clerks and supervisors).")
@click.option("--name", "display_name", default="", help="The name shown in the console.")
@click.option(
    "--generate-password", is_flag=True, help="Generate a password instead of asking for one."
)
@refusals
def user_create(
    username: str, role: str, department: str | None, display_name: str, generate_password: bool
) -> None:
    """Create a console user; asks for a password, or generates one."""
    from tracker.accounts.audit import USER_CREATED, record_audit
    from tracker.accounts.users import create_user
    from tracker.accounts.users import generate_password as make_password

    settings = _settings()
    generated = generate_password or not sys.stdin.isatty()
    if generated:
        password = make_password()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    now = utc_now()
    with _transaction(settings) as session:
        created = create_user(
            session,
            username,
            role=role,
            department=department,
            password=password,
            display_name=display_name,
            now=now,
        )
        record_audit(
            session,
            USER_CREATED,
            actor=_actor(),
            at=now,
            target=created.username,
            data={"role": created.role, "department": department or None},
        )
    where = f" in {department}" if department else ""
    click.echo(f"Created {created.role} '{created.username}'{where}.")
    if generated:
        click.echo("Password (shown once; change it after the first login):")
        click.echo(password)


@main.group()
def apikey() -> None:
    """API keys for other systems."""


@apikey.command("create")
@click.argument("name")
@click.option("--read-only", is_flag=True, help="Only the read scope.")
@refusals
def apikey_create(name: str, read_only: bool) -> None:
    """Create an API key NAME; the key is printed once, alone on the last line."""
    from tracker.accounts.audit import API_KEY_CREATED, record_audit
    from tracker.accounts.users import create_api_key

    now = utc_now()
    with _transaction(_settings()) as session:
        row, key = create_api_key(
            session, name, now=now, scopes=("read",) if read_only else ("read", "write")
        )
        # The key itself is never recorded, only which one and what it may do.
        record_audit(
            session, API_KEY_CREATED, actor=_actor(), at=now, target=row.name,
            data={"scopes": row.scopes},
        )  # fmt: skip
    click.echo(f"Created API key '{row.name}' (scopes: {row.scopes}). It is shown only now:")
    click.echo(key)


@apikey.command("revoke")
@click.argument("name")
@refusals
def apikey_revoke(name: str) -> None:
    """Revoke the API key NAME at once: every request with it is refused from now on."""
    from tracker.accounts.audit import API_KEY_REVOKED, record_audit
    from tracker.accounts.users import revoke_api_key

    now = utc_now()
    with _transaction(_settings()) as session:
        row = revoke_api_key(session, name, now=now)
        revoked_at = row.revoked_at
        record_audit(session, API_KEY_REVOKED, actor=_actor(), at=now, target=row.name)
    click.echo(f"Revoked API key '{name.strip()}' (since {revoked_at:%Y-%m-%d %H:%M} UTC).")
