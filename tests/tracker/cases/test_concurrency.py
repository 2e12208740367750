"""Two clerks acting on one case at the same moment cannot corrupt it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.conftest import NOW
from tests.factories import create_case
from tracker.cases import actions, closing
from tracker.db import Database
from tracker.errors import IllegalTransition
from tracker.lifecycle import CaseStatus
from tracker.models import Case, CaseEvent


def test_complete_and_reject_at_once_one_wins_cleanly(pg_catalogue_db: Database) -> None:
    pg_database = pg_catalogue_db
    with pg_database.transaction() as s:
        case_id = create_case(s).id

    holding = threading.Event()

    def clerk_a() -> str:
        with pg_database.transaction() as s:
            closing.complete(s, case_id, actor="a", now=NOW)
            holding.set()
            time.sleep(0.5)  # keep the row lock while clerk B tries
        return "completed"

    def clerk_b() -> str:
        holding.wait(5)
        started = time.monotonic()
        try:
            with pg_database.transaction() as s:
                closing.reject(s, case_id, "資格不符", actor="b", now=NOW)
        except IllegalTransition:
            # B waited for A's lock, then saw the completed case and was refused.
            assert time.monotonic() - started > 0.3
            return "refused"
        return "rejected"

    with ThreadPoolExecutor(2) as pool:
        results = [pool.submit(clerk_a), pool.submit(clerk_b)]
        outcome = [r.result() for r in results]

    assert outcome == ["completed", "refused"]
    with pg_database.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.status is CaseStatus.COMPLETED
        kinds = s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)).all()
        assert sorted(kinds) == ["completed", "filed"]


def test_concurrent_notes_lose_nothing(catalogue_db: Database) -> None:
    clerks = 8
    with catalogue_db.transaction() as s:
        case_id = create_case(s).id
        version = s.get(Case, case_id).version  # type: ignore[union-attr]
    start = threading.Barrier(clerks)

    def clerk(n: int) -> None:
        start.wait()
        with catalogue_db.transaction() as s:
            actions.add_note(s, case_id, f"note {n}", public=False, actor=f"c{n}", now=NOW)

    with ThreadPoolExecutor(clerks) as pool:
        list(pool.map(clerk, range(clerks)))

    with catalogue_db.transaction() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.version == version + clerks
        notes = s.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "note")
        )
        assert notes == clerks
