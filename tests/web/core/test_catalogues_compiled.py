"""Every ``.po`` has its compiled ``.mo`` beside it, at least as new: the app reads the ``.mo``.

``pip install -e .`` compiles them (setup.py runs Babel's compile_catalog); after editing a ``.po``
by hand, ``pybabel compile`` does it again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from web.core.i18n import TRANSLATIONS

COMPILE = '.venv/bin/pybabel compile -d web/translations -D "messages counter"'
CATALOGUES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po"))


def stale_catalogues(po_files: list[Path]) -> list[str]:
    """Why each of ``po_files`` lacks an up-to-date ``.mo`` (empty when all are compiled)."""
    problems = []
    for po in po_files:
        mo = po.with_suffix(".mo")
        if not mo.exists():
            problems.append(f"{mo} is missing")
        elif mo.stat().st_mtime_ns < po.stat().st_mtime_ns:
            problems.append(f"{mo} is older than {po.name}")
    return problems


def test_there_are_catalogues() -> None:
    assert {po.name for po in CATALOGUES} == {"messages.po", "counter.po"}


def test_every_catalogue_is_compiled_and_not_older_than_its_po() -> None:
    problems = stale_catalogues(CATALOGUES)
    assert not problems, (
        "Translations not compiled: "
        + "; ".join(problems)
        + f". Run `{COMPILE}` (or `.venv/bin/pip install -e .`, which runs it) and reload."
    )


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_the_mo_holds_every_translated_message_of_its_po(po: Path) -> None:
    with po.open("rb") as source:
        catalog = read_po(source)
    with po.with_suffix(".mo").open("rb") as compiled:
        translations = read_mo(compiled)
    wanted = {_key(m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    assert wanted <= {_key(m.id) for m in translations if m.id}


def _key(msgid: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    """A message id as a set member (a plural's id is a pair)."""
    return msgid if isinstance(msgid, str) else tuple(msgid)


def test_a_missing_or_older_mo_is_reported_with_the_way_to_compile(tmp_path: Path) -> None:
    folder = tmp_path / "zh_TW" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    missing = folder / "messages.po"
    missing.write_text('msgid "a"\nmsgstr "甲"\n', encoding="utf-8")
    older = folder / "counter.po"
    older.write_text('msgid "b"\nmsgstr "乙"\n', encoding="utf-8")
    older.with_suffix(".mo").write_bytes(b"")
    newer = older.stat().st_mtime_ns
    os.utime(older.with_suffix(".mo"), ns=(newer - 10**9, newer - 10**9))
    assert stale_catalogues([missing, older]) == [
        f"{missing.with_suffix('.mo')} is missing",
        f"{older.with_suffix('.mo')} is older than counter.po",
    ]
