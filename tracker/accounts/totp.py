"""A second factor for console users: TOTP codes (RFC 6238) from a phone app, with ``pyotp``.

Enrolment keeps a fresh secret on the user's row until they prove their app has it by typing a
code; then ``totp_confirmed_at`` is set and every sign-in asks for a code. A code is accepted
for the current 30-second step and one step either side (a phone's clock drifts), and never
twice: the step of the last accepted code is kept, and only a later step is accepted after it,
so a code read over a shoulder is useless once used. The row is locked while a code is checked,
so two requests with one code cannot both pass.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.deadlines.timezones import require_aware
from tracker.errors import InvalidInput
from tracker.models import User

ISSUER = "Case Tracker"
# Steps either side of now that are still accepted: 30 s of clock drift each way.
VALID_WINDOW = 1
_CODE = re.compile(r"[0-9]{6}")  # ASCII digits only: \d matches other scripts' digits too


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` address a phone app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def matching_step(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is valid at ``now`` and later than
    ``last_step``; None otherwise. Spaces in the code are ignored (apps show ``123 456``)."""
    code = code.replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(require_aware(now, "now"))
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue  # used already, or older than a code that was: a replay
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def is_enrolled(user: User) -> bool:
    """Whether the user's sign-in asks for a code."""
    return user.totp_secret is not None and user.totp_confirmed_at is not None


def enrolment_secret(session: Session, user_id: int) -> str:
    """The secret being enrolled: kept on the row, so reloading the page shows the same QR
    code; a new one when there is none."""
    user = _locked(session, user_id)
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        user.totp_last_step = None
    return user.totp_secret


def confirm_enrolment(session: Session, user_id: int, code: str, *, now: datetime) -> bool:
    """Turn the second factor on if ``code`` comes from the secret being enrolled."""
    user = _locked(session, user_id)
    if user.totp_secret is None or is_enrolled(user):
        return False
    step = matching_step(user.totp_secret, code, now=now, last_step=user.totp_last_step)
    if step is None:
        return False
    user.totp_confirmed_at = now
    user.totp_last_step = step
    return True


def accept_code(session: Session, user_id: int, code: str, *, now: datetime) -> bool:
    """Whether ``code`` is a fresh valid code of an enrolled user; remembers its step."""
    user = _locked(session, user_id)
    if not is_enrolled(user):
        return False
    assert user.totp_secret is not None  # is_enrolled says so
    step = matching_step(user.totp_secret, code, now=now, last_step=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def reset(session: Session, username: str) -> User:
    """Forget a user's second factor (a lost phone): they sign in with the password alone, or
    must enrol again where it is required. InvalidInput when there is no such user."""
    user = session.scalar(
        select(User).where(User.username == username.strip().lower()).with_for_update(of=User)
    )
    if user is None:
        raise InvalidInput({"username": f"there is no user '{username.strip()}'"})
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    return user


def _locked(session: Session, user_id: int) -> User:
    # ``of=User``: the row's department and agency are joined eagerly (outer joins), which
    # PostgreSQL cannot lock; only the user's row needs to be.
    user = session.scalar(select(User).where(User.id == user_id).with_for_update(of=User))
    if user is None:
        raise InvalidInput({"user": "there is no such user"})
    return user
