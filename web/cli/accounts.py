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


@user.command("deactivate")
@click.argument("username")
@refusals
def user_deactivate(username: str) -> None:
    """Deactivate USERNAME: no login from now on, and every session of theirs ends at once."""
    from tracker.accounts.lifecycle import deactivate

    with transaction(settings_or_exit()) as session:
        name = deactivate(session, username, actor=command_actor(), now=utc_now()).username
    click.echo(f"Deactivated '{name}'; their sessions have ended.")


@user.command("activate")
@click.argument("username")
@refusals
def user_activate(username: str) -> None:
    """Let USERNAME sign in again."""
    from tracker.accounts.lifecycle import activate

    with transaction(settings_or_exit()) as session:
        name = activate(session, username, actor=command_actor(), now=utc_now()).username
    click.echo(f"Activated '{name}'.")


@user.command("reset-password")
@click.argument("username")
@refusals
def user_reset_password(username: str) -> None:
    """A one-time password for USERNAME, printed alone on the last line; at the next login
    they must choose their own. Every session of theirs ends."""
    from tracker.accounts.lifecycle import reset_password

    with transaction(settings_or_exit()) as session:
        reset, password = reset_password(session, username, actor=command_actor(), now=utc_now())
        name = reset.username
    click.echo(f"Reset the password of '{name}'; their sessions have ended.")
    click.echo("One-time password (shown once; they choose their own at the next login):")
    click.echo(password)


@user.command("set-role")
@click.argument("username")
@click.option("--role", type=click.Choice(["clerk", "supervisor", "admin"]), required=True)
@click.option(
    "--department",
    help="AGENCY/DEPT, e.g. sanmin/social; or AGENCY, e.g. sanmin, for a whole agency; "
    "none for an administrator.",
)
@refusals
def user_set_role(username: str, role: str, department: str | None) -> None:
    """Give USERNAME a role and department; their sessions end so the change applies at once."""
    from tracker.accounts.lifecycle import set_role

    with transaction(settings_or_exit()) as session:
        changed = set_role(
            session, username, role=role, department=department, actor=command_actor(),
            now=utc_now(),
        )  # fmt: skip
        name, role_now = changed.username, changed.role
    where = f" in {department}" if department else ""
    click.echo(f"'{name}' is now {role_now}{where}; their sessions have ended.")


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
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="SCOPE",
    help="What the key may do; repeat for several: cases:read, cases:read-personal (the "
    "applicant's name, phone and email), cases:write, open311:submit, calendar:admin. "
    "Without it: open311:submit and cases:read.",
)
@click.option("--agency", help="Bind the key to one agency (its code): it sees only its cases.")
@refusals
def apikey_create(name: str, scopes: tuple[str, ...], agency: str | None) -> None:
    """Create an API key NAME; the key is printed once, alone on the last line."""
    from tracker.accounts.audit import API_KEY_CREATED, record_audit
    from tracker.accounts.users import DEFAULT_SCOPES, create_api_key

    now = utc_now()
    with transaction(settings_or_exit()) as session:
        row, key = create_api_key(
            session, name, now=now, scopes=scopes or DEFAULT_SCOPES, agency=agency
        )
        # The key itself is never recorded, only which one and what it may do.
        record_audit(
            session, API_KEY_CREATED, actor=command_actor(), at=now, target=row.name,
            data={"scopes": row.scopes, "agency": agency},
        )  # fmt: skip
    bound = f", agency {agency}" if agency else ""
    click.echo(f"Created API key '{row.name}' (scopes: {row.scopes}{bound}). It is shown only now:")
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
