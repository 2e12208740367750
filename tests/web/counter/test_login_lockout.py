"""A stranger cannot lock out an owner: failed logins count per (account, client) and per client,
so failures from elsewhere never stop the right password from the owner's machine."""

from __future__ import annotations

from flask import Flask

from tests.web.counter.conftest import Console

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


def _browser(app: Flask, address: str) -> Console:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.set_cookie("lang", "en")
    return Console(client)


def test_a_strangers_failures_do_not_lock_the_owner_out(app: Flask) -> None:
    attacker, owner = _browser(app, ATTACKER), _browser(app, OWNER)
    for _ in range(5):
        assert attacker.login("clerk", "guess-guess-guess").status_code == 200
    # The attacker's address has used up its attempts at this account, even with the password.
    blocked = attacker.login("clerk")
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text
    # The owner, at their own machine, signs in with the right password at once.
    assert owner.login("clerk").status_code == 303
    assert owner.get("/counter").status_code == 200


def test_one_client_trying_many_accounts_is_stopped(app: Flask) -> None:
    attacker, owner = _browser(app, ATTACKER), _browser(app, OWNER)
    accounts = ("clerk", "colleague", "civil", "boss", "head", "onestop")
    for n in range(30):  # five tries at each of six accounts: within each account's allowance
        assert attacker.login(accounts[n % 6], f"guess-{n}-guess").status_code == 200
    assert attacker.login("root").status_code == 429
    assert owner.login("root").status_code == 303
