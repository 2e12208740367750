"""No personal data in any GET: the applicant's name, phone, email and words never appear."""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.web.open311.conftest import PERSON, PERSON_TRACES, PREFIX, Keys, Seeded

DESCRIPTION = "我住在苓雅區四維三路2號"


def test_no_get_shows_personal_data(
    app: Flask, client: FlaskClient, keys: Keys, seeded: Seeded
) -> None:
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        posted = client.post(
            f"{PREFIX}/requests.json",
            data={
                "api_key": keys.full,
                "service_code": "five-wd",
                "description": DESCRIPTION,
                "address_string": "四維三路2號",
                **PERSON,
            },
        )
        assert posted.status_code == 200, posted.get_data(as_text=True)
        created = posted.get_json()[0]["service_request_id"]
        numbers = [created, *vars(seeded).values()]
        paths = [
            "/services.json",
            "/services/five-wd.json",
            "/requests.json",
            "/requests.json?lang=en",
            "/requests.json?start_date=2025-12-01T00:00:00Z",
            f"/requests.json?service_request_id={','.join(numbers)}",
            *(f"/requests/{number}.json" for number in numbers),
        ]
        bodies = {path: client.get(PREFIX + path) for path in paths}
    seen = set()
    for path, response in bodies.items():
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        # Also as Python would write the document, in case a body escapes its Chinese.
        decoded = json.dumps(response.get_json(), ensure_ascii=False)
        for trace in (*PERSON_TRACES, DESCRIPTION, "四維三路", "苓雅區"):
            assert trace not in text and trace not in decoded, (path, trace)
        seen.update(r["service_request_id"] for r in response.get_json() if "status" in r)
    assert set(numbers) <= seen  # every case, the posted one included, was read
