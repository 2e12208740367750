"""``/services``: the catalogue as another system files against it."""

from __future__ import annotations

from tests.web.api.conftest import ApiClient, error_of


def test_lists_every_open_service_with_its_sop(api: ApiClient) -> None:
    response = api.get("/services")
    assert response.status_code == 200
    codes = [service["code"] for service in response.json["items"]]
    assert codes == [
        "five-wd", "five-wd-restart", "fourteen-d", "four-hours", "petition", "one-month"
    ]  # fmt: skip
    five = response.json["items"][0]
    assert five["time_limit"] == "5wd"
    assert five["supplement"] == {"deadline": "10d", "clock": "pause"}
    assert five["department"]["code"] == "sanmin/social"
    assert five["agency"]["name"]["en"] == "Sanmin District Office"
    assert [step["en"] for step in five["steps"]] == ["Received", "Review", "Decision"]


def test_one_service_and_unknown_ones(api: ApiClient) -> None:
    response = api.get("/services/fourteen-d")
    assert response.status_code == 200
    assert response.json["name"]["zh-TW"] == "十四日曆天案件"
    for code in ("no-such-service", "UPPER", "x" * 60):
        missing = api.get(f"/services/{code}")
        assert missing.status_code == 404, code
        assert error_of(missing)["code"] == "not_found"
    # NUL is refused before any view (web/core/request_limits.py), in the API's format.
    assert api.get("/services/%00").status_code == 400
    assert error_of(api.get("/services/%00"))["code"]
