"""``/calendar/closures``: declaring a closure re-times open cases; listing by day."""

from __future__ import annotations

import time_machine
from sqlalchemy import select

from tests.web.api.conftest import ApiClient, Keys, error_of
from tracker.db import Database
from tracker.models import AuditEntry

FILED = "2026-04-13T10:00:00+08:00"  # five-wd: due Monday 04-20


@time_machine.travel(FILED, tick=False)
def test_a_closure_moves_open_cases_and_is_listed(
    api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    case = api.file()
    response = api.post(
        "/calendar/closures", {"day": "2026-04-15", "reason": "颱風停止上班", "agency": "sanmin"}
    )
    assert response.status_code == 201, response.json
    closure = response.json
    assert closure["day"] == "2026-04-15" and closure["agency"] == "sanmin"
    assert closure["declared_by"] == "api:case system"
    assert closure["retimed_cases"] == 1
    assert api.get(f"/cases/{case['number']}").json["due"] == "2026-04-21"
    # Audited as the console's and the command line's closures are.
    with catalogue_db.transaction() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.actor, entry.target) == (
            "closure_declared", "api:case system", "2026-04-15 sanmin"
        )  # fmt: skip
        assert entry.data == {"retimed": 1, "reason": "颱風停止上班"}

    city = api.post("/calendar/closures", {"day": "2026-05-04", "reason": "Typhoon"})
    assert city.status_code == 201 and city.json["agency"] is None
    listed = api.get("/calendar/closures", key=keys.reader).json["items"]
    assert [(c["day"], c["agency"]) for c in listed] == [
        ("2026-04-15", "sanmin"), ("2026-05-04", None)
    ]  # fmt: skip
    only_may = api.get("/calendar/closures?from=2026-05-01&to=2026-05-31").json["items"]
    assert [c["day"] for c in only_may] == ["2026-05-04"]


def test_refusals(api: ApiClient, keys: Keys) -> None:
    assert api.post("/calendar/closures", {"day": "2026-05-04", "reason": "x"}).status_code == 201
    for body, field in [
        ({"day": "2026-05-04", "reason": "again"}, "day"),
        ({"day": "2026-05-05", "reason": "x", "agency": "atlantis"}, "agency"),
        ({"day": "2026-05-05", "reason": " "}, "reason"),
        ({"day": "05/05/2026", "reason": "x"}, "day"),
        ({"day": "3026-05-05", "reason": "x"}, "day"),
        ({"reason": "x"}, "day"),
    ]:
        response = api.post("/calendar/closures", body)
        assert response.status_code == 422, body
        assert field in error_of(response)["fields"], body
    assert api.get("/calendar/closures?from=tomorrow").status_code == 400
    denied = api.post("/calendar/closures", {"day": "2026-05-06", "reason": "x"}, key=keys.reader)
    assert denied.status_code == 403


@time_machine.travel(FILED, tick=False)
def test_a_withdrawal_gives_the_cases_their_dates_back(
    api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    case = api.file()
    declared = api.post("/calendar/closures", {"day": "2026-04-15", "reason": "颱風停止上班"})
    closure_id = declared.json["id"]
    assert api.get(f"/cases/{case['number']}").json["due"] == "2026-04-21"
    path = f"/calendar/closures/{closure_id}/withdrawal"
    assert api.post(path, {"reason": "颱風轉向"}, key=keys.reader).status_code == 403
    assert "reason" in error_of(api.post(path, {"reason": " "}))["fields"]
    withdrawn = api.post(path, {"reason": "颱風轉向"})
    assert withdrawn.status_code == 200, withdrawn.json
    assert withdrawn.json == {
        "id": closure_id, "day": "2026-04-15", "agency": None, "retimed_cases": 1
    }  # fmt: skip
    assert api.get(f"/cases/{case['number']}").json["due"] == "2026-04-20"
    assert api.get("/calendar/closures").json["items"] == []
    again = api.post(path, {"reason": "颱風轉向"})
    assert again.status_code == 404 and error_of(again)["code"] == "not_found"
    assert api.post("/calendar/closures/0/withdrawal", {"reason": "x"}).status_code == 404
    with catalogue_db.transaction() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["closure_declared", "closure_withdrawn"]
