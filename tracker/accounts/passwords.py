"""The one password policy (NIST SP 800-63B §5.1.1.2), and the passwords the product makes.

What the guideline asks, and only that: at least MIN_LENGTH characters, long passphrases
welcome (up to MAX_LENGTH), no composition rules (no "a digit and a symbol"), and a check
against passwords that are commonly used or easily guessed. The check is zxcvbn, a maintained
estimator that ships its own lists of common passwords, words and names and sees keyboard
patterns, repeats, sequences and dates; a password it scores below MIN_SCORE (of 0–4) is
refused with the reason it found. Every way a password is set (``tracker user create``, a
reset, a user's own change, the console) goes through ``password_problem``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 200
# zxcvbn's score 3: "safely unguessable: moderate protection from offline slow-hash scenario",
# guesses < 10^10; our hashes are argon2id, which is slower still.
MIN_SCORE = 3
# zxcvbn's matching grows quickly with length; what follows a long unguessable start adds
# only strength, so a long passphrase is judged by its first ESTIMATED characters.
ESTIMATED = 64

TOO_SHORT = f"must be at least {MIN_LENGTH} characters"
TOO_LONG = f"must be at most {MAX_LENGTH} characters"
# Why a password is too easy to guess: one message per kind of weakness zxcvbn names.
COMMON = "is too easy to guess: it is one of the most commonly used passwords"
PERSONAL = "is too easy to guess: it contains the user name"
WORDS = "is too easy to guess: common words or names alone are guessed quickly"
KEYBOARD = "is too easy to guess: keyboard patterns (like qwerty) are guessed quickly"
REPEATS = "is too easy to guess: repeats and sequences (like aaa or 1234) are guessed quickly"
DATES = "is too easy to guess: dates and years are guessed quickly"
GUESSABLE = "is too easy to guess: make it longer, e.g. several unrelated words"

_PATTERN_REASONS = {
    "spatial": KEYBOARD,
    "repeat": REPEATS,
    "sequence": REPEATS,
    "date": DATES,
    "regex": DATES,  # zxcvbn's only regex is "recent year"
}


def _weakness(matches: Iterable[dict[str, object]]) -> str:
    """The reason to give for a weak password, from zxcvbn's match sequence (worst first)."""
    reasons: list[str] = []
    for match in matches:
        pattern = match.get("pattern")
        if pattern == "dictionary":
            source = match.get("dictionary_name")
            reasons.append(
                COMMON if source == "passwords" else PERSONAL if source == "user_inputs" else WORDS
            )
        elif isinstance(pattern, str) and pattern in _PATTERN_REASONS:
            reasons.append(_PATTERN_REASONS[pattern])
    for reason in (PERSONAL, COMMON, KEYBOARD, REPEATS, DATES, WORDS):
        if reason in reasons:
            return reason
    return GUESSABLE


def password_problem(password: str, *, username: str = "") -> str | None:
    """What is wrong with ``password`` for the user ``username`` (English), or None if it is
    acceptable.

    >>> password_problem("short")
    'must be at least 12 characters'
    >>> password_problem("password1234")
    'is too easy to guess: it is one of the most commonly used passwords'
    >>> password_problem("marble-oyster-quietly-tundra") is None
    True
    """
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    inputs = [username] if username else []
    result = zxcvbn(password[:ESTIMATED], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    return _weakness(result["sequence"])


# No l/1 or o/0 to misread.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
GENERATED_BITS = 100


def generate_password() -> str:
    """A password a person can type: four groups of five from 32 symbols, 100 bits of
    ``secrets`` randomness (e.g. ``k3mfa-8wq2n-...``); always passes ``password_problem``."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
