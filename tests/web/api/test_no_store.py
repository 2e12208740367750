"""Cache-Control: no-store on the API's responses: cases carry applicants and lookup codes."""

from __future__ import annotations

from tests.web.api.conftest import ApiClient


def test_the_apis_cases_are_no_store(api: ApiClient) -> None:
    filed = api.post(
        "/cases", {"service": "five-wd", "applicant_name": "王小明", "phone": "0912-345-678"}
    )
    assert filed.status_code == 201
    assert filed.headers["Cache-Control"] == "no-store"
    shown = api.get(f"/cases/{filed.json['number']}")
    assert shown.headers["Cache-Control"] == "no-store"
