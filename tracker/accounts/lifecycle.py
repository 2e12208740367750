"""An account's life after ``create_user``: deactivation, reactivation, a password reset, a
change of role or department, the user's own password change, and ending every session.

The writes for both the console and the command line; each records itself in the audit log
(who, whom, what changed; never a password). Sessions end through ``users.session_generation``:
a console session remembers the generation it was made in, and the console refuses a session
whose generation is no longer the user's. Whatever must end the user's sessions at once
(deactivation, a new password, a new role or department, signing out) bumps it here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.accounts import audit
from tracker.accounts.passwords import generate_password, password_problem
from tracker.accounts.users import check_workplace, hash_password, verify_password
from tracker.errors import InvalidInput
from tracker.models import Role, User

NO_ADMIN_LEFT = "would leave no active administrator"


def find_user(session: Session, username: str) -> User:
    """The user named ``username`` (any case), or InvalidInput saying there is none."""
    name = username.strip().lower()
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise InvalidInput({"username": f"there is no user '{name}'"})
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """End every session of the user, in every browser: an atomic bump of the generation."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session="fetch")
    )


def _refuse_last_admin(session: Session, user: User) -> None:
    # The console is the office's only way in besides the server's shell: keep one admin.
    if user.role != Role.ADMIN or not user.active:
        return
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
    )
    if not others:
        raise InvalidInput({"username": NO_ADMIN_LEFT})


def _record(
    session: Session,
    action: str,
    user: User,
    *,
    actor: str,
    now: datetime,
    remote_addr: str | None,
    data: dict[str, object] | None = None,
) -> None:
    audit.record_audit(
        session, action, actor=actor, at=now, target=user.username, remote_addr=remote_addr,
        data=data,
    )  # fmt: skip


def deactivate(
    session: Session, username: str, *, actor: str, now: datetime, remote_addr: str | None = None
) -> User:
    """Deactivate the user: no login from now on, every session ends at once."""
    user = find_user(session, username)
    _refuse_last_admin(session, user)
    user.active = False
    end_sessions(session, user.id)
    _record(session, audit.USER_DEACTIVATED, user, actor=actor, now=now, remote_addr=remote_addr)
    return user


def activate(
    session: Session, username: str, *, actor: str, now: datetime, remote_addr: str | None = None
) -> User:
    """Let a deactivated user sign in again (with the password they had, or a reset one)."""
    user = find_user(session, username)
    user.active = True
    _record(session, audit.USER_ACTIVATED, user, actor=actor, now=now, remote_addr=remote_addr)
    return user


def reset_password(
    session: Session, username: str, *, actor: str, now: datetime, remote_addr: str | None = None
) -> tuple[User, str]:
    """A new one-time password for the user, returned once and never stored: it lets them in
    only to choose their own. Every session ends; TOTP, role and department stay."""
    user = find_user(session, username)
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_sessions(session, user.id)
    _record(session, audit.PASSWORD_RESET, user, actor=actor, now=now, remote_addr=remote_addr)
    return user, password


def set_role(
    session: Session,
    username: str,
    *,
    role: str,
    department: str | None,
    actor: str,
    now: datetime,
    remote_addr: str | None = None,
) -> User:
    """Give the user a role and a workplace (``AGENCY/DEPT``, ``AGENCY`` or none), checked as
    ``create_user`` checks them; every session ends, so the new rights apply at once."""
    user = find_user(session, username)
    errors: dict[str, str] = {}
    department_id, agency_id = check_workplace(session, role, department, errors)
    if errors:
        raise InvalidInput(errors)
    if role != Role.ADMIN:
        _refuse_last_admin(session, user)
    before = {"role": user.role, "department": _workplace(user)}
    user.role = role
    user.department_id = department_id
    user.agency_id = agency_id
    session.flush()
    session.refresh(user)  # the joined department and agency of the new ids
    end_sessions(session, user.id)
    after = {"role": user.role, "department": _workplace(user)}
    _record(
        session, audit.ROLE_CHANGED, user, actor=actor, now=now, remote_addr=remote_addr,
        data={"before": before, "after": after},
    )  # fmt: skip
    return user


def _workplace(user: User) -> str | None:
    if user.department is not None:
        return user.department.path
    return user.agency.code if user.agency is not None else None


def change_own_password(
    session: Session,
    user_id: int,
    *,
    current: str,
    new: str,
    now: datetime,
    remote_addr: str | None = None,
) -> User:
    """The user's own new password, after the current one (or the one-time one) is given.

    Every other session of the user ends; the caller re-issues its own with the returned
    user's ``session_generation``.
    """
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidInput({"username": "this account is not active"})
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current"] = "is not your current password"
    problem = password_problem(new, username=user.username)
    if problem:
        errors["new"] = problem
    elif new == current:
        errors["new"] = "must differ from the current password"
    if errors:
        raise InvalidInput(errors)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    end_sessions(session, user.id)
    _record(
        session, audit.PASSWORD_CHANGED, user, actor=user.username, now=now,
        remote_addr=remote_addr,
    )  # fmt: skip
    return user
