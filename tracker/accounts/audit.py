"""Recording and reading the audit log: console logins, and every administrative change (users,
API keys, catalogue reloads, SOPs edited in the console, calendar imports, closures) whether the
console or the command line made it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.deadlines.timezones import require_aware
from tracker.models import AuditEntry

# What the console records; case actions are not here: each is a case event with its actor.
LOGIN_SUCCEEDED = "login_succeeded"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
USER_CREATED = "user_created"
CATALOGUE_RELOADED = "catalogue_reloaded"
# A service's SOP saved in the console's editor: its new version and what changed (a diff).
SOP_SAVED = "sop_saved"
CLOSURE_DECLARED = "closure_declared"
CLOSURE_WITHDRAWN = "closure_withdrawn"
# The command line's own administration (web/cli/) is recorded like the console's.
CALENDAR_IMPORTED = "calendar_imported"
API_KEY_CREATED = "api_key_created"
API_KEY_REVOKED = "api_key_revoked"
# A letter task marked done changes no case (no event, no version): the notice records who and
# when, and the audit log keeps the act.
TASK_DONE = "task_done"
# An account's lifecycle (tracker.accounts.lifecycle): each also ends the user's sessions.
USER_DEACTIVATED = "user_deactivated"
USER_ACTIVATED = "user_activated"
PASSWORD_RESET = "password_reset"  # noqa: S105 - an action's name, not a password
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an action's name, not a password
ROLE_CHANGED = "role_changed"
# The second factor (TOTP): turned on by the user, a code refused at sign-in, reset by the CLI.
TOTP_ENROLLED = "totp_enrolled"
TOTP_FAILED = "totp_failed"
TOTP_RESET = "totp_reset"


def record_audit(
    session: Session,
    action: str,
    *,
    actor: str,
    at: datetime,
    target: str | None = None,
    remote_addr: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; callers pass no personal data (names, phones, emails) in ``data``."""
    entry = AuditEntry(
        at=require_aware(at, "at"),
        actor=actor[:80],
        action=action,
        target=target[:120] if target else None,
        remote_addr=remote_addr[:45] if remote_addr else None,
        data=data or {},
    )
    session.add(entry)
    return entry


def record_closure(
    session: Session,
    *,
    actor: str,
    at: datetime,
    day: date,
    agency_code: str | None,
    reason: str,
    retimed: int,
    remote_addr: str | None = None,
    withdrawn: bool = False,
) -> AuditEntry:
    """A closure declared (or withdrawn), the same entry from the console, the command line or
    the API."""
    return record_audit(
        session,
        CLOSURE_WITHDRAWN if withdrawn else CLOSURE_DECLARED,
        actor=actor,
        at=at,
        target=f"{day.isoformat()} {agency_code or 'city-wide'}",
        remote_addr=remote_addr,
        data={"retimed": retimed, "reason": reason},
    )


def recent_audit(session: Session, *, limit: int = 100) -> Sequence[AuditEntry]:
    """The latest entries, newest first."""
    return session.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ).all()
