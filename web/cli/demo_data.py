"""The embedded demo's data: the demo catalogue, three users and a few sample cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.accounts.users import create_user, generate_password
from tracker.cases.filing import Application, file_case
from tracker.catalogue import DEMO_CATALOGUE
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.models import Case, User

DEMO_USERS = (
    ("admin", "admin", None),
    ("clerk", "clerk", "sanmin/social"),
    ("supervisor", "supervisor", "sanmin/social"),
)

# 示範案件 has a 5-minute limit: a newcomer watches it become overdue and its notice go out.
SAMPLE_CASES = (
    Application("low-income-household", "王小明", phone="0912-345-678"),
    Application("household-transcript", "陳美玲", email="meiling@example.org"),
    Application("demo-quick", "林志豪", phone="0987 654 321", email="lin@example.org"),
)


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
        for application in SAMPLE_CASES:
            setup.filed.append(file_case(session, application, actor="demo", now=now).number)
    return setup
