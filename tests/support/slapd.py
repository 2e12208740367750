"""A throw-away OpenLDAP ``slapd`` (Debian package ``slapd``) for the directory-login tests.

It runs from a temporary folder with its own ``slapd.conf`` and an ``mdb`` database, listens
on a free loopback port, and holds the suffix ``dc=example,dc=tw`` with ``ou=people``. Users
are added through ``ldap3`` as the rootdn, with ``userPassword`` in clear text: slapd compares
a simple bind against it, which is all the product asks of a directory. A slapd that is not
installed or does not answer raises ``ProcessError``: the tests fail, never skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import ldap3

from tests.support.processes import Child, ProcessError, free_port, wait_until

SLAPD = Path(os.environ.get("TEST_SLAPD", "/usr/sbin/slapd"))
MODULES = Path("/usr/lib/ldap")
SCHEMA = Path("/etc/ldap/schema")
SUFFIX = "dc=example,dc=tw"
PEOPLE = f"ou=people,{SUFFIX}"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "slapd-root-secret"
BIND_DN_TEMPLATE = f"uid={{username}},{PEOPLE}"

_CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
modulepath {modules}
moduleload back_mdb
pidfile {folder}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {folder}/data
"""


class Slapd:
    """A private slapd: ``start()``, ``add_user(uid, password)``, ``stop()``; ``url`` for
    ``LDAP_URL``."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        if not SLAPD.exists():
            raise ProcessError(f"{SLAPD} is not installed (Debian packages slapd, ldap-utils)")
        self.port = port or free_port()
        self.folder = folder
        (folder / "data").mkdir(parents=True, exist_ok=True)
        conf = folder / "slapd.conf"
        conf.write_text(
            _CONF.format(
                schema=SCHEMA,
                modules=MODULES,
                folder=folder,
                suffix=SUFFIX,
                rootdn=ROOT_DN,
                rootpw=ROOT_PASSWORD,
            )
        )
        # -d 0 keeps it in the foreground (so the harness owns the process) and quiet.
        self.child = Child(
            "slapd",
            [str(SLAPD), "-h", self.url + "/", "-f", str(conf), "-d", "0"],
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            folder / "slapd.log",
            port=self.port,
        )

    @property
    def url(self) -> str:
        """What to give as ``LDAP_URL``."""
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> Slapd:
        """Start it, wait until the rootdn can bind, and create the suffix and ``ou=people``."""
        self.child.start()
        wait_until(self._answers, timeout=20, what=lambda: f"slapd to answer:\n{self.child.tail()}")
        with self._admin() as connection:
            for dn, classes, attributes in (
                (SUFFIX, ["dcObject", "organization"], {"dc": "example", "o": "Example"}),
                (PEOPLE, ["organizationalUnit"], {"ou": "people"}),
            ):
                connection.add(dn, classes, attributes)
                if connection.result["description"] not in ("success", "entryAlreadyExists"):
                    raise ProcessError(f"slapd refused {dn}: {connection.result}")
        return self

    def add_user(self, uid: str, password: str) -> str:
        """A person who can bind with ``password``; returns their DN."""
        dn = f"uid={ldap3.utils.dn.escape_rdn(uid)},{PEOPLE}"
        with self._admin() as connection:
            connection.add(
                dn,
                ["inetOrgPerson"],
                {"uid": uid, "cn": uid, "sn": uid, "userPassword": password},
            )
            if connection.result["description"] != "success":
                raise ProcessError(f"slapd refused {dn}: {connection.result}")
        return dn

    def stop(self) -> None:
        """Stop the server (its data folder stays until the temporary folder goes)."""
        self.child.stop()

    def _admin(self) -> ldap3.Connection:
        server = ldap3.Server(self.url, connect_timeout=5)
        return ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True, receive_timeout=5)

    def _answers(self) -> bool:
        if not self.child.alive:
            raise ProcessError(f"slapd exited:\n{self.child.tail()}")
        try:
            with self._admin():
                return True
        except ldap3.core.exceptions.LDAPException:
            return False
