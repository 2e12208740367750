"""The catalogue file reader (DESIGN §5.1): what it accepts, what it refuses, and on which line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from textwrap import dedent

import pytest

from tracker.catalogue import DEMO_CATALOGUE as DEMO
from tracker.catalogue.file import parse_catalogue, read_catalogue
from tracker.catalogue.specs import (
    DEFAULT_OVERDUE_REASON,
    DEFAULT_STEPS,
    DEFAULT_SUPPLEMENT_DEADLINE,
    Catalogue,
    Retention,
    Text,
)
from tracker.catalogue.yaml_nodes import MAX_NAME_CHARS, CatalogueError, CatalogueInvalid
from tracker.deadlines.limits import DEFAULT_LIMIT, TimeLimit, Unit

# The example of DESIGN §5.1, verbatim.
CONTRACT_EXAMPLE = dedent(
    """\
    agencies:
      - code: sanmin                       # short, lowercase
        name: {zh-TW: 高雄市三民區公所, en: Sanmin District Office}
        departments:
          - code: social
            name: {zh-TW: 社會課, en: Social Affairs Section}
            phone: "07-311-0000"
    services:
      - code: low-income-household
        agency: sanmin
        department: social
        name: {zh-TW: 低收入戶申請, en: Low-income household application}
        time_limit: 30wd
        supplement: {deadline: 10d, clock: pause}   # clock: pause | restart
        kind: application                            # application | petition
        steps: [{zh-TW: 收件, en: Received}, {zh-TW: 訪視, en: Home visit}, {zh-TW: 核定, en: Decision}]
        required_documents: [{zh-TW: 申請書, en: Application form}]
        legal_basis: {zh-TW: 社會救助法, en: Public Assistance Act}
        overdue_reason: {zh-TW: 案件審核中, en: Under review}
        pickup: true            # optional: something is collected when done (board label 可領件)
        retention: 5y           # optional: personal data erased this long after closing (default 5y)
    """  # noqa: E501 - the contract's own line, kept verbatim
)

# Lines 1-7 hold one agency with one department; services start on line 8.
HEAD = dedent(
    """\
    agencies:
      - code: sanmin
        name: {zh-TW: 三民區公所, en: Sanmin District Office}
        departments:
          - code: social
            name: {zh-TW: 社會課, en: Social Affairs Section}
            phone: "07-311-0000"
    services:
    """
)


def service(*extra: str, code: str = "low-income-household") -> str:
    """A minimal service (4 lines, the first being '- code:'), plus indented ``extra`` lines."""
    lines = [
        f"  - code: {code}",
        "    agency: sanmin",
        "    department: social",
        "    name: {zh-TW: 低收入戶申請, en: Low-income household application}",
        *(f"    {line}" for line in extra),
    ]
    return "\n".join(lines) + "\n"


def parse(text: str) -> Catalogue:
    return parse_catalogue(text, "catalogue.yaml")


def refusals(text: str) -> list[tuple[int, str]]:
    """The (line, reason) of every error the file is refused for."""
    with pytest.raises(CatalogueInvalid) as caught:
        parse(text)
    return [(error.line, error.reason) for error in caught.value.errors]


def only_refusal(text: str) -> tuple[int, str]:
    found = refusals(text)
    assert len(found) == 1, found
    return found[0]


# -- what is accepted -----------------------------------------------------------------------------


def test_the_contract_example_reads_as_written() -> None:
    catalogue = parse(CONTRACT_EXAMPLE)

    (agency,) = catalogue.agencies
    assert agency.code == "sanmin"
    assert agency.name == Text("高雄市三民區公所", "Sanmin District Office")
    assert agency.department("social").phone == "07-311-0000"
    spec = catalogue.service("low-income-household")
    assert (spec.agency, spec.department, spec.line) == ("sanmin", "social", 9)
    assert spec.time_limit == TimeLimit(30, Unit.WORKING_DAYS)
    assert spec.supplement_deadline == TimeLimit(10, Unit.DAYS)
    assert spec.supplement_clock == "pause"
    assert spec.kind == "application"
    assert [step.en for step in spec.steps] == ["Received", "Home visit", "Decision"]
    assert spec.required_documents == (Text("申請書", "Application form"),)
    assert spec.legal_basis == Text("社會救助法", "Public Assistance Act")
    assert spec.overdue_reason == Text("案件審核中", "Under review")
    assert spec.faq == ()


def test_a_minimal_service_gets_the_documented_defaults() -> None:
    spec = parse(HEAD + service()).services[0]

    assert spec.time_limit == DEFAULT_LIMIT == TimeLimit(2, Unit.MONTHS)
    assert spec.kind == "application"
    assert spec.supplement_deadline == DEFAULT_SUPPLEMENT_DEADLINE == TimeLimit(7, Unit.DAYS)
    assert spec.supplement_clock == "pause"
    assert spec.steps == DEFAULT_STEPS
    assert [step.zh_tw for step in spec.steps] == ["收件", "審核", "辦結"]
    assert spec.required_documents == ()
    assert spec.legal_basis is None
    assert spec.overdue_reason == DEFAULT_OVERDUE_REASON == Text("案件處理中", "Being processed")


def test_a_petition_without_a_limit_gets_30_days() -> None:
    spec = parse(HEAD + service("kind: petition")).services[0]
    assert spec.kind == "petition"
    assert spec.time_limit == TimeLimit(30, Unit.DAYS)


def test_supplement_keys_default_one_by_one() -> None:
    spec = parse(HEAD + service("supplement: {clock: restart}")).services[0]
    assert (spec.supplement_deadline, spec.supplement_clock) == (
        DEFAULT_SUPPLEMENT_DEADLINE,
        "restart",
    )
    spec = parse(HEAD + service("supplement: {deadline: 5wd}")).services[0]
    assert (spec.supplement_deadline, spec.supplement_clock) == (
        TimeLimit(5, Unit.WORKING_DAYS),
        "pause",
    )


def test_optional_department_keys_and_faq_are_read() -> None:
    text = dedent(
        """\
        agencies:
          - code: daliao-household
            name: {zh-TW: 大寮戶政事務所}
            departments:
              - code: registration
                name: {zh-TW: 戶籍登記課, en: Household Registration Section}
                phone: 07-781-0001#12
                email: registration@daliao.example
                address: {zh-TW: 1 樓單一窗口, en: One-stop counter}
                hours: {zh-TW: 週一至週五 08:00–17:00}
        services:
          - code: household-transcript
            agency: daliao-household
            department: registration
            name: {zh-TW: 戶籍謄本申請, en: Household registration transcript}
            time_limit: 30min
            required_documents: []
            faq:
              - q: {zh-TW: 可以代理申請嗎？, en: "Can someone apply for me?"}
                a: {zh-TW: 可以，請附委託書。, en: Yes. Bring a letter of authorisation.}
        """
    )
    catalogue = parse(text)

    department = catalogue.agency("daliao-household").department("registration")
    assert department.phone == "07-781-0001#12"
    assert department.email == "registration@daliao.example"
    assert department.address == Text("1 樓單一窗口", "One-stop counter")
    assert department.hours == Text("週一至週五 08:00–17:00")
    assert catalogue.agency("daliao-household").name.en is None
    spec = catalogue.service("household-transcript")
    assert spec.time_limit == TimeLimit(30, Unit.MINUTES)
    assert spec.faq[0].q.get("en") == "Can someone apply for me?"
    assert spec.faq[0].a.get("zh-TW") == "可以，請附委託書。"


def test_scalars_are_read_as_written_not_as_yaml_1_1_types() -> None:
    # Unquoted `No` would be the boolean False to PyYAML's loader, `0730` an octal number.
    spec = parse(HEAD + service("legal_basis: {zh-TW: 0730, en: No}")).services[0]
    assert spec.legal_basis == Text("0730", "No")


def test_text_falls_back_to_traditional_chinese() -> None:
    text = Text("收件", None)
    assert text.get("en") == "收件"
    assert text.as_dict() == {"zh-TW": "收件"}
    both = Text("收件", "Received")
    assert both.get("en-GB") == "Received"
    assert both.get("zh-TW") == "收件"
    assert both.as_dict() == {"zh-TW": "收件", "en": "Received"}


def test_a_byte_order_mark_is_tolerated_when_reading_a_file(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_bytes(CONTRACT_EXAMPLE.encode("utf-8-sig"))
    assert read_catalogue(path).services[0].code == "low-income-household"


# -- content(): what decides whether a reload is a new SOP version --------------------------------


def test_content_is_stable_and_json_able() -> None:
    first = parse(CONTRACT_EXAMPLE).services[0].content()
    second = parse(CONTRACT_EXAMPLE).services[0].content()
    assert first == second
    assert json.loads(json.dumps(first, sort_keys=True)) == first
    assert first["time_limit"] == "30wd"
    assert first["supplement"] == {"deadline": "10d", "clock": "pause"}


def test_content_changes_when_the_limit_changes() -> None:
    before = parse(CONTRACT_EXAMPLE).services[0].content()
    after = parse(CONTRACT_EXAMPLE.replace("30wd", "20wd")).services[0].content()
    assert before != after
    assert after["time_limit"] == "20wd"


def test_content_ignores_position_spelling_and_written_out_defaults() -> None:
    plain = parse(HEAD + service()).services[0]
    spelled_out = parse(
        "# a comment shifts every line\n"
        + HEAD
        + service(
            "time_limit: ' 2 mo '",
            "kind: application",
            "supplement: {deadline: 7d, clock: pause}",
            "steps: [{zh-TW: 收件, en: Received}, {zh-TW: 審核, en: Review},"
            " {zh-TW: 辦結, en: Completed}]",
            "required_documents: []",
            "overdue_reason: {zh-TW: 案件處理中, en: Being processed}",
        )
    ).services[0]
    assert plain.line != spelled_out.line
    assert plain.content() == spelled_out.content()


def test_content_changes_with_any_text() -> None:
    base = parse(CONTRACT_EXAMPLE).services[0].content()
    for old, new in [
        ("Home visit", "Visit"),
        ("申請書", "申請表"),
        ("clock: pause", "clock: restart"),
        ("Under review", "Reviewing"),
    ]:
        assert parse(CONTRACT_EXAMPLE.replace(old, new)).services[0].content() != base, old


# -- what is refused, and where -------------------------------------------------------------------


def test_an_unknown_service_key_names_file_line_and_the_allowed_keys() -> None:
    text = HEAD + service("limit: 30wd")
    with pytest.raises(CatalogueInvalid) as caught:
        parse(text)
    (error,) = caught.value.errors
    assert str(error) == (
        "catalogue.yaml:13: unknown key 'limit' in service 'low-income-household' (allowed: "
        "code, agency, department, name, time_limit, supplement, kind, steps, "
        "required_documents, legal_basis, overdue_reason, faq, pickup, retention)"
    )
    assert (error.filename, error.line) == ("catalogue.yaml", 13)
    assert error.reason.startswith("unknown key 'limit'")
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("text", "line", "start"),
    [
        ("colour: blue\n" + HEAD + service(), 1, "unknown key 'colour' in the catalogue"),
        (
            HEAD.replace("    name: {zh-TW: 三民", "    phone: x\n    name: {zh-TW: 三民")
            + service(),
            3,
            "unknown key 'phone' in agency 'sanmin'",
        ),
        (
            HEAD.replace('"07-311-0000"', '"07-311-0000"\n        fax: "07-311-0001"') + service(),
            8,
            "unknown key 'fax' in department 'social' of agency 'sanmin'",
        ),
        (
            HEAD + service("supplement: {deadline: 10d, stop: true}"),
            13,
            "unknown key 'stop' in 'supplement' of service 'low-income-household'",
        ),
        (
            HEAD + service("faq: [{q: {zh-TW: 問}, a: {zh-TW: 答}, why: {zh-TW: 因}}]"),
            13,
            "unknown key 'why' in faq[1] of service 'low-income-household'",
        ),
    ],
)
def test_unknown_keys_are_refused_at_every_level(text: str, line: int, start: str) -> None:
    found_line, reason = only_refusal(text)
    assert found_line == line
    assert reason.startswith(start), reason


def test_missing_required_keys_point_at_the_mapping() -> None:
    text = HEAD + "  - code: low-income-household\n    agency: sanmin\n    time_limit: 30wd\n"
    assert refusals(text) == [
        (9, "missing required key 'department' in service 'low-income-household'"),
        (9, "missing required key 'name' in service 'low-income-household'"),
    ]
    no_departments = "agencies:\n  - code: sanmin\n    name: {zh-TW: 三民區公所}\nservices: []\n"
    assert refusals(no_departments) == [
        (2, "missing required key 'departments' in agency 'sanmin'")
    ]
    assert refusals(HEAD.replace("services:\n", "")) == [
        (1, "missing required key 'services' in the catalogue")
    ]


def test_an_unknown_agency_is_refused_on_its_line() -> None:
    line, reason = only_refusal(HEAD + service().replace("agency: sanmin", "agency: sanmim"))
    assert line == 10
    assert reason == "unknown agency 'sanmim' in service 'low-income-household' (known: sanmin)"


def test_an_unknown_department_is_refused_on_its_line() -> None:
    line, reason = only_refusal(HEAD + service().replace("department: social", "department: soc"))
    assert line == 11
    assert reason == (
        "unknown department 'soc' of agency 'sanmin' in service 'low-income-household' "
        "(departments of sanmin: social)"
    )


def test_a_department_of_another_agency_is_unknown() -> None:
    text = HEAD.replace("services:\n", "") + dedent(
        """\
          - code: yanchao
            name: {zh-TW: 燕巢區公所}
            departments:
              - code: agriculture
                name: {zh-TW: 農業課}
        services:
        """
    )
    text += service().replace("department: social", "department: agriculture")
    assert only_refusal(text)[0] == 16


@pytest.mark.parametrize(
    ("limit", "why"),
    [
        ("30 days", "'30 days' is not a time limit"),
        ("5", "'5' is not a time limit"),
        ("0wd", "the amount must be between 1 and 500"),
        ("900d", "the amount must be between 1 and 730"),
    ],
)
def test_a_bad_limit_is_refused_with_the_reason_from_parse_limit(limit: str, why: str) -> None:
    line, reason = only_refusal(HEAD + service(f"time_limit: {limit}"))
    assert line == 13
    assert reason.startswith("bad time_limit in service 'low-income-household': ")
    assert why in reason


def test_an_empty_limit_is_refused() -> None:
    assert only_refusal(HEAD + service("time_limit:")) == (
        13,
        "'time_limit' in service 'low-income-household' is empty",
    )


@pytest.mark.parametrize("deadline", ["4h", "30min", "1mo"])
def test_a_supplement_deadline_must_be_in_days(deadline: str) -> None:
    line, reason = only_refusal(HEAD + service(f"supplement: {{deadline: {deadline}}}"))
    assert line == 13
    assert "a supplement deadline is counted in days, use d" in reason


def test_a_malformed_supplement_deadline_is_refused() -> None:
    line, reason = only_refusal(HEAD + service("supplement:", "  deadline: ten days"))
    assert line == 14
    assert reason.startswith("bad deadline in 'supplement' of service 'low-income-household'")


def test_kind_and_clock_must_be_one_of_their_words() -> None:
    assert refusals(HEAD + service("kind: complaint", "supplement: {clock: stop}")) == [
        (13, "bad kind 'complaint' in service 'low-income-household': use application or petition"),
        (
            14,
            "bad clock 'stop' in 'supplement' of service 'low-income-household': "
            "use pause or restart",
        ),
    ]


def test_duplicate_agency_codes_are_refused() -> None:
    text = HEAD.replace("services:\n", "") + dedent(
        """\
          - code: sanmin
            name: {zh-TW: 三民區公所（重複）}
            departments:
              - code: civil
                name: {zh-TW: 民政課}
        services: []
        """
    )
    assert refusals(text) == [(8, "duplicate agency code 'sanmin' (first on line 2)")]


def test_duplicate_department_codes_within_an_agency_are_refused() -> None:
    text = HEAD.replace(
        "services:\n",
        "      - code: social\n        name: {zh-TW: 社會課二}\nservices: []\n",
    )
    assert refusals(text) == [
        (8, "duplicate department code 'social' in agency 'sanmin' (first on line 5)")
    ]


def test_the_same_department_code_in_two_agencies_is_fine() -> None:
    text = HEAD.replace("services:\n", "") + dedent(
        """\
          - code: yanchao
            name: {zh-TW: 燕巢區公所}
            departments:
              - code: social
                name: {zh-TW: 社會課}
        services: []
        """
    )
    assert [a.departments[0].code for a in parse(text).agencies] == ["social", "social"]


def test_duplicate_service_codes_are_refused() -> None:
    assert refusals(HEAD + service() + service()) == [
        (13, "duplicate service code 'low-income-household' (first on line 9)")
    ]


@pytest.mark.parametrize(
    "code",
    ["Sanmin", "3rd-office", "low_income", "-x", "a" * 41, "'低收入戶'", "'san min'"],
)
def test_bad_codes_are_refused(code: str) -> None:
    line, reason = only_refusal(HEAD + service(code=code))
    assert line == 9
    assert reason.startswith("bad code ")
    assert "lowercase letters a-z, digits and hyphens, starting with a letter" in reason


def test_a_bad_agency_code_is_reported_once_not_again_by_each_service() -> None:
    text = (HEAD + service()).replace("code: sanmin", "code: San_Min")
    text = text.replace("agency: sanmin", "agency: San_Min")
    assert [line for line, _ in refusals(text)] == [2]


def test_a_forty_character_code_is_accepted() -> None:
    assert parse(HEAD + service(code="a" * 40)).services[0].code == "a" * 40


@pytest.mark.parametrize(
    ("value", "start"),
    [
        ("低收入戶申請", "'name' of service 'low-income-household' must give each language"),
        ("{en: Low-income household}", "missing required language 'zh-TW' in 'name'"),
        ("{zh-TW: '', en: Low-income}", "'zh-TW' in 'name' of service"),
        ("{zh-TW: 低收入戶, en: }", "'en' in 'name' of service"),
        ("{zh-TW: 低收入戶, ja: 低所得世帯}", "unknown language 'ja' in 'name' of service"),
        ("[低收入戶]", "'name' of service 'low-income-household' must be a mapping"),
    ],
)
def test_texts_must_be_bilingual_mappings(value: str, start: str) -> None:
    lines = service().replace("{zh-TW: 低收入戶申請, en: Low-income household application}", value)
    line, reason = only_refusal(HEAD + lines)
    assert line == 12
    assert reason.startswith(start), reason


def test_texts_in_lists_name_their_position() -> None:
    line, reason = only_refusal(HEAD + service("steps:", "  - {zh-TW: 收件}", "  - 審核"))
    assert line == 15
    assert reason.startswith("'steps[2]' of service 'low-income-household' must give each")


def test_a_name_too_long_for_a_notice_is_refused() -> None:
    long_name = "申" * (MAX_NAME_CHARS + 1)
    text = HEAD + service().replace("低收入戶申請", long_name)
    assert only_refusal(text) == (
        12,
        f"'zh-TW' in 'name' of service 'low-income-household' is {MAX_NAME_CHARS + 1} "
        f"characters long (at most {MAX_NAME_CHARS})",
    )


def test_lists_must_be_lists() -> None:
    assert refusals(HEAD + service("steps: []", "required_documents:")) == [
        (13, "'steps' in service 'low-income-household' is an empty list: give at least one"),
        (
            14,
            "'required_documents' in service 'low-income-household' must be a list, "
            "not nothing (write [] for none)",
        ),
    ]


def test_bad_contact_details_are_refused() -> None:
    text = HEAD.replace('"07-311-0000"', "call us\n        email: social-at-sanmin")
    assert refusals(text + service()) == [
        (
            7,
            "bad phone 'call us' in department 'social' of agency 'sanmin': use digits, spaces, "
            "'-', '()' and '#' before an extension, e.g. 07-311-0000#123",
        ),
        (8, "bad email 'social-at-sanmin' in department 'social' of agency 'sanmin'"),
    ]


def test_duplicate_yaml_keys_are_refused_not_silently_overwritten() -> None:
    text = HEAD + service("time_limit: 30wd", "time_limit: 20wd")
    assert refusals(text) == [
        (14, "duplicate key 'time_limit' in service 'low-income-household' (first on line 13)")
    ]


def test_duplicate_languages_are_refused() -> None:
    text = HEAD + service("legal_basis:", "  zh-TW: 社會救助法", "  zh-TW: 社會救助法施行細則")
    assert only_refusal(text)[0] == 15


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here yet\n"])
def test_an_empty_file_is_refused(text: str) -> None:
    assert refusals(text) == [
        (1, "the file is empty: a catalogue needs 'agencies:' and 'services:'")
    ]


def test_a_yaml_syntax_error_gives_its_line() -> None:
    text = HEAD + service("steps: [{zh-TW: 收件}", "kind: application")
    line, reason = only_refusal(text)
    assert line == 14
    assert reason.startswith("YAML syntax error: ")


def test_a_tab_indent_gives_its_line() -> None:
    line, reason = only_refusal(HEAD + service("kind:\tapplication").replace("    kind", "\tkind"))
    assert line == 13
    assert "'\\t'" in reason


def test_a_control_character_gives_its_line() -> None:
    line, reason = only_refusal(HEAD + service("kind: appli\x07cation"))
    assert line == 13
    assert reason == "character '\\x07' is not allowed in a YAML file"


def test_a_second_yaml_document_is_refused() -> None:
    assert only_refusal(HEAD + service() + "---\nservices: []\n")[0] == 13


@pytest.mark.parametrize(
    ("text", "found"), [("- sanmin\n- yanchao\n", "a list"), ("sanmin\n", "'sanmin'")]
)
def test_the_top_level_must_be_a_mapping(text: str, found: str) -> None:
    assert refusals(text) == [
        (1, f"the top level must be a mapping with 'agencies:' and 'services:', not {found}")
    ]


def test_a_catalogue_needs_an_agency_but_may_have_no_services() -> None:
    assert refusals("agencies: []\nservices: []\n") == [
        (1, "'agencies' in the catalogue is an empty list: give at least one")
    ]
    assert parse(HEAD.replace("services:\n", "services: []\n")).services == ()


def test_all_errors_are_reported_at_once_in_line_order() -> None:
    text = HEAD.replace("code: social", "code: Social")  # line 5: bad code
    # Lines 9-14: a service on the bad department (not reported again), a bad limit on 13 and
    # an unknown key on 14.
    text += service("time_limit: soon", "colour: red").replace("social", "Social")
    # Lines 15-19: a duplicate code on 15, an unknown department on 17 and a bad kind on 19.
    text += service("kind: urgent")
    with pytest.raises(CatalogueInvalid) as caught:
        parse(text)
    lines = [error.line for error in caught.value.errors]
    assert lines == [5, 13, 14, 15, 17, 19]
    assert str(caught.value).splitlines() == [str(error) for error in caught.value.errors]
    assert all(re.match(r"^catalogue\.yaml:\d+: ", line) for line in str(caught.value).splitlines())


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "big5.yaml"
    path.write_bytes(bom + (HEAD + service()).encode("big5"))
    with pytest.raises(CatalogueInvalid) as caught:
        read_catalogue(path)
    (error,) = caught.value.errors
    assert (error.filename, error.line) == (str(path), 3)
    assert "not UTF-8" in error.reason


def test_catalogue_error_reads_like_a_compiler_message() -> None:
    error = CatalogueError("catalogue.yaml", 12, "unknown key 'limit'")
    assert str(error) == "catalogue.yaml:12: unknown key 'limit'"


# -- the demo catalogue ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Catalogue:
    return read_catalogue(DEMO)


def test_the_demo_catalogue_has_the_promised_breadth(demo: Catalogue) -> None:
    assert len(demo.agencies) >= 3
    assert sum(len(agency.departments) for agency in demo.agencies) >= 6
    assert len(demo.services) >= 15
    units = {spec.time_limit.unit for spec in demo.services}
    assert {Unit.MINUTES, Unit.WORKING_DAYS, Unit.DAYS, Unit.MONTHS} <= units
    assert any(
        spec.kind == "petition" and spec.time_limit == TimeLimit(30, Unit.DAYS)
        for spec in demo.services
    )
    assert any(spec.supplement_clock == "restart" for spec in demo.services)
    assert demo.service("demo-quick").time_limit == TimeLimit(5, Unit.MINUTES)


def test_every_demo_text_is_bilingual(demo: Catalogue) -> None:
    texts: list[Text] = []
    for agency in demo.agencies:
        texts.append(agency.name)
        for department in agency.departments:
            texts += [department.name, *filter(None, [department.address, department.hours])]
    for spec in demo.services:
        texts += [spec.name, *spec.steps, *spec.required_documents, spec.overdue_reason]
        texts += [spec.legal_basis] if spec.legal_basis else []
        texts += [text for entry in spec.faq for text in (entry.q, entry.a)]
    assert all(text.zh_tw and text.en for text in texts)


def test_demo_departments_have_kaohsiung_phone_numbers(demo: Catalogue) -> None:
    for agency in demo.agencies:
        for department in agency.departments:
            assert department.phone
            assert re.match(r"^07-\d{3}-\d{4}$", department.phone), department.phone


def test_demo_content_is_the_same_on_every_read(demo: Catalogue) -> None:
    again = read_catalogue(DEMO)
    assert [spec.content() for spec in demo.services] == [s.content() for s in again.services]
    assert [agency.content() for agency in demo.agencies] == [a.content() for a in again.agencies]


# -- the sender's short name, pickup and retention (DESIGN §5.1) ----------------------------------


def test_an_agency_may_name_its_sender_in_short() -> None:
    text = CONTRACT_EXAMPLE.replace(
        "    name: {zh-TW: 高雄市三民區公所, en: Sanmin District Office}\n",
        "    name: {zh-TW: 高雄市三民區公所, en: Sanmin District Office}\n"
        "    short_name: {zh-TW: 三民區公所, en: Sanmin Dist. Office}\n",
    )
    agency = parse(text).agencies[0]
    assert agency.short_name == Text("三民區公所", "Sanmin Dist. Office")
    assert agency.sender == Text("三民區公所", "Sanmin Dist. Office")


def test_without_a_short_name_the_sender_is_the_agencys_name() -> None:
    agency = parse(CONTRACT_EXAMPLE).agencies[0]
    assert agency.short_name is None
    assert agency.sender == Text("高雄市三民區公所", "Sanmin District Office")


def test_a_short_name_too_long_for_an_sms_is_refused() -> None:
    text = CONTRACT_EXAMPLE.replace(
        "    name: {zh-TW: 高雄市三民區公所, en: Sanmin District Office}\n",
        "    name: {zh-TW: 高雄市三民區公所, en: Sanmin District Office}\n"
        "    short_name: {zh-TW: 三民區公所, en: Kaohsiung City Sanmin District Office}\n",
    )
    with pytest.raises(CatalogueInvalid) as caught:
        parse(text)
    (error,) = caught.value.errors
    assert "'en' in 'short_name' of agency 'sanmin' is 37 characters long (at most 20)" in str(
        error
    )


def test_pickup_and_retention_are_read() -> None:
    service = parse(CONTRACT_EXAMPLE).services[0]
    assert service.pickup is True
    assert service.retention == Retention(5, "y")


def test_pickup_false_and_a_shorter_retention() -> None:
    text = CONTRACT_EXAMPLE.replace("pickup: true ", "pickup: false").replace(
        "retention: 5y", "retention: 18mo"
    )
    service = parse(text).services[0]
    assert service.pickup is False
    assert service.retention == Retention(18, "mo")
    assert service.content()["pickup"] is False
    assert service.content()["retention"] == "18mo"


def test_defaults_leave_the_sop_content_as_before_the_keys_existed() -> None:
    # A catalogue loaded before pickup and retention existed keeps its SOP versions.
    text = CONTRACT_EXAMPLE.replace("    pickup: true", "    # pickup").replace(
        "    retention: 5y", "    # retention"
    )
    content = parse(text).services[0].content()
    assert "pickup" not in content
    assert "retention" not in content
    assert content == parse(CONTRACT_EXAMPLE).services[0].content()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "pickup: maybe",
            "bad pickup 'maybe' in service 'low-income-household': use true or false",
        ),
        ("retention: forever", "bad retention in service 'low-income-household': 'forever' is not"),
        ("retention: 0y", "bad retention in service 'low-income-household': '0y' keeps nothing"),
        # Months are "mo", as in time limits, where "m" would be too close to "min".
        ("retention: 18m", "bad retention in service 'low-income-household': '18m' is not"),
    ],
)
def test_bad_pickup_and_retention_are_refused_with_the_line(line: str, reason: str) -> None:
    key = line.split(":")[0]
    text = re.sub(rf"    {key}: [^\n]*", f"    {line}", CONTRACT_EXAMPLE)
    with pytest.raises(CatalogueInvalid) as caught:
        parse(text)
    (error,) = caught.value.errors
    assert error.reason.startswith(reason)
    assert error.line == (20 if key == "pickup" else 21)
