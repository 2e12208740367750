"""The directory and second-factor settings: refused at start-up when they cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import SettingsError, load_settings

TEMPLATE = "uid={username},ou=people,dc=example,dc=tw"


def test_the_directory_is_off_by_default(tmp_path: Path) -> None:
    settings = load_settings({"TRACKER_INSTANCE": str(tmp_path)})
    assert not settings.directory_enabled
    assert settings.require_totp == ""


def test_a_directory_and_required_totp_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "TRACKER_INSTANCE": str(tmp_path),
            "LDAP_URL": "ldaps://ldap.kcg.example:636",
            "LDAP_BIND_DN_TEMPLATE": TEMPLATE,
            "REQUIRE_TOTP": "Admin",
        }
    )
    assert settings.directory_enabled
    assert settings.ldap_bind_dn_template == TEMPLATE
    assert settings.require_totp == "admin"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LDAP_URL": "ldap://127.0.0.1:389"}, "must be set together"),
        ({"LDAP_BIND_DN_TEMPLATE": TEMPLATE}, "must be set together"),
        (
            {"LDAP_URL": "http://ldap", "LDAP_BIND_DN_TEMPLATE": TEMPLATE},
            "LDAP_URL: must be ldap://",
        ),
        (
            {"LDAP_URL": "ldap://ldap", "LDAP_BIND_DN_TEMPLATE": "uid=someone,dc=tw"},
            "LDAP_BIND_DN_TEMPLATE: must contain {username}",
        ),
        (
            {"LDAP_URL": "ldap://ldap", "LDAP_BIND_DN_TEMPLATE": "uid={username},o={org}"},
            "LDAP_BIND_DN_TEMPLATE: only {username} may appear in braces",
        ),
        ({"REQUIRE_TOTP": "everyone"}, "REQUIRE_TOTP: 'everyone' is not allowed"),
    ],
)
def test_settings_that_cannot_work_stop_the_start(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"TRACKER_INSTANCE": str(tmp_path), **environ})
    assert expected in str(refused.value)
