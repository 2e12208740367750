"""``tracker user`` and ``tracker apikey``: console users and API keys."""

from __future__ import annotations

import sys

import click

from tracker.clock import utc_now
from web.cli.base import command_actor, main, refusals, settings_or_exit, transaction


@main.group()
def user() -> None:
    """Console users."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["clerk", "supervisor", "admin"]), required=True)
@click.option(
    "--department",
    help="AGENCY/DEPT, e.g. sanmin/social; or AGENCY, e.g. sanmin, for a whole agency "
    "(a supervisor's agency view, a one-stop counter's clerk).",
)
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

    settings = settings_or_exit()
    generated = generate_password or not sys.stdin.isatty()
    if generated:
        password = make_password()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    now = utc_now()
    with transaction(settings) as session:
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
            actor=command_actor(),
            at=now,
            target=created.username,
            data={"role": created.role, "department": department or None},
        )
    where = f" in {department}" if department else ""
    click.echo(f"Created {created.role} '{created.username}'{where}.")
    if generated:
        click.echo("Password (shown once; change it after the first login):")
        click.echo(password)


@user.command("reset-totp")
@click.argument("username")
@refusals
def user_reset_totp(username: str) -> None:
    """Turn off USERNAME's two-step sign-in (a lost phone): they may enrol again."""
    from tracker.accounts.audit import TOTP_RESET, record_audit
    from tracker.accounts.totp import reset

    now = utc_now()
    with transaction(settings_or_exit()) as session:
        row = reset(session, username)
        name = row.username
        record_audit(session, TOTP_RESET, actor=command_actor(), at=now, target=name)
    click.echo(f"Two-step sign-in of '{name}' is reset: the next sign-in asks for no code.")


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
    with transaction(settings_or_exit()) as session:
        row, key = create_api_key(
            session, name, now=now, scopes=("read",) if read_only else ("read", "write")
        )
        # The key itself is never recorded, only which one and what it may do.
        record_audit(
            session, API_KEY_CREATED, actor=command_actor(), at=now, target=row.name,
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
    with transaction(settings_or_exit()) as session:
        row = revoke_api_key(session, name, now=now)
        revoked_at = row.revoked_at
        record_audit(session, API_KEY_REVOKED, actor=command_actor(), at=now, target=row.name)
    click.echo(f"Revoked API key '{name.strip()}' (since {revoked_at:%Y-%m-%d %H:%M} UTC).")
