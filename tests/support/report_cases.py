"""Hand-built cases for the statistics, reports and open data tests, with the figures they give.

April 2026 (Taipei), test catalogue; "now" is 2026-05-20. Each case goes through the real
actions, so closing stores its working days as production does.

five-wd (sanmin/social, 5wd), received Mon 04-13:
- A: completed 04-16, on time, 3 working days;
- B: documents asked 04-14, in 04-20, completed 04-24 (due 04-24): on time, 5 working days,
  6 calendar days waiting for the documents;
- C: extended by 3wd on 04-14 (due 04-23), completed 04-28: late, 11 working days;
- D: started, overdue since 04-21, reason recorded "等候會勘", still open;
- E: rejected 04-15;
- G: received 03-31 (March), completed 04-01.
fourteen-d (sanmin/civil): H, received 04-13 without phone or email (a letter task), open,
overdue since 04-28, no reason recorded.
one-month (yanchao/social): Y, received 04-13, completed 04-14.
petition (sanmin/civil, 30d): F, received 04-14, completed 04-20.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from tests.factories import create_case
from tracker.cases import actions, closing
from tracker.db import Database
from tracker.models import Case, Notice, SurveyResponse

NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # 2026-05-20 10:00 Taipei
ACTOR = "clerk:test"


def at(day: str, hour: int = 10) -> datetime:
    """``day`` at ``hour`` o'clock Taipei time, as an aware UTC datetime."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC) - timedelta(hours=8)


@dataclass(frozen=True)
class ReportCases:
    """The ids of the hand-built cases."""

    ids: dict[str, int]


def build_report_cases(db: Database) -> ReportCases:
    """File and move the cases described in the module docstring; notices get outcomes."""
    ids: dict[str, int] = {}
    with db.transaction() as s:
        for name, service, day in [
            ("A", "five-wd", "2026-04-13"),
            ("B", "five-wd", "2026-04-13"),
            ("C", "five-wd", "2026-04-13"),
            ("D", "five-wd", "2026-04-13"),
            ("E", "five-wd", "2026-04-13"),
            ("G", "five-wd", "2026-03-31"),
            ("Y", "one-month", "2026-04-13"),
            ("F", "petition", "2026-04-14"),
        ]:
            ids[name] = create_case(s, service, now=at(day)).id
        ids["H"] = create_case(s, "fourteen-d", now=at("2026-04-13"), phone=None).id
    with db.transaction() as s:
        closing.complete(s, ids["A"], actor=ACTOR, now=at("2026-04-16"))
        actions.request_supplement(s, ids["B"], ["戶口名簿"], actor=ACTOR, now=at("2026-04-14"))
        actions.extend(s, ids["C"], "3wd", "需會辦", actor=ACTOR, now=at("2026-04-14"))
        actions.start(s, ids["D"], actor=ACTOR, now=at("2026-04-13", 11))
        closing.reject(s, ids["E"], "資格不符", actor=ACTOR, now=at("2026-04-15"))
        closing.complete(s, ids["G"], actor=ACTOR, now=at("2026-04-01"))
        closing.complete(s, ids["Y"], actor=ACTOR, now=at("2026-04-14"))
        closing.complete(s, ids["F"], actor=ACTOR, now=at("2026-04-20"))
    with db.transaction() as s:
        actions.receive_supplement(s, ids["B"], actor=ACTOR, now=at("2026-04-20"))
        actions.set_overdue_info(
            s, ids["D"], "等候會勘", date(2026, 4, 30), actor=ACTOR, now=at("2026-04-21")
        )
    with db.transaction() as s:
        closing.complete(s, ids["B"], actor=ACTOR, now=at("2026-04-24"))
        closing.complete(s, ids["C"], actor=ACTOR, now=at("2026-04-28"))
        # Outcomes: A's notices delivered, C's sent (no report yet), E's failed.
        for name, status in (("A", "delivered"), ("C", "sent"), ("E", "failed")):
            s.execute(update(Notice).where(Notice.case_id == ids[name]).values(status=status))
        for name, score in (("A", 5), ("B", 4), ("F", 3)):
            case = s.get(Case, ids[name])
            assert case is not None
            s.add(
                SurveyResponse(
                    case_id=case.id,
                    service_id=case.service_id,
                    department_id=case.department_id,
                    score=score,
                    comment=None,
                    answered_at=at("2026-04-25"),
                )
            )
    return ReportCases(ids)
