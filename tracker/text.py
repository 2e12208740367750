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


def clean_text(value: str | None, *, max_length: int) -> str:
    """Trim and check a free-text value; raise ValueError saying what is wrong.

    Control characters are refused (they break receipts, SMS and CSV exports); line breaks and
    tabs are allowed in longer texts.
    """
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValueError(f"is too long ({len(text)} characters; at most {max_length})")
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\t":
            raise ValueError(f"contains an invisible control character (U+{ord(ch):04X})")
    return text


def required_text(value: str | None, *, max_length: int) -> str:
    """Like clean_text, but empty is refused too."""
    text = clean_text(value, max_length=max_length)
    if not text:
        raise ValueError("is required")
    return text
