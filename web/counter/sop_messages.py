"""The catalogue reader's messages, as the SOP editor shows them beside its fields.

The editor checks a service with the catalogue's own reader (tracker.catalogue.file), so its
messages are the reader's. In English they are shown as the reader writes them, word for word,
as ``tracker catalogue load`` prints them. In Chinese each known shape is translated here, less
the file's coordinates (the field it stands beside names the key); an unknown one is shown as it
came, so a new rule is never hidden, only untranslated until it is added here.
"""

from __future__ import annotations

import re

from web.core.formatting import limit_words
from web.core.i18n import current_locale
from web.counter.i18n import N_, ct

_ITEM = r"'(?P<key>[a-z_]+)(?:\[(?P<item>\d+)\])?'"
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), m)
    for p, m in (
        (rf"^'[a-zA-Z-]+' in {_ITEM} of .* is empty$", N_("It is empty.")),
        (r"^'[a-z_]+' in .* is empty$", N_("It is empty.")),
        (
            rf"^'[a-zA-Z-]+' in {_ITEM} of .* is (?P<length>\d+) characters long "
            r"\(at most (?P<max>\d+)\)$",
            N_("It is %(length)s characters long; at most %(max)s."),
        ),
        (
            r"^bad code '(?P<value>.*)' for .*$",
            N_(
                "“%(value)s” is not a code: use 1 to 40 lowercase letters a-z, digits and "
                "hyphens, starting with a letter."
            ),
        ),
        (
            r"^bad (?:time_limit|deadline) in .*: '(?P<value>.*)' is not a time limit: .*$",
            N_("“%(value)s” is not a time limit: write a whole number and choose the unit."),
        ),
        (
            r"^bad (?:time_limit|deadline) in .*: \d+(?P<unit>[a-z]+): the amount must be "
            r"between 1 and (?P<max>\d+) for unit '[a-z]+'$",
            N_("The amount must be from 1 to %(limit)s."),
        ),
        (
            r"^bad deadline '.*' in .*: a supplement deadline is counted in days, .*$",
            N_("A time to bring documents is counted in days: calendar or working days."),
        ),
        (
            rf"^{_ITEM} in .* is an empty list: give at least one$",
            N_("Give at least one, one per line."),
        ),
        (
            r"^bad retention in .*: '(?P<value>.*)' is not a retention period: .*$",
            N_("“%(value)s” is not a time to keep data: write a whole number and choose the unit."),
        ),
        (
            r"^bad retention in .*: '.*' keeps nothing: .*$",
            N_("Personal data is kept for at least 1 day, month or year."),
        ),
        (
            r"^duplicate service code '(?P<value>.*)' \(another service has it\)$",
            N_("Another service has the code “%(value)s” already."),
        ),
        (
            r"^unknown department '(?P<value>.*)' of agency .*$",
            N_("There is no department “%(value)s”."),
        ),
    )
]


def sop_message(reason: str) -> str:
    """One problem the catalogue reader found, in the reader's language."""
    if current_locale() == "en":
        return reason
    for pattern, msgid in _MESSAGES:
        match = pattern.match(reason)
        if match:
            found = match.groupdict()
            values = {k: v for k, v in found.items() if k not in ("key", "item", "unit")}
            if "unit" in found:
                # The catalogue's "500wd" in words: 500 個工作天.
                values["limit"] = limit_words(f"{values.pop('max')}{found['unit']}")
            message = ct(msgid, **values)
            item = match.groupdict().get("item")
            return ct("Line %(item)s: %(problem)s", item=item, problem=message) if item else message
    return reason
