"""Console users (argon2-hashed passwords) and API keys (SHA-256 at rest, shown once)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.accounts.passwords import generate_password as generate_password
from tracker.accounts.passwords import password_problem
from tracker.errors import InvalidInput
from tracker.models import Agency, ApiKey, Department, Role, User
from tracker.text import clean_text

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
KEY_PREFIX = "ctk_"

# What an API key may do (DESIGN §5.2). Reading a case shows its applicant's name, phone and
# email only with CASES_READ_PERSONAL: most systems need the case, not the person.
CASES_READ = "cases:read"
CASES_READ_PERSONAL = "cases:read-personal"
CASES_WRITE = "cases:write"
OPEN311_SUBMIT = "open311:submit"
CALENDAR_ADMIN = "calendar:admin"
SCOPES = (CASES_READ, CASES_READ_PERSONAL, CASES_WRITE, OPEN311_SUBMIT, CALENDAR_ADMIN)
# A key created without --scope: a citizen-facing front end that files and follows cases.
DEFAULT_SCOPES = (OPEN311_SUBMIT, CASES_READ)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def resolve_workplace(session: Session, workplace: str) -> tuple[int | None, int | None]:
    """(department id, agency id) of ``AGENCY/DEPT`` (a department) or ``AGENCY`` (the whole
    agency: its supervisors' agency view, its one-stop counter); ValueError saying why not."""
    agency_code, slash, dept_code = workplace.strip().partition("/")
    if not slash:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == agency_code))
        if agency_id is None:
            raise ValueError(f"there is no agency '{workplace}'")
        return None, agency_id
    department_id = session.scalar(
        select(Department.id)
        .join(Agency)
        .where(Agency.code == agency_code, Department.code == dept_code)
    )
    if department_id is None:
        raise ValueError(f"there is no department '{workplace}' (write agency/dept)")
    return department_id, None


def check_workplace(
    session: Session, role: str, department: str | None, errors: dict[str, str]
) -> tuple[int | None, int | None]:
    """(department id, agency id) for a user of ``role`` at ``department`` (``AGENCY/DEPT``,
    ``AGENCY`` or none); what is wrong goes into ``errors`` under "role" or "department"."""
    if role not in {r.value for r in Role}:
        errors["role"] = "must be clerk, supervisor or admin"
    if department:
        try:
            return resolve_workplace(session, department)
        except ValueError as exc:
            errors["department"] = str(exc)
    elif role in (Role.CLERK, Role.SUPERVISOR):
        errors["department"] = "clerks and supervisors belong to a department (agency/dept)"
    return None, None


def create_user(
    session: Session,
    username: str,
    *,
    role: str,
    password: str,
    now: datetime,
    department: str | None = None,
    display_name: str = "",
) -> User:
    """Create a console user; refuses a taken name, unknown role or department, a password the
    policy refuses (tracker.accounts.passwords).

    ``department`` is ``AGENCY/DEPT``, or ``AGENCY`` for staff of the whole agency.
    """
    errors: dict[str, str] = {}
    username = username.strip().lower()
    if not _USERNAME.match(username):
        errors["username"] = "use 2–60 lowercase letters, digits, '.', '_' or '-'"
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = f"'{username}' is already taken"
    problem = password_problem(password, username=username)
    if problem:
        errors["password"] = problem
    try:
        display_name = clean_text(display_name, max_length=100)
    except ValueError as exc:
        errors["display_name"] = str(exc)
    department_id, agency_id = check_workplace(session, role, department, errors)
    if errors:
        raise InvalidInput(errors)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        department_id=department_id,
        agency_id=agency_id,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def hash_api_key(key: str) -> str:
    """The stored form of an API key (keys are random, so a plain SHA-256 is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    session: Session,
    name: str,
    *,
    now: datetime,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
    agency: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key for another system; returns the row and the key, which is never stored.

    ``agency`` (a code) binds the key to that agency's cases; without it the key sees all.
    """
    name = name.strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 80:
        errors["name"] = "give the key a name of 1–80 characters (who uses it)"
    elif session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        errors["name"] = f"a key named '{name}' exists already"
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        what = f"unknown scope '{unknown[0]}'; " if unknown else ""
        errors["scopes"] = f"{what}choose from {', '.join(SCOPES)}"
    agency_id = None
    if agency is not None:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == agency.strip()))
        if agency_id is None:
            errors["agency"] = f"there is no agency '{agency}'"
    if errors:
        raise InvalidInput(errors)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        prefix=key[:12],
        key_hash=hash_api_key(key),
        scopes=",".join(sorted(set(scopes))),
        agency_id=agency_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, key


def authenticate_api_key(session: Session, key: str, *, now: datetime) -> ApiKey | None:
    """The live key ``key`` is, or None (unknown, malformed or revoked); notes its last use."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = now
    return row


def key_scopes(row: ApiKey) -> frozenset[str]:
    """The scopes an API key grants."""
    return frozenset(scope for scope in row.scopes.split(",") if scope)


def revoke_api_key(session: Session, name: str, *, now: datetime) -> ApiKey:
    """Revoke the key named ``name`` at once; InvalidInput when there is none."""
    row = session.scalar(select(ApiKey).where(ApiKey.name == name.strip()))
    if row is None:
        raise InvalidInput({"name": f"there is no API key named '{name}'"})
    if row.revoked_at is None:
        row.revoked_at = now
    return row
