"""The administrator sees what the SMS gateway last said is left on its account."""

from __future__ import annotations

from tests.conftest import NOW
from tests.web.counter.conftest import Console
from tracker.db import Database
from tracker.operations.heartbeats import record_credit


def test_the_admin_screen_shows_the_sms_gateways_credit(
    console: Console, catalogue_db: Database
) -> None:
    assert console.login("root").status_code == 303
    assert 'id="sms-credit"' not in console.get("/counter/admin").get_data(as_text=True)
    with catalogue_db.transaction() as s:
        record_credit(s, "sms", 734, NOW)
    html = console.get("/counter/admin").get_data(as_text=True)
    assert "SMS gateway credit (三竹 AccountPoint): 734 points" in html
    assert "notice--warning" in html  # under a thousand: time to top up
