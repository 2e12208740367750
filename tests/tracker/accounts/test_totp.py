"""TOTP codes: the current step and one either side are accepted, never twice, never anything
else (the clock is passed in)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from tracker.accounts.totp import ISSUER, matching_step, provisioning_uri

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 12, 7, 3, 0, 10, tzinfo=UTC)


def _code(at: datetime) -> str:
    return pyotp.TOTP(SECRET).at(at)


def _step(at: datetime) -> int:
    return pyotp.TOTP(SECRET).timecode(at)


@pytest.mark.parametrize("offset", [-30, 0, 30])
def test_now_and_one_step_either_side_are_accepted(offset: int) -> None:
    at = NOW + timedelta(seconds=offset)
    assert matching_step(SECRET, _code(at), now=NOW, last_step=None) == _step(at)


@pytest.mark.parametrize("offset", [-60, 60])
def test_two_steps_away_is_refused(offset: int) -> None:
    code = _code(NOW + timedelta(seconds=offset))
    assert matching_step(SECRET, code, now=NOW, last_step=None) is None


def test_a_used_step_and_older_ones_are_refused() -> None:
    assert matching_step(SECRET, _code(NOW), now=NOW, last_step=_step(NOW)) is None
    earlier = NOW - timedelta(seconds=30)
    assert matching_step(SECRET, _code(earlier), now=NOW, last_step=_step(NOW)) is None
    later = NOW + timedelta(seconds=30)
    assert matching_step(SECRET, _code(later), now=NOW, last_step=_step(NOW)) == _step(later)


_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda code: "",
        lambda code: code[:5],
        lambda code: code + "0",
        lambda code: code + "\n",
        lambda code: code.translate(_ARABIC_INDIC),  # digits, but not ASCII ones
    ],
)
def test_anything_but_the_six_digits_is_refused(mangle: Callable[[str], str]) -> None:
    assert matching_step(SECRET, mangle(_code(NOW)), now=NOW, last_step=None) is None


def test_spaces_as_apps_show_them_are_ignored() -> None:
    code = _code(NOW)
    assert matching_step(SECRET, f"{code[:3]} {code[3:]}", now=NOW, last_step=None) == _step(NOW)


def test_the_provisioning_uri_names_the_product_and_user() -> None:
    uri = provisioning_uri(SECRET, "root")
    assert uri.startswith("otpauth://totp/Case%20Tracker:root?")
    assert f"secret={SECRET}" in uri
    assert f"issuer={ISSUER.replace(' ', '%20')}" in uri
