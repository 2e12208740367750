"""The console's texts live in their own gettext domain, "counter", beside the public "messages"."""

from __future__ import annotations

from typing import Any

from web.core.i18n import CatalogueDomain

# Flask-Babel's Domain, reading the .po files directly as the public pages' catalogue does. Both
# catalogues, merged as the app's default domain merges them (counter.po wins): a console page
# caches whichever domain asked first for the whole request, and the shared layout's _() reads
# that cache, so a counter-only domain left the header and footer in English.
counter_domain = CatalogueDomain(domain="messages;counter")


def ct(string: str, **variables: Any) -> str:
    """Translate a console text now (in a request), formatting ``%(name)s`` placeholders."""
    return str(counter_domain.gettext(string, **variables))


def lazy(string: str, **variables: Any) -> Any:
    """Translate a console text when it is shown: for form labels and module-level tables."""
    return counter_domain.lazy_gettext(string, **variables)


def N_(string: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a msgid for extraction where it is translated later (a table of messages)."""
    return string
