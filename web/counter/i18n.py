"""The console's texts live in their own gettext domain, "counter", beside the public "messages"."""

from __future__ import annotations

from typing import Any

from web.core.i18n import CatalogueDomain

# Flask-Babel's Domain over the compiled catalogues (web.core.i18n.CatalogueDomain): both, merged
# as the app's default domain merges them (counter.po wins), so that ct() and the shared layout's
# _() agree on every msgid the two files share.
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
