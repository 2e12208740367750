"""One service checked outside a file (the console's SOP editor): read as a file's service is,
refused with the file's messages, each under the key it is about."""

from __future__ import annotations

import pytest

from tests.tracker.catalogue.test_file import HEAD, service
from tracker.catalogue.file import ServiceRefused, parse_catalogue, read_service
from tracker.catalogue.specs import Text

SERVICE = {
    "code": "low-income-household",
    "agency": "sanmin",
    "department": "social",
    "name": {"zh-TW": "低收入戶申請", "en": "Low-income household application"},
    "time_limit": "30wd",
    "steps": [{"zh-TW": "收件", "en": "Received"}, {"zh-TW": "核定"}],
}
KNOWN = {"sanmin": {"social"}}


def test_a_service_on_its_own_is_read_as_in_a_file() -> None:
    spec = read_service(SERVICE, departments=KNOWN)
    from_file = parse_catalogue(
        HEAD + service("time_limit: 30wd", "steps: [{zh-TW: 收件, en: Received}, {zh-TW: 核定}]"),
        "catalogue.yaml",
    ).services[0]
    assert spec.content() == from_file.content()
    assert spec.steps == (Text("收件", "Received"), Text("核定"))


def test_a_refused_service_has_the_files_messages_under_its_keys() -> None:
    bad = SERVICE | {"time_limit": "30 days", "name": {"zh-TW": ""}, "steps": []}
    with pytest.raises(ServiceRefused) as caught:
        read_service(bad, departments=KNOWN)
    assert set(caught.value.by_key) == {"name", "time_limit", "steps"}
    assert caught.value.by_key["name"] == [
        "'zh-TW' in 'name' of service 'low-income-household' is empty"
    ]
    assert caught.value.by_key["steps"] == [
        "'steps' in service 'low-income-household' is an empty list: give at least one"
    ]
    assert caught.value.by_key["time_limit"][0].startswith(
        "bad time_limit in service 'low-income-household': "
    )


def test_a_code_taken_by_another_service_is_refused() -> None:
    with pytest.raises(ServiceRefused) as caught:
        read_service(SERVICE, departments=KNOWN, taken={"low-income-household"})
    assert caught.value.by_key["code"] == [
        "duplicate service code 'low-income-household' (another service has it)"
    ]


def test_an_unknown_department_is_refused_as_in_a_file() -> None:
    with pytest.raises(ServiceRefused) as caught:
        read_service(SERVICE | {"department": "zoo"}, departments=KNOWN)
    assert caught.value.by_key["department"][0].startswith("unknown department 'zoo'")


def test_text_that_looks_like_yaml_stays_text() -> None:
    tricky = SERVICE | {"name": {"zh-TW": "- {a: b}", "en": "No"}}
    spec = read_service(tricky, departments=KNOWN)
    assert spec.name == Text("- {a: b}", "No")
