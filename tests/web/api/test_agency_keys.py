"""A key bound to an agency sees and changes only that agency's cases; others' are absent."""

from __future__ import annotations

import pytest
import time_machine

from tests.conftest import NOW
from tests.web.api.conftest import ApiClient, error_of
from tracker.accounts.users import SCOPES, create_api_key
from tracker.db import Database

FILED = "2026-04-13T10:00:00+08:00"


@pytest.fixture
def sanmin_key(catalogue_db: Database) -> str:
    """Every scope, bound to 三民區公所 (sanmin)."""
    with catalogue_db.transaction() as s:
        return create_api_key(s, "sanmin system", now=NOW, scopes=SCOPES, agency="sanmin")[1]


@time_machine.travel(FILED, tick=False)
def test_another_agencys_case_is_absent(api: ApiClient, sanmin_key: str) -> None:
    ours = api.file("five-wd")["number"]  # sanmin/social
    theirs = api.file("one-month")["number"]  # yanchao/social
    assert api.get(f"/cases/{ours}", key=sanmin_key).status_code == 200
    hidden = api.get(f"/cases/{theirs}", key=sanmin_key)
    unknown = api.get("/cases/20260413-9999", key=sanmin_key)
    assert hidden.status_code == unknown.status_code == 404
    # The same answer as a number nobody has: a bound key learns nothing of other agencies.
    assert error_of(hidden)["message"] == f"There is no case numbered {theirs}."
    assert error_of(hidden)["code"] == error_of(unknown)["code"]
    assert api.get(f"/cases/{theirs}/notices", key=sanmin_key).status_code == 404
    listed = api.get("/cases", key=sanmin_key).json["items"]
    assert [case["number"] for case in listed] == [ours]
    # An unbound key still sees both.
    assert {case["number"] for case in api.get("/cases").json["items"]} == {ours, theirs}


@time_machine.travel(FILED, tick=False)
def test_a_bound_key_changes_only_its_agencys_cases(api: ApiClient, sanmin_key: str) -> None:
    ours = api.file("five-wd")
    theirs = api.file("one-month")
    note = {"note": "已聯繫", "expected_version": theirs["version"]}
    refused = api.post(f"/cases/{theirs['number']}/actions/note", note, key=sanmin_key)
    assert refused.status_code == 404
    assert api.get(f"/cases/{theirs['number']}").json["version"] == theirs["version"]
    note["expected_version"] = ours["version"]
    done = api.post(f"/cases/{ours['number']}/actions/note", note, key=sanmin_key)
    assert done.status_code == 200, done.json
    # Nor may it hand one of its cases to another agency, or file under another's service.
    transfer = {
        "department": "yanchao/social",
        "reason": "轄區錯誤",
        "expected_version": done.json["version"],
    }
    moved = api.post(f"/cases/{ours['number']}/actions/transfer", transfer, key=sanmin_key)
    assert moved.status_code == 422
    assert "department" in error_of(moved)["fields"]
    assert api.get(f"/cases/{ours['number']}").json["department"] == "sanmin/social"
    transfer["department"] = "sanmin/civil"
    assert (
        api.post(f"/cases/{ours['number']}/actions/transfer", transfer, key=sanmin_key).status_code
        == 200
    )
    body = {"service": "one-month", "applicant_name": "王小明", "phone": "0912-345-678"}
    filed = api.post("/cases", body, key=sanmin_key)
    assert filed.status_code == 422
    assert "service" in error_of(filed)["fields"]
    assert len(api.get("/cases").json["items"]) == 2
    assert api.post("/cases", {**body, "service": "five-wd"}, key=sanmin_key).status_code == 201


def test_a_bound_key_declares_and_withdraws_only_its_agencys_closures(
    api: ApiClient, sanmin_key: str
) -> None:
    for agency in ("yanchao", None):
        body = {"day": "2026-05-04", "reason": "颱風", "agency": agency}
        refused = api.post("/calendar/closures", body, key=sanmin_key)
        assert refused.status_code == 422, agency
        assert "agency" in error_of(refused)["fields"]
    assert api.get("/calendar/closures").json["items"] == []
    theirs = api.post("/calendar/closures", {"day": "2026-05-04", "reason": "颱風"}).json
    withdrawal = {"reason": "誤植"}
    gone = api.post(f"/calendar/closures/{theirs['id']}/withdrawal", withdrawal, key=sanmin_key)
    assert gone.status_code == 404
    assert len(api.get("/calendar/closures").json["items"]) == 1
    ours = api.post(
        "/calendar/closures",
        {"day": "2026-05-05", "reason": "颱風", "agency": "sanmin"},
        key=sanmin_key,
    )
    assert ours.status_code == 201
    withdrawn = api.post(
        f"/calendar/closures/{ours.json['id']}/withdrawal", withdrawal, key=sanmin_key
    )
    assert withdrawn.status_code == 200
