"""What public pages may show of a person or a case: masked names and case numbers (§4.7);
and what a log line or an error reason may say: no phone number, no email address."""

from __future__ import annotations

import re
import unicodedata

CJK_MASK = "○"
LATIN_MASK = "***"
# Separators inside a name stay visible: the indigenous 瓦歷斯·諾幹, the Japanese 中村・花子.
_SEPARATORS = frozenset("·‧・.-'’ ")


def _is_wide(ch: str) -> bool:
    """Han, kana, hangul and the like: one character is a syllable, masked one for one."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def mask_name(name: str) -> str:
    """王小明 → 王○明, 歐陽小明 → 歐○○明, 王明 → 王○, John Smith → J*** S***.

    Chinese-style names keep the first and the last character (two-character names only the
    first); Latin-style names keep each word's initial with a fixed-length mask, so the mask
    does not give away the name's length.
    """
    name = " ".join(name.split())
    if not name:
        return ""
    if any(_is_wide(ch) for ch in name):
        return _mask_wide(name)
    return " ".join(word[0] + LATIN_MASK for word in name.split(" "))


def _mask_wide(name: str) -> str:
    letters = [i for i, ch in enumerate(name) if ch not in _SEPARATORS]
    if len(letters) <= 1:
        return CJK_MASK
    keep = {letters[0]} if len(letters) == 2 else {letters[0], letters[-1]}
    return "".join(ch if i in keep or ch in _SEPARATORS else CJK_MASK for i, ch in enumerate(name))


def mask_case_number(number: str) -> str:
    """``20260413-0042`` → ``0413-0042``: the day and its running number, without the year.

    Numbering starts again every day, so the last digits alone would match several cases on a
    public board; the month and day tell them apart (a board shows only recent cases). Anything
    not in the YYYYMMDD-NNNN form keeps only its last four characters.
    """
    number = number.strip()
    day, dash, sequence = number.partition("-")
    if dash and len(day) == 8 and day.isdigit() and sequence.isdigit():
        return f"{day[4:]}-{sequence}"
    if len(number) <= 4:
        return number
    return "…" + number[-4:]


_EMAIL = re.compile(r"[^\s<>()\[\]@,;:\"']+@[^\s<>()\[\]@,;:\"']+")
# Seven digits or more, with the spaces, dashes, dots and brackets people write between them.
_PHONE = re.compile(r"\+?\d(?:[\s\-.()]*\d){6,}")


def redact(text: str) -> str:
    """``text`` with email addresses and phone-like numbers replaced (DESIGN §4.7)."""
    return _PHONE.sub("[number]", _EMAIL.sub("[address]", text))
