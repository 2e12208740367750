"""Who may open what in the console: one decorator on every view, enforced before each request.

Role rules (DESIGN §1, issue 4):

- clerk: the cases of their own department;
- supervisor: the same cases as the department's clerks ("the department and its reports": a
  department's staff are its supervisor's reports, so both see the department) and may assign
  cases to any user of the department;
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
from sqlalchemy.orm import Session

from tracker.cases.store import get_case
from tracker.errors import NotFound
from tracker.models import Case, Role

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

    @property
    def handles_cases(self) -> bool:
        """Whether the user works on cases (clerks and supervisors)."""
        return self.role in CASE_ROLES


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
    if not user.handles_cases or case.department_id != user.department_id:
        abort(404)
    return case


def visible_department_ids(user: ConsoleUser) -> list[int]:
    """The departments whose cases the user may see or search."""
    if not user.handles_cases or user.department_id is None:
        return []
    return [user.department_id]


def is_safe_next(target: str | None) -> bool:
    """Whether a post-login destination stays inside the console (no open redirect)."""
    return bool(target and target.startswith("/counter") and "\\" not in target)
