"""The settings of who may sign in to the console: a directory to check passwords against
(``LDAP_URL``, ``LDAP_BIND_DN_TEMPLATE``) and whether administrators must use a second factor
(``REQUIRE_TOTP``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

# Who must enrol a TOTP second factor before doing anything: nobody, or the administrators.
REQUIRE_TOTP_VALUES = ("", "admin")
USERNAME_FIELD = "{username}"


def identity_settings(get: Callable[[str], str | None], problems: list[str]) -> dict[str, Any]:
    """``LDAP_URL``, ``LDAP_BIND_DN_TEMPLATE`` and ``REQUIRE_TOTP``, checked; problems
    appended to ``problems``."""
    url, template = get("LDAP_URL"), get("LDAP_BIND_DN_TEMPLATE")
    if bool(url) != bool(template):
        problems.append("LDAP_URL and LDAP_BIND_DN_TEMPLATE must be set together (or neither)")
    if url and urlsplit(url).scheme not in ("ldap", "ldaps"):
        problems.append("LDAP_URL: must be ldap://host:port or ldaps://host:port")
    if template:
        problem = _template_problem(template)
        if problem:
            problems.append(f"LDAP_BIND_DN_TEMPLATE: {problem}")
    require_totp = (get("REQUIRE_TOTP") or "").lower()
    if require_totp not in REQUIRE_TOTP_VALUES:
        problems.append(f"REQUIRE_TOTP: '{require_totp}' is not allowed; leave it empty or 'admin'")
    return {
        "ldap_url": url,
        "ldap_bind_dn_template": template,
        "require_totp": require_totp,
    }


def _template_problem(template: str) -> str | None:
    """Why the bind DN template cannot be used, or None."""
    example = "e.g. uid={username},ou=people,dc=example,dc=tw"
    if USERNAME_FIELD not in template:
        return f"must contain {USERNAME_FIELD} where the user name goes ({example})"
    try:
        template.format(username="someone")
    except (KeyError, IndexError, ValueError):
        return f"only {USERNAME_FIELD} may appear in braces ({example})"
    return None
