"""The one password policy (NIST SP 800-63B): length, guessability by zxcvbn, no composition
rules; generated passwords are strong."""

from __future__ import annotations

import pytest

from tracker.accounts import passwords
from tracker.accounts.passwords import generate_password, password_problem


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-one", passwords.TOO_SHORT),
        ("x" * 201, passwords.TOO_LONG),
        ("password1234", passwords.COMMON),
        ("iloveyou2026", passwords.COMMON),
        ("asdfghjkl;12", passwords.KEYBOARD),
        ("aaaaaaaaaaaaaaa", passwords.REPEATS),
        ("abcdefghijklmn", passwords.REPEATS),
        ("chenmeiling1", passwords.PERSONAL),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, problem: str) -> None:
    assert password_problem(password, username="chenmeiling") == problem


@pytest.mark.parametrize(
    "password",
    [
        "marble-oyster-quietly-tundra",
        "correct horse battery staple 高雄",
        # No composition rules: lower case letters alone are fine when long and unguessable.
        "glacierpenguinviolinsummit",
    ],
)
def test_long_unguessable_passwords_pass_without_composition_rules(password: str) -> None:
    assert password_problem(password, username="chen.meiling") is None


def test_exactly_twelve_characters_is_enough_when_unguessable() -> None:
    assert password_problem("k3Mf-8wq2n#z") is None
    assert password_problem("k3Mf-8wq2n#") == passwords.TOO_SHORT


def test_a_very_long_passphrase_is_judged_quickly_and_accepted() -> None:
    assert password_problem("vq7p-lamp-orbit-" * 12) is None


def test_generated_passwords_are_strong_and_distinct() -> None:
    generated = {generate_password() for _ in range(200)}
    assert len(generated) == 200
    assert passwords.GENERATED_BITS >= 80
    assert all(password_problem(p) is None for p in generated)
