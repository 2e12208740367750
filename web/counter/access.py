"""Who may open what in the console: one decorator on every view, enforced before each request.

Role rules (DESIGN §1, issue 4):

- clerk: the cases of their own department;
- supervisor: the same cases as the department's clerks ("the department and its reports": a
  department's staff are its supervisor's reports, so both see the department) and may assign
  cases to any user of the department;
- staff of a whole agency (``--department AGENCY``): the cases of every department of the
  agency; a supervisor there reads the agency view (區長, 秘書), a clerk there is its one-stop
  counter (單一窗口) and files for any of its departments, choosing which;
- admin: users, catalogue reload, calendar closures and the audit log; no cases (an
  administrator is not a case handler, and keeping cases out of that account limits the harm a
  stolen admin login can do).

Every view declares its roles with ``@roles(...)``; a view without a declaration is refused (fail
closed). A case of another department answers 404, exactly like a number that does not exist, so
case numbers cannot be probed from the console.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from flask import abort, current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.cases.store import get_case
from tracker.errors import NotFound
from tracker.models import Case, Department, Role
from web.core.redirects import local_path

PUBLIC: Final = "public"
CASE_ROLES: Final = (Role.CLERK, Role.SUPERVISOR)
ATTRIBUTE: Final = "counter_roles"

View = TypeVar("View", bound=Callable[..., object])


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in user as the console needs it (no password hash kept around)."""

    id: int
    username: str
    display_name: str
    role: Role
    department_id: int | None
    department_path: str | None
    # The user's agency: their department's, or the one they are attached to as a whole.
    agency_id: int | None = None
    # Signed in with a one-time password: nothing but choosing a new one until then.
    must_change_password: bool = False

    @property
    def handles_cases(self) -> bool:
        """Whether the user works on cases (clerks and supervisors)."""
        return self.role in CASE_ROLES

    @property
    def agency_wide(self) -> bool:
        """Staff of a whole agency rather than of one department."""
        return self.handles_cases and self.department_id is None and self.agency_id is not None

    def sees(self, department_id: int, agency_id: int) -> bool:
        """Whether the user may see the cases of this department (of this agency)."""
        if not self.handles_cases:
            return False
        if self.agency_wide:
            return agency_id == self.agency_id
        return department_id == self.department_id


def roles(*allowed: Role | str) -> Callable[[View], View]:
    """Declare who may open a view: roles, or ``PUBLIC`` for the login page."""

    def mark(view: View) -> View:
        setattr(view, ATTRIBUTE, frozenset(allowed))
        return view

    return mark


def declared_roles(endpoint: str | None) -> frozenset[str] | None:
    """The roles a console endpoint declared, or None when it declared none."""
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, ATTRIBUTE, None)


def current_user() -> ConsoleUser | None:
    """The signed-in user of this request, if any."""
    return g.get("counter_user")


def signed_in() -> ConsoleUser:
    """The signed-in user; only called from views that are not PUBLIC."""
    user = current_user()
    if user is None:  # the before-request guard makes this unreachable; refuse all the same
        abort(401)
    return user


def case_for(session: Session, user: ConsoleUser, number: str) -> Case:
    """The case if this user may see it; 404 otherwise, the same as for no such case."""
    try:
        case = get_case(session, number)
    except NotFound:
        abort(404)
    if not user.sees(case.department_id, case.department.agency_id):
        abort(404)
    return case


def visible_departments(session: Session, user: ConsoleUser) -> list[Department]:
    """The departments whose cases the user may see or search, by code."""
    if not user.handles_cases:
        return []
    if user.agency_wide:
        return list(
            session.scalars(
                select(Department)
                .where(Department.agency_id == user.agency_id)
                .order_by(Department.code)
            )
        )
    department = session.get(Department, user.department_id) if user.department_id else None
    return [department] if department is not None else []


def visible_department_ids(session: Session, user: ConsoleUser) -> list[int]:
    """The ids of ``visible_departments``."""
    return [department.id for department in visible_departments(session, user)]


def is_safe_next(target: str | None) -> bool:
    """Whether a post-login destination stays inside the console (no open redirect)."""
    return local_path(target, within="/counter") is not None
