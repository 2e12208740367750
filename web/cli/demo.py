"""The ``tracker`` command: the domain's commands plus ``tracker demo``, which runs everything.

``demo`` lives here, at the top of the layers, because it starts the web app and the embedded
worker; the other commands are ``web.cli``'s.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click
from sqlalchemy import make_url, select

from config import SettingsError, load_settings
from config.instance import private_file, private_folder
from tracker import migrate
from tracker.catalogue import DEMO_CATALOGUE
from tracker.clock import utc_now
from tracker.db import Database
from tracker.deadlines.engine import Deadline
from tracker.identifiers import format_lookup_code
from tracker.models import Case, Notice
from web.cli.base import main
from web.cli.demo_data import prepare_demo

__all__ = ["main"]

# Listening everywhere is no address to link to: links name this machine as itself reaches it.
_EVERYWHERE = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 - names, no bind


def site_address(host: str, port: int) -> str:
    """The demo's public address for ``--host`` and ``--port``: http://127.0.0.1:5000."""
    host = _EVERYWHERE.get(host, host)
    if ":" in host:  # an IPv6 address goes in brackets
        host = f"[{host}]"
    return f"http://{host}:{port}"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Run the whole product on this machine: SQLite, no Redis, notices to the local outbox."""
    from notifications.channels import channels_from_settings
    from notifications.dispatch import Dispatcher
    from web import create_app
    from workers.embedded import EmbeddedWorker

    try:
        # The demo's own key and database, in a folder only this account can read.
        settings = load_settings(demo=True)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.catalogue_file is None:
        # The admin's "reload catalogue" reloads what the demo loaded.
        settings = replace(settings, catalogue_file=DEMO_CATALOGUE)
    if not os.environ.get("PUBLIC_BASE_URL", "").strip():
        # The links in notices and the receipts' QR codes lead to where the demo listens.
        settings = replace(settings, public_base_url=site_address(host, port))
    private_folder(settings.instance_path)
    sqlite_file = make_url(settings.database_url).database if settings.is_sqlite else None
    if sqlite_file and sqlite_file != ":memory:":
        # Applicants' names and phones: created readable by this account only.
        private_file(Path(sqlite_file))
    click.echo(f"Database: {settings.database_url}")
    migrate.upgrade(settings.database_url)
    database = Database(settings.database_url)
    with database.transaction() as session:
        setup = prepare_demo(session, now=utc_now())
        for line in setup.catalogue:
            click.echo(f"  catalogue: {line}")
        for username, password in setup.passwords.items():
            click.echo(f"  user {username}: password {password}  (shown once)")
        click.echo("Open cases:")
        for case in session.scalars(select(Case).where(Case.closed_at.is_(None)).order_by(Case.id)):
            due = Deadline(case.due_date, case.due_at).display() if case.due_at else "paused"
            click.echo(
                f"  {case.number}  code {format_lookup_code(case.lookup_code)}  "
                f"{case.service_version.name['zh-TW']}  due {due}"
            )

    printed: set[int] = set()

    def print_outbox() -> None:
        """Show each notice delivered to the local outbox once, as the applicant would read it."""
        with database.transaction() as session:
            rows = session.scalars(
                select(Notice)
                .where(Notice.provider_id.like("outbox-%"))
                .order_by(Notice.id.desc())
                .limit(50)
            ).all()
        for notice in reversed(rows):
            if notice.id in printed or not notice.rendered:
                continue
            printed.add(notice.id)
            body = notice.rendered.get("sms") or notice.rendered.get("subject", "")
            click.echo(f"[outbox] {notice.kind} by {notice.channel}: {body}")

    dispatcher = Dispatcher(database, channels_from_settings(settings), settings)
    worker = EmbeddedWorker(database, dispatcher, on_round=print_outbox)
    worker.start()
    site = settings.public_base_url
    click.echo(f"Counter console: {site}/counter   (log in as clerk, supervisor, head or admin)")
    click.echo(f"Citizen status:  {site}/status    (a case number and its code, as above)")
    click.echo(f"Outbox page:     {site}/outbox    (Ctrl+C stops the demo)")
    try:
        create_app(settings).run(host=host, port=port, use_reloader=False)
    finally:
        worker.stop()
        worker.join(timeout=5)
