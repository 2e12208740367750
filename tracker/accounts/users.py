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

from tracker.errors import InvalidInput
from tracker.models import Agency, ApiKey, Department, Role, User
from tracker.text import clean_text

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
MIN_PASSWORD = 10
SCOPES = ("read", "write")
KEY_PREFIX = "ctk_"


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 - no l/1 or o/0


def generate_password() -> str:
    """A password a person can type: four groups of five, 100 bits (e.g. ``k3mfa-...``)."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(5)) for _ in range(4))


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
    """Create a console user; refuses a taken name, unknown role or department, short password.

    ``department`` is ``AGENCY/DEPT``, or ``AGENCY`` for staff of the whole agency.
    """
    errors: dict[str, str] = {}
    username = username.strip().lower()
    if not _USERNAME.match(username):
        errors["username"] = "use 2–60 lowercase letters, digits, '.', '_' or '-'"
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = f"'{username}' is already taken"
    if role not in {r.value for r in Role}:
        errors["role"] = "must be clerk, supervisor or admin"
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"must be at least {MIN_PASSWORD} characters"
    try:
        display_name = clean_text(display_name, max_length=100)
    except ValueError as exc:
        errors["display_name"] = str(exc)
    department_id = agency_id = None
    if department:
        try:
            department_id, agency_id = resolve_workplace(session, department)
        except ValueError as exc:
            errors["department"] = str(exc)
    elif role in (Role.CLERK, Role.SUPERVISOR):
        errors["department"] = "clerks and supervisors belong to a department (agency/dept)"
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
    session: Session, name: str, *, now: datetime, scopes: tuple[str, ...] = SCOPES
) -> tuple[ApiKey, str]:
    """A new key for another system; returns the row and the key, which is never stored."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 80:
        errors["name"] = "give the key a name of 1–80 characters (who uses it)"
    elif session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        errors["name"] = f"a key named '{name}' exists already"
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        errors["scopes"] = f"choose from {', '.join(SCOPES)}"
    if errors:
        raise InvalidInput(errors)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        prefix=key[:12],
        key_hash=hash_api_key(key),
        scopes=",".join(sorted(set(scopes))),
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
