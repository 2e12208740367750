"""Probe: every console route × anonymous, clerk, supervisor, administrator, a clerk of
another department and the head of the whole agency, each cell an exact status.

tests/web/counter/test_roles.py checks a list of routes allowed/forbidden for four users; this
matrix is built from the app's url_map (a new console route fails here until it has its row),
takes every case action, adds the other department's clerk (404: a case of another department
is not even said to exist) and states each cell's status exactly.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from tests.web.counter.conftest import Console, file_social_case
from tracker.db import Database
from tracker.models import Notice
from web.counter.case_actions import ACTIONS

# civil: a clerk of sanmin/civil; head: a supervisor of the whole of sanmin (the agency view).
WHO = (None, "clerk", "boss", "root", "civil", "head")
LOGIN = "to the login"  # 303 to /counter/login


Cells = dict[str | None, int | str]


def _cells(anonymous: int | str, clerk: int, boss: int, root: int, civil: int, head: int) -> Cells:
    return dict(zip(WHO, (anonymous, clerk, boss, root, civil, head), strict=True))


STAFF_PAGE = _cells(LOGIN, 200, 200, 403, 200, 200)
# A service of sanmin/social: its staff file for it, and the agency's; the civil clerk does not.
SOCIAL_FILING = _cells(LOGIN, 200, 200, 403, 404, 200)
CASE_PAGE = _cells(LOGIN, 200, 200, 403, 404, 200)
REPORTS = _cells(LOGIN, 403, 200, 200, 403, 200)
ADMIN_PAGE = _cells(LOGIN, 403, 403, 200, 403, 403)
SOP_PAGE = _cells(LOGIN, 403, 200, 200, 403, 200)
# POSTs carry the page's CSRF token and no fields: a user who may act gets the form back (422).
SOCIAL_FORM = _cells(LOGIN, 422, 422, 403, 404, 422)
ADMIN_FORM = _cells(LOGIN, 403, 403, 422, 403, 403)
SOP_FORM = _cells(LOGIN, 403, 422, 422, 403, 422)

# (method, rule) → [(path, expected per user)]; {number} is an open case of sanmin/social.
MATRIX: dict[tuple[str, str], list[tuple[str, Cells]]] = {
    ("GET", "/counter"): [("/counter", _cells(LOGIN, 200, 200, 303, 200, 303))],
    ("GET", "/counter/login"): [("/counter/login", _cells(200, 303, 303, 303, 303, 303))],
    ("POST", "/counter/login"): [("/counter/login", _cells(200, 200, 200, 200, 200, 200))],
    ("GET", "/counter/agency"): [("/counter/agency", _cells(LOGIN, 404, 404, 403, 404, 200))],
    ("GET", "/counter/queues/<agency>/<department>"): [
        ("/counter/queues/sanmin/social", _cells(LOGIN, 200, 200, 403, 404, 200)),
        ("/counter/queues/yanchao/social", _cells(LOGIN, 404, 404, 403, 404, 404)),
    ],
    ("GET", "/counter/file"): [("/counter/file", STAFF_PAGE)],
    ("GET", "/counter/file/<code>"): [("/counter/file/five-wd", SOCIAL_FILING)],
    ("POST", "/counter/file/<code>"): [("/counter/file/five-wd", SOCIAL_FORM)],
    ("GET", "/counter/search"): [("/counter/search?q=0912", STAFF_PAGE)],
    ("GET", "/counter/services"): [("/counter/services", SOP_PAGE)],
    ("GET", "/counter/services/new"): [("/counter/services/new", SOP_PAGE)],
    ("POST", "/counter/services/new"): [("/counter/services/new", SOP_FORM)],
    # five-wd is sanmin/social's; one-month is yanchao's: its supervisors', not these.
    ("GET", "/counter/services/<code>/edit"): [
        ("/counter/services/five-wd/edit", SOP_PAGE),
        ("/counter/services/one-month/edit", _cells(LOGIN, 403, 404, 200, 403, 404)),
    ],
    ("POST", "/counter/services/<code>/edit"): [
        ("/counter/services/five-wd/edit", SOP_FORM),
    ],
    ("GET", "/counter/cases/<number>"): [("/counter/cases/{number}", CASE_PAGE)],
    ("GET", "/counter/cases/<number>/receipt"): [("/counter/cases/{number}/receipt", CASE_PAGE)],
    ("POST", "/counter/cases/<number>/<action>"): [
        *[
            (f"/counter/cases/{{number}}/{a}", _cells(LOGIN, 422, 422, 403, 404, 422))
            for a in ACTIONS
        ],
        ("/counter/cases/{number}/no-such-action", _cells(LOGIN, 404, 404, 403, 404, 404)),
    ],
    # {quiet} is a case of sanmin/social whose receipt is letter task {task}: taken (the note
    # is optional); no task of {number} has that id.
    ("POST", "/counter/cases/<number>/tasks/<int:notice_id>/done"): [
        ("/counter/cases/{number}/tasks/{task}/done", _cells(LOGIN, 404, 404, 403, 404, 404)),
        ("/counter/cases/{quiet}/tasks/{task}/done", _cells(LOGIN, 303, 303, 403, 404, 303)),
    ],
    ("GET", "/counter/reports"): [("/counter/reports", REPORTS)],
    ("GET", "/counter/reports.csv"): [("/counter/reports.csv", REPORTS)],
    ("GET", "/counter/admin"): [("/counter/admin", ADMIN_PAGE)],
    ("GET", "/counter/admin/audit"): [("/counter/admin/audit", ADMIN_PAGE)],
    ("POST", "/counter/admin/users"): [("/counter/admin/users", ADMIN_FORM)],
    # The configured catalogue file, reloaded: nothing to change, the report shown (200).
    ("POST", "/counter/admin/catalogue"): [("/counter/admin/catalogue", ADMIN_PAGE)],
    ("POST", "/counter/admin/closures"): [("/counter/admin/closures", ADMIN_FORM)],
    # No closure 1 is declared here: the administrator is told so (404), the others refused.
    ("POST", "/counter/admin/closures/<int:closure_id>/withdraw"): [
        ("/counter/admin/closures/1/withdraw", _cells(LOGIN, 403, 403, 404, 403, 403))
    ],
    # One's own password: every signed-in user; a POST without fields gets the form back.
    ("GET", "/counter/account/password"): [
        ("/counter/account/password", _cells(LOGIN, 200, 200, 200, 200, 200))
    ],
    ("POST", "/counter/account/password"): [
        ("/counter/account/password", _cells(LOGIN, 422, 422, 422, 422, 422))
    ],
    # One user's administration, on a user nobody here signs in as (colleague).
    ("GET", "/counter/admin/users/<username>"): [
        ("/counter/admin/users/colleague", ADMIN_PAGE),
        ("/counter/admin/users/nobody", _cells(LOGIN, 403, 403, 404, 403, 403)),
    ],
    ("POST", "/counter/admin/users/<username>/deactivate"): [
        ("/counter/admin/users/colleague/deactivate", _cells(LOGIN, 403, 403, 303, 403, 403))
    ],
    ("POST", "/counter/admin/users/<username>/activate"): [
        ("/counter/admin/users/colleague/activate", _cells(LOGIN, 403, 403, 303, 403, 403))
    ],
    ("POST", "/counter/admin/users/<username>/reset-password"): [
        ("/counter/admin/users/colleague/reset-password", ADMIN_PAGE)
    ],
    ("POST", "/counter/admin/users/<username>/role"): [
        ("/counter/admin/users/colleague/role", ADMIN_FORM)
    ],
    # The second factor: nobody here has one, so the code page sends on to the console; every
    # role may enrol (the empty form comes back, 422).
    ("GET", "/counter/login/code"): [
        ("/counter/login/code", _cells(LOGIN, 303, 303, 303, 303, 303))
    ],
    ("POST", "/counter/login/code"): [
        ("/counter/login/code", _cells(LOGIN, 303, 303, 303, 303, 303))
    ],
    ("GET", "/counter/account/two-step"): [
        ("/counter/account/two-step", _cells(LOGIN, 200, 200, 200, 200, 200))
    ],
    ("POST", "/counter/account/two-step"): [
        ("/counter/account/two-step", _cells(LOGIN, 422, 422, 422, 422, 422))
    ],
    # Last: it signs out.
    ("POST", "/counter/logout"): [("/counter/logout", _cells(LOGIN, 303, 303, 303, 303, 303))],
}


def test_the_matrix_has_a_row_for_every_console_route(app: Flask) -> None:
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/counter")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes == set(MATRIX), "give each new console route its row in MATRIX"


@pytest.mark.parametrize("who", WHO, ids=[w or "anonymous" for w in WHO])
def test_role_matrix(console: Console, catalogue_db: Database, who: str | None) -> None:
    number = file_social_case(catalogue_db).number
    quiet = file_social_case(catalogue_db, phone="07-311-0000", notify_by="none")
    with catalogue_db.transaction() as session:
        task = session.scalars(select(Notice.id).where(Notice.case_id == quiet.id)).one()
    if who:
        assert console.login(who).status_code == 303
    else:
        console.get("/counter/login")  # a token for the POSTs, as a browser would have
    for (method, _rule), cells in MATRIX.items():
        for template, expected in cells:
            path = template.format(number=number, quiet=quiet.number, task=task)
            response = console.get(path) if method == "GET" else console.post(path)
            where = f"{who or 'anonymous'} {method} {path}"
            if expected[who] == LOGIN:
                assert response.status_code == 303, where
                assert response.location.startswith("/counter/login"), where
            else:
                assert response.status_code == expected[who], where
                if response.status_code == 303 and path != "/counter/logout":
                    assert not response.location.startswith("/counter/login"), where
