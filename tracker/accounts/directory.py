"""Passwords checked by the city's directory (LDAP) instead of the product's own hash.

The directory only answers "is this the person's password": a simple bind as the DN the
deployment's template makes of the user name. Who the person is in the product (role,
department, whether the account is active) still comes from the product's own ``users`` row;
the caller decides with both. The password never leaves this module except to the directory,
and is never logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.dn import escape_rdn

log = logging.getLogger(__name__)

# A bind to a directory that is down must not hold a console worker for long.
TIMEOUT_SECONDS = 5
# Result codes of a directory that is there but cannot answer now (RFC 4511 §A.2): busy,
# unavailable, other. Every other refusal (invalid credentials, locked, no such entry) is the
# person's password not being accepted.
_UNAVAILABLE_CODES = frozenset({51, 52, 80})


class DirectoryUnavailable(Exception):
    """The directory could not be asked (unreachable, timed out, busy)."""


@dataclass(frozen=True)
class Directory:
    """Where to bind: ``url`` (``ldap://`` or ``ldaps://``) and the DN template with
    ``{username}``."""

    url: str
    bind_dn_template: str

    def bind_dn(self, username: str) -> str:
        """The DN of ``username``, escaped so a name cannot add RDNs or change the DN."""
        return self.bind_dn_template.format(username=escape_rdn(username))


def verify_password(directory: Directory, username: str, password: str) -> bool:
    """Whether the directory accepts ``password`` for ``username``; DirectoryUnavailable when
    it cannot be asked."""
    # An empty password is an anonymous bind, which many directories accept: never a login.
    if not username or not password:
        return False
    server = ldap3.Server(directory.url, connect_timeout=TIMEOUT_SECONDS, get_info=ldap3.NONE)
    connection = ldap3.Connection(
        server,
        user=directory.bind_dn(username),
        password=password,
        receive_timeout=TIMEOUT_SECONDS,
        read_only=True,
    )
    try:
        accepted = connection.bind()
        code = (connection.result or {}).get("result")
    except LDAPException as exc:
        # The exception's class and text name the server and the failure, never the password.
        log.warning(
            "directory %s could not be asked for user %s: %s: %s",
            directory.url, username, type(exc).__name__, exc,
        )  # fmt: skip
        raise DirectoryUnavailable(directory.url) from None
    finally:
        if not connection.closed:
            connection.unbind()
    if not accepted and code in _UNAVAILABLE_CODES:
        log.warning("directory %s answered %s for user %s", directory.url, code, username)
        raise DirectoryUnavailable(directory.url)
    return bool(accepted)
