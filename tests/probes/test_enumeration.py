"""Probe: 10,000 guessed (case number, lookup code) pairs at /status find nothing.

Most guesses meet the production rate limits, as an attacker would; for part of the run the
limits are raised so that the guesses really reach the lookup, and a correct pair is shown to
hit, so that "0 hits" means the codes are not guessable rather than that nothing was looked up.

Each guess is a whole request (a few milliseconds): PostgreSQL, the production database, takes
all 10,000; SQLite, whose lookup is the same one-row query, a tenth of them, to keep the suite
inside its time budget.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Iterator

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import create_case
from tests.web.conftest import csrf_token
from tracker.db import Database
from tracker.identifiers import LOOKUP_ALPHABET, LOOKUP_LENGTH

GUESSES = 10_000
# Of these, the share guessed at the production limits; the rest with the limits out of the way.
LIMITED_SHARE = 0.8
CLIENTS = 40
REAL_CASES = 20
# The production defaults (web/public/status.py): the first number of each.
PER_CLIENT = 10
PER_CLIENT_HOUR = 50
PER_CASE = 10


def _real_cases(app: Flask) -> list[tuple[str, str]]:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        cases = [create_case(session) for _ in range(REAL_CASES)]
        return [(case.number, case.lookup_code) for case in cases]


def _near_miss(code: str, rng: random.Random) -> str:
    """The right code with one character wrong: the closest a guess can come."""
    position = rng.randrange(LOOKUP_LENGTH)
    other = rng.choice([c for c in LOOKUP_ALPHABET if c != code[position]])
    return code[:position] + other + code[position + 1 :]


def _guesses(
    real: list[tuple[str, str]], count: int, rng: random.Random
) -> Iterator[tuple[str, str]]:
    """Half real numbers with near-miss or random codes, half plausible numbers of the day."""
    for i in range(count):
        code = "".join(rng.choice(LOOKUP_ALPHABET) for _ in range(LOOKUP_LENGTH))
        if i % 2:
            number, right = real[rng.randrange(len(real))]
            yield number, _near_miss(right, rng) if i % 4 == 1 else code
        else:
            yield f"20260413-{rng.randrange(10_000):04d}", code


class Guesser:
    """One browser session at /status, sending from any client address (behind the proxy)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_token(client.get("/status").get_data(as_text=True))

    def guess(self, number: str, code: str, address: str) -> TestResponse:
        return self.client.post(
            "/status",
            data={"csrf_token": self.token, "number": number, "code": code},
            headers={"X-Forwarded-For": address},
        )


def _address(i: int) -> str:
    return f"198.51.{100 + i // 250}.{i % 250 + 1}"


def _run(guesser: Guesser, guesses: Iterator[tuple[str, str]]) -> Counter[int]:
    statuses: Counter[int] = Counter()
    for i, (number, code) in enumerate(guesses):
        statuses[guesser.guess(number, code, _address(i % CLIENTS)).status_code] += 1
    return statuses


def test_ten_thousand_guesses_find_no_case(app: Flask) -> None:
    database: Database = app.extensions["database"]
    guesses = GUESSES if database.url.startswith("postgresql") else GUESSES // 10
    limited_guesses = int(guesses * LIMITED_SHARE)
    real = _real_cases(app)
    rng = random.Random(6)
    guesser = Guesser(app.test_client())

    started = time.monotonic()
    limited = _run(guesser, _guesses(real, limited_guesses, rng))
    # Each client's allowance: 10 a minute (a slow machine may take more than one), 50 an hour.
    minutes = int((time.monotonic() - started) // 60) + 1
    # 200: the lookup answered "not found"; 429: the limiter answered; 303 would be a hit.
    assert set(limited) <= {200, 429}, limited
    assert limited[303] == 0
    assert 0 < limited[200] <= CLIENTS * min(PER_CLIENT * minutes, PER_CLIENT_HOUR)
    assert limited[429] == limited_guesses - limited[200]

    app.config.update(STATUS_LIMIT_PER_CLIENT="100000/hour", STATUS_LIMIT_PER_CASE="100000/hour")
    raised = _run(guesser, _guesses(real, guesses - limited_guesses, rng))
    assert raised == Counter({200: guesses - limited_guesses})  # every one looked up, none hit

    reached = limited[200] + raised[200]
    print(f"{guesses} guesses: {reached} reached the lookup, {limited[429]} were stopped, 0 hit")
    # The same path does find a case when the pair is right.
    for number, code in real:
        assert guesser.guess(number, code, "203.0.113.1").status_code == 303


def test_the_limiter_stops_a_client_and_a_case_at_the_production_limits(app: Flask) -> None:
    (number, code), (other, other_code) = _real_cases(app)[:2]
    rng = random.Random(7)
    guesser = Guesser(app.test_client())

    # One client, a different unknown number each time: the per-client limit.
    for n in range(PER_CLIENT):
        assert guesser.guess(f"20991231-{n:04d}", code, "192.0.2.1").status_code == 200
    stopped = guesser.guess(number, code, "192.0.2.1")
    assert stopped.status_code == 429 and int(stopped.headers["Retry-After"]) > 0

    # One case number, one client: the per-(case, client) limit, even for the right code.
    for _ in range(PER_CASE):
        guess = guesser.guess(other, _near_miss(other_code, rng), "192.0.2.10")
        assert guess.status_code == 200
    assert guesser.guess(other, other_code, "192.0.2.10").status_code == 429
    # Neither limit spills over: the applicant elsewhere still opens the case being guessed,
    # and another client's right pair for another case opens that one.
    assert guesser.guess(other, other_code, "192.0.2.99").status_code == 303
    assert guesser.guess(number, code, "192.0.2.100").status_code == 303


_TIMED = {"Date", "Retry-After", "X-RateLimit-Reset"}


def _comparable(response: TestResponse, number: str) -> tuple[int, list[tuple[str, str]], str]:
    """Status, headers and body, with the CSRF token and the echoed number blanked out."""
    body = response.get_data(as_text=True).replace(number, "NUMBER")
    body = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1TOKEN", body)
    # When the limit resets is a matter of when each guess came, not of what was guessed.
    headers = [
        (k, "WHEN" if k in _TIMED else v) for k, v in response.headers.items() if k != "Set-Cookie"
    ]
    return response.status_code, headers, body


def test_a_wrong_number_and_a_wrong_code_are_answered_byte_for_byte_alike(app: Flask) -> None:
    number, code = _real_cases(app)[0]
    unknown = "20260413-9999"  # the same length: even Content-Length must not tell them apart
    wrong_code = _near_miss(code, random.Random(8))
    for limit in ("100/hour", "1/hour"):  # answered by the lookup, then by the limiter
        app.config.update(STATUS_LIMIT_PER_CLIENT="100/hour", STATUS_LIMIT_PER_CASE=limit)
        guesser = Guesser(app.test_client())
        for _ in range(2 if limit == "1/hour" else 1):
            by_number = guesser.guess(unknown, code, "192.0.2.1")
            by_code = guesser.guess(number, wrong_code, "192.0.2.2")
        assert _comparable(by_number, unknown) == _comparable(by_code, number)
        assert by_number.status_code == (200 if limit == "100/hour" else 429)
