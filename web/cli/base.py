"""What every ``tracker`` command shares: the group, the settings, refusals, a transaction."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, NoReturn

import click
from sqlalchemy.orm import Session

from config import Settings, SettingsError, load_settings
from tracker import migrate
from tracker.errors import InvalidInput, TrackerError

if TYPE_CHECKING:
    from tracker.db import Database


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` as an error and exit with ``code``."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def command_actor() -> str:
    """Who runs the command, as timelines, closures and the audit log name them.

    ``cli:<os user>``, like ``api:<key name>`` for the API: the operating-system account (as
    the environment or the password database give it) is all a command line knows of a person.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name at all, e.g. a container running as a bare uid
        return "cli"
    return f"cli:{user}"[:80]


def settings_or_exit() -> Settings:
    """The settings from the environment, or every problem with them and exit code 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc), 2)


def refusals(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the domain's refusals into a clear message and a non-zero exit (nothing changed)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InvalidInput as exc:
            lines = "\n".join(f"  {name}: {problem}" for name, problem in exc.fields.items())
            fail(f"nothing was changed:\n{lines}")
        except (TrackerError, ValueError) as exc:
            fail(f"{exc}\nNothing was changed.")

    return wrapper


@contextmanager
def open_database(settings: Settings) -> Iterator[Database]:
    """The configured database, which must be migrated to the latest schema."""
    from tracker.db import Database

    revision = migrate.current_revision(settings.database_url)
    if revision != migrate.head_revision():
        fail("the database is not set up or not up to date; run 'tracker db upgrade' first.")
    database = Database(settings.database_url)
    try:
        yield database
    finally:
        database.dispose()


@contextmanager
def transaction(settings: Settings) -> Iterator[Session]:
    """A transaction on the configured database, which must be migrated to the latest schema."""
    with open_database(settings) as database, database.transaction() as session:
        yield session


@click.group()
def main() -> None:
    """Case Tracker: cases, deadlines and notices for Kaohsiung City offices."""
