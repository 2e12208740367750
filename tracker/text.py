"""Texts: free text typed by clerks and applicants checked, catalogue texts in a language."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

# Every catalogue text has it (tracker.catalogue.file requires it): the fallback language.
DEFAULT_LANGUAGE = "zh-TW"


def in_language(texts: Mapping[str, str] | None, language: str) -> str:
    """A bilingual text ``{zh-TW: ..., en: ...}`` in ``language``, else in zh-TW, else empty."""
    if not texts:
        return ""
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE) or ""


# Bidirectional controls reorder what a reader sees ("王小明" shown, something else stored: a
# spoofed name on a receipt, a note that reads backwards); zero-width characters make two names
# that look the same differ, and a name of nothing but them look filled in.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
INVISIBLE = BIDI_CONTROLS | ZERO_WIDTH


def clean_text(value: str | None, *, max_length: int) -> str:
    """Trim and check a free-text value (a name, a note, a comment); raise ValueError saying
    what is wrong.

    Control characters are refused (they break receipts, SMS and CSV exports); line breaks and
    tabs are allowed in longer texts. Direction controls and zero-width characters are refused
    too, except that a value of nothing else (and spaces) is simply empty, so that a required
    field says it is required.
    """
    text = (value or "").strip()
    if all(ch in INVISIBLE or ch.isspace() for ch in text):
        return ""
    if len(text) > max_length:
        raise ValueError(f"is too long ({len(text)} characters; at most {max_length})")
    for ch in text:
        if ch in INVISIBLE:
            raise ValueError(
                f"contains an invisible direction or zero-width mark (U+{ord(ch):04X})"
            )
        if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\t":
            raise ValueError(f"contains an invisible control character (U+{ord(ch):04X})")
    return text


def required_text(value: str | None, *, max_length: int) -> str:
    """Like clean_text, but empty is refused too."""
    text = clean_text(value, max_length=max_length)
    if not text:
        raise ValueError("is required")
    return text
