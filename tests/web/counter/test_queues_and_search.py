"""The queues (urgency in colour and words) and the search, within what the role may see."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine

from tests.web.counter.conftest import Console, file_civil_case, file_social_case
from tracker.cases.actions import request_supplement
from tracker.db import Database
from tracker.deadlines.timezones import TAIPEI

# Wed 2026-04-15 10:00 in Taipei.
TODAY = datetime(2026, 4, 15, 10, 0, tzinfo=TAIPEI)


def _rows(page: str, caption: str) -> list[tuple[str, str, str]]:
    """(urgency class, case number, days text) for each row of one queue table."""
    table = page[page.index(caption) :]
    table = table[: table.index("</table>")]
    return re.findall(
        r'<tr class="table__row--([a-z-]+)">\s*<th scope="row"><a [^>]*>([\d-]+)</a>.*?'
        r'<span class="queue__days">([^<]*)</span>',
        table,
        flags=re.S,
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


def test_the_department_queue_is_sorted_by_due_with_words(
    console: Console, catalogue_db: Database
) -> None:
    at = _at
    with time_machine.travel(TODAY, tick=False):
        console.login("clerk")  # signed cookies carry a time: sign in at the travelled time
        on_time = file_social_case(catalogue_db, received_at=at("2026-04-13 10:00"), now=TODAY)
        due_soon = file_social_case(catalogue_db, received_at=at("2026-04-08 10:00"), now=TODAY)
        overdue = file_social_case(catalogue_db, received_at=at("2026-04-01 10:00"), now=TODAY)
        paused = file_social_case(catalogue_db, received_at=at("2026-04-14 10:00"), now=TODAY)
        with catalogue_db.transaction() as session:
            request_supplement(session, paused.id, ["印章"], actor="clerk", now=TODAY)
        file_civil_case(catalogue_db, now=TODAY)  # not this department's
        page = console.get("/counter").text
    assert _rows(page, "The department") == [
        ("overdue", overdue.number, "3 working days overdue"),
        ("due-soon", due_soon.number, "Due today"),
        ("on-time", on_time.number, "3 working days left"),
        ("paused", paused.number, "Clock stopped: waiting for documents"),
    ]
    # Colour is never the only signal: every row carries its urgency as a word too.
    for word in ("Overdue", "Due soon", "On time", "Paused"):
        assert f">{word}</strong>" in page


def test_search_by_number_phone_and_name_stays_in_the_department(
    clerk: Console, catalogue_db: Database
) -> None:
    ours = file_social_case(catalogue_db, applicant_name="陳美玲", phone="0922-111-222")
    theirs = file_civil_case(catalogue_db, applicant_name="陳美玲", phone="0922-111-222")
    for query in (ours.number, "0922111222", "0922-111-222", "111222", "美玲", "陳"):
        page = clerk.get(f"/counter/search?q={query}").text
        assert ours.number in page, query
        assert theirs.number not in page, query
    nothing = clerk.get("/counter/search?q=林志豪").text
    assert "No case of your department matches" in nothing
    clerk.login("civil")
    page = clerk.get("/counter/search?q=陳美玲").text
    assert theirs.number in page and ours.number not in page


def test_search_treats_wildcards_as_text(clerk: Console, catalogue_db: Database) -> None:
    file_social_case(catalogue_db)
    assert "No case of your department matches" in clerk.get("/counter/search?q=%25").text
    assert "No case of your department matches" in clerk.get("/counter/search?q=_").text


def test_search_by_the_last_four_digits_of_a_phone(clerk: Console, catalogue_db: Database) -> None:
    ours = file_social_case(catalogue_db, applicant_name="陳美玲", phone="0922-111-678")
    theirs = file_civil_case(catalogue_db, applicant_name="林志豪", phone="0933-222-678")
    for query in ("1678", "11678", "111678", "0922-111-678"):
        page = clerk.get(f"/counter/search?q={query}").text
        assert ours.number in page, query
        assert theirs.number not in page, query  # the civil section's, not this clerk's
    # Three digits are too few to mean a phone number; they mean nothing here.
    assert ours.number not in clerk.get("/counter/search?q=678").text


def test_an_agency_head_sees_each_department_at_a_glance(
    console: Console, catalogue_db: Database
) -> None:
    now = datetime.now(UTC)
    late = file_social_case(catalogue_db, received_at=now - timedelta(days=30), now=now)
    file_social_case(catalogue_db, now=now)
    civil = file_civil_case(catalogue_db, now=now)
    with catalogue_db.transaction() as session:
        request_supplement(session, civil.id, ["印章"], actor="civil", now=now)
    assert console.login("head").status_code == 303
    assert console.get("/counter").location == "/counter/agency"
    page = console.get("/counter/agency").text
    social = page[page.index('href="/counter/queues/sanmin/social"') :].split("</tr>", 1)[0]
    civil_row = page[page.index('href="/counter/queues/sanmin/civil"') :].split("</tr>", 1)[0]
    assert re.findall(r'class="table__number">(?:<strong[^>]*>)?(\d+)', social) == [
        "1", "0", "0", "2"
    ]  # fmt: skip
    assert re.findall(r'class="table__number">(?:<strong[^>]*>)?(\d+)', civil_row) == [
        "0", "0", "1", "1"
    ]  # fmt: skip
    # The oldest overdue cases, linked; each department's queue opens for the head.
    assert f'href="/counter/cases/{late.number}"' in page
    assert console.get("/counter/queues/sanmin/civil").status_code == 200
    assert console.get(f"/counter/cases/{civil.number}").status_code == 200
    # Another agency is not theirs.
    assert console.get("/counter/queues/yanchao/social").status_code == 404


def test_a_department_clerk_has_no_agency_view(clerk: Console) -> None:
    assert clerk.get("/counter/agency").status_code == 404
    assert clerk.get("/counter/queues/sanmin/civil").status_code == 404
    assert clerk.get("/counter/queues/sanmin/social").status_code == 200
