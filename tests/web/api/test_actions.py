"""``/cases/{number}/actions/...``: the console's actions, with optimistic locking."""

from __future__ import annotations

from typing import Any

import time_machine

from tests.web.api.conftest import ApiClient, error_of

FILED = "2026-04-13T10:00:00+08:00"  # Monday; five-wd is due 04-20
LATER = "2026-04-14T10:00:00+08:00"


def _act(api: ApiClient, case: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
    response = api.post(
        f"/cases/{case['number']}/actions/{action}",
        {"expected_version": case["version"], **body},
    )
    assert response.status_code == 200, (action, response.json)
    assert response.json["version"] > case["version"]
    return response.json


def test_a_case_through_every_open_action(api: ApiClient, time_machine: Any) -> None:
    time_machine.move_to(FILED, tick=False)
    case = api.file()
    case = _act(api, case, "note", note="Called the applicant.", public=False)
    case = _act(api, case, "start")
    assert case["status"] == "in_progress"
    case = _act(api, case, "step", step=2, note="Under review")
    assert case["current_step"]["number"] == 2

    time_machine.move_to(LATER, tick=False)
    case = _act(api, case, "request_supplement", items=["Household register copy"])
    assert case["status"] == "awaiting_supplement"
    assert case["paused"] is True and case["due"] is None
    assert case["supplement"]["items"] == ["Household register copy"]
    assert case["supplement"]["due"] == "2026-04-24"  # the service's 10d rule

    time_machine.move_to("2026-04-20T10:00:00+08:00", tick=False)
    case = _act(api, case, "receive_supplement", note="All there")
    # DESIGN §4.4: 04-14 is day 1; the paused days (04-14, 04-20] do not count → 04-24.
    assert case["status"] == "in_progress" and case["due"] == "2026-04-24"
    case = _act(api, case, "extend", extension="3wd", reason="Site visit needed")
    assert case["extension"] == {"amount": "3wd", "reason": "Site visit needed"}
    assert case["due"] == "2026-04-29"
    case = _act(
        api, case, "overdue_info", reason="Waiting for the survey", expected_completion="2026-05-04"
    )
    assert case["overdue_reason"] == "Waiting for the survey"
    assert case["expected_completion"] == "2026-05-04"
    case = _act(api, case, "transfer", department="sanmin/civil", reason="Their matter")
    assert case["department"] == "sanmin/civil"
    case = _act(api, case, "complete", note="Approved")
    assert case["status"] == "completed" and case["closed_at"] is not None

    kinds = [n["kind"] for n in api.get(f"/cases/{case['number']}/notices").json["items"]]
    assert sorted(kinds) == sorted(
        ["receipt", "supplement", "extension", "transferred", "ready", "survey"]
    )


@time_machine.travel(FILED, tick=False)
def test_reject_withdraw_and_transfer_out_end_the_case(api: ApiClient) -> None:
    rejected = _act(api, api.file(), "reject", reason="Not eligible")
    assert rejected["status"] == "rejected"
    withdrawn = _act(api, api.file(), "withdraw")
    assert withdrawn["status"] == "withdrawn"
    out = _act(api, api.file(), "transfer_out", agency="Kaohsiung Land Office", reason="Theirs")
    assert out["status"] == "transferred"


@time_machine.travel(FILED, tick=False)
def test_a_stale_version_is_409_and_changes_nothing(api: ApiClient) -> None:
    case = api.file()
    started = _act(api, case, "start")
    stale = api.post(
        f"/cases/{case['number']}/actions/note", {"note": "late", "expected_version": 1}
    )
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "conflict"
    assert api.get(f"/cases/{case['number']}").json["version"] == started["version"]
    # Without expected_version the action is applied to whatever is current.
    assert api.post(f"/cases/{case['number']}/actions/note", {"note": "ok"}).status_code == 200


@time_machine.travel(FILED, tick=False)
def test_refusals(api: ApiClient) -> None:
    case = api.file()
    number = case["number"]
    illegal = api.post(f"/cases/{number}/actions/receive_supplement", {})
    assert illegal.status_code == 409
    assert error_of(illegal)["code"] == "illegal_transition"
    for action, body, field in [
        ("step", {"step": 4}, "step"),
        ("step", {"step": "2"}, "step"),
        ("step", {}, "step"),
        ("note", {"note": "   "}, "note"),
        ("extend", {"extension": "5d", "reason": "x"}, "extension"),
        ("extend", {"extension": "9wd", "reason": "x"}, "extension"),
        ("extend", {"extension": "1 week", "reason": "x"}, "extension"),
        ("overdue_info", {"reason": "x", "expected_completion": "2026-04-01"},
         "expected_completion"),
        ("transfer", {"department": "sanmin/social", "reason": "x"}, "department"),
        ("transfer", {"department": "nowhere/none", "reason": "x"}, "department"),
        ("request_supplement", {"items": []}, "items"),
        ("request_supplement", {"items": ["form"], "deadline": "2026-04-13"}, "deadline"),
        ("reject", {}, "reason"),
        ("note", {"note": "x", "expected_version": "1"}, "expected_version"),
        ("note", {"note": "x", "expected_version": 0}, "expected_version"),
    ]:  # fmt: skip
        response = api.post(f"/cases/{number}/actions/{action}", body)
        assert response.status_code == 422, (action, body, response.json)
        assert field in error_of(response)["fields"], (action, body)
    assert api.get(f"/cases/{number}").json["version"] == case["version"]
    missing = api.post("/cases/20260413-0099/actions/start", {})
    assert missing.status_code == 404
    assert api.post(f"/cases/{number}/actions/fly", {}).status_code == 404


@time_machine.travel(FILED, tick=False)
def test_an_action_whose_fields_are_all_optional_needs_no_body(api: ApiClient) -> None:
    number = api.file()["number"]
    response = api.post(f"/cases/{number}/actions/start")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "in_progress"


@time_machine.travel(FILED, tick=False)
def test_a_petition_is_closed_as_not_handled_an_application_is_not(api: ApiClient) -> None:
    petition = api.file("petition")
    assert petition["due"] == "2026-05-13"  # 30 calendar days
    closed = _act(api, petition, "decline", ground="not_competent", reason="Sent to many")
    assert closed["status"] == "not_handled" and closed["closed_at"] is not None
    kinds = [n["kind"] for n in api.get(f"/cases/{petition['number']}/notices").json["items"]]
    assert sorted(set(kinds)) == ["not_handled", "receipt"]

    application = api.file()
    refused = api.post(
        f"/cases/{application['number']}/actions/decline",
        {"expected_version": application["version"], "ground": "repeated", "reason": "Again"},
    )
    assert refused.status_code == 409
    assert "only petitions" in error_of(refused)["message"]
    unknown = api.post(
        f"/cases/{petition['number']}/actions/decline",
        {"ground": "bored", "reason": "No"},
    )
    assert unknown.status_code == 422
