"""Complete catalogues: every user-facing string in web/ has its zh-TW translation.

Strings are extracted the way ``pybabel extract -F babel.cfg`` does (README, "Translations"):
Python under web/ and Jinja templates under web/templates/. Public strings belong in the
"messages" domain; the counter console's (web/counter/, web/templates/counter/) in "counter"
(or "messages", when a console page reuses a public string). Every catalogue file present must
be complete, unfuzzy and keep the placeholders of its msgids.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[3] / "web"
CATALOGUES = WEB / "translations" / "zh_TW" / "LC_MESSAGES"
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    # The console's own helpers (web/counter/i18n.py).
    "ct": None,
    "lazy": None,
}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
Msgid = str | tuple[str, ...]


def _is_counter(path: str) -> bool:
    return path.startswith(("counter/", "templates/counter/"))


def _extracted() -> Iterator[tuple[str, int, Msgid]]:
    for filename, lineno, message, _comments, _context in extract_from_dir(
        WEB, METHODS, keywords=KEYWORDS
    ):
        yield filename, lineno, message


def _catalogue(domain: str) -> Catalog | None:
    path = CATALOGUES / f"{domain}.po"
    if not path.exists():
        return None
    with path.open("rb") as po:
        return read_po(po, locale="zh_TW", domain=domain)


def _translated(catalogue: Catalog | None, msgid: Msgid) -> bool:
    if catalogue is None:
        return False
    key = msgid[0] if isinstance(msgid, tuple) else msgid
    message = catalogue.get(key)
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(s.strip() for s in strings)


def test_strings_are_found_in_both_areas() -> None:
    found = list(_extracted())
    # A broken extraction (a mapping typo) would make every other check here pass vacuously.
    assert sum(1 for f, _, _ in found if not _is_counter(f)) > 50
    assert any(f.startswith("templates/") for f, _, _ in found)


def test_every_public_string_is_translated_in_messages() -> None:
    messages = _catalogue("messages")
    assert messages is not None, "web/translations/zh_TW/LC_MESSAGES/messages.po is missing"
    missing = [
        f"{filename}:{lineno}: {msgid!r}"
        for filename, lineno, msgid in _extracted()
        if not _is_counter(filename) and not _translated(messages, msgid)
    ]
    assert not missing, "untranslated in messages.po:\n" + "\n".join(missing)


def test_every_console_string_is_translated() -> None:
    messages, counter = _catalogue("messages"), _catalogue("counter")
    missing = [
        f"{filename}:{lineno}: {msgid!r}"
        for filename, lineno, msgid in _extracted()
        if _is_counter(filename)
        and not (_translated(counter, msgid) or _translated(messages, msgid))
    ]
    assert not missing, "untranslated in counter.po:\n" + "\n".join(missing)


@pytest.mark.parametrize("domain", ["messages", "counter"])
def test_each_catalogue_file_is_complete_and_consistent(domain: str) -> None:
    catalogue = _catalogue(domain)
    if catalogue is None:
        assert domain == "counter", f"{domain}.po is missing"
        return  # the console's catalogue is optional until the console has strings
    problems = [
        f"{message.id!r}: empty or fuzzy"
        for message in catalogue
        if message.id and not _translated(catalogue, message.id)
    ]
    # Babel's checkers: the same %(name)s placeholders in msgid and msgstr, and so on.
    problems += [
        f"{message.id!r}: {'; '.join(map(str, errors))}" for message, errors in catalogue.check()
    ]
    assert not problems, f"{domain}.po:\n" + "\n".join(problems)
