"""The embedded demo's data: the demo catalogue, its users and a few sample cases.

The samples sit where the demo clerk works (三民區公所社會課), so the person who runs the demo
sees the whole loop in their own queue: a case overdue whose notice went out with the service's
default reason (the clerk is asked to confirm it), one falling due within minutes, and one
waiting for the applicant's documents. An agency head (``head``) reads the agency view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.accounts.users import create_user, generate_password
from tracker.cases.actions import request_supplement
from tracker.cases.assignment import assign
from tracker.cases.filing import Application, file_case
from tracker.catalogue import DEMO_CATALOGUE
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.models import Case, User

DEMO_USERS = (
    ("admin", "admin", None),
    ("clerk", "clerk", "sanmin/social"),
    ("supervisor", "supervisor", "sanmin/social"),
    # The district's head: the agency view across its departments.
    ("head", "supervisor", "sanmin"),
)
DEMO_CLERK = "clerk"

# 急難救助 has 5 working days: received two weeks ago, it is overdue when the demo starts, and
# the deadline watch tells its applicant at once, with the service's default reason.
OVERDUE_FOR = timedelta(days=14)
SAMPLE_CASES = (
    # received ago, application, documents still missing
    (OVERDUE_FOR, Application("emergency-relief", "陳美玲", phone="0933-111-222"), ()),
    # 示範案件 has a 5-minute limit: a newcomer watches it become overdue and its notice go out.
    (
        timedelta(0),
        Application("demo-quick", "林志豪", phone="0987 654 321", email="lin@example.org"),
        (),
    ),
    (timedelta(0), Application("low-income-household", "王小明", phone="0912-345-678"),
     ("戶口名簿影本", "存摺封面影本")),
    # Another office's case, for the citizen's pages and the board of another counter.
    (timedelta(0), Application("household-transcript", "張雅婷", email="yating@example.org"), ()),
)  # fmt: skip


@dataclass
class DemoSetup:
    catalogue: list[str] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)
    filed: list[str] = field(default_factory=list)


def prepare_demo(session: Session, *, now: datetime) -> DemoSetup:
    """Load the demo catalogue, create missing demo users and, on an empty database, samples."""
    setup = DemoSetup()
    setup.catalogue = load_catalogue(session, read_catalogue(DEMO_CATALOGUE), now=now).lines()
    for username, role, department in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            password = generate_password()
            create_user(
                session, username, role=role, department=department, password=password, now=now
            )
            setup.passwords[username] = password
    if not session.scalar(select(func.count()).select_from(Case)):
        setup.filed = _samples(session, now)
    return setup


def _samples(session: Session, now: datetime) -> list[str]:
    clerk = session.scalar(select(User).where(User.username == DEMO_CLERK))
    numbers = []
    for ago, application, missing in SAMPLE_CASES:
        case = file_case(session, application, actor="demo", now=now, received_at=now - ago)
        if clerk is not None and case.department_id == clerk.department_id:
            assign(session, case.id, clerk.id, actor="demo", now=now)
        if missing:
            request_supplement(session, case.id, list(missing), actor="demo", now=now)
        numbers.append(case.number)
    return numbers
