"""Case numbers to read out at the counter, and lookup codes that are hard to guess."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date

# No 0/O, 1/I/L or U/V: a code read over the phone or typed from paper cannot be misread.
LOOKUP_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LOOKUP_LENGTH = 10  # 29**10 ≈ 2**48.6: far beyond the ≥ 40 bits asked for, still 2 × 5 to type
LOOKUP_BITS = 48


def case_number(day: date, sequence: int) -> str:
    """``20261122-0042``: the day of receipt and that day's running number."""
    return f"{day:%Y%m%d}-{sequence:04d}"


def new_lookup_code() -> str:
    """A fresh random lookup code, e.g. ``7KQ3MX9PHT``."""
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(LOOKUP_LENGTH))


def normalise_lookup_code(text: str) -> str:
    """What a person typed, in canonical form: no spaces or dashes, upper case."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_lookup_code(code: str) -> str:
    """``7KQ3M-X9PHT``: grouped for reading aloud and printing."""
    return f"{code[:5]}-{code[5:]}"


def normalise_case_number(text: str) -> str:
    """What a person typed as a case number, in canonical form: ``20260413-0042``.

    Full-width digits (typed with a Chinese input method) and spaces are accepted; twelve digits
    without the dash get it back.
    """
    compact = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace())
    compact = compact.replace("－", "-").replace("–", "-")
    if len(compact) == 12 and compact.isdigit():
        return f"{compact[:8]}-{compact[8:]}"
    return compact
