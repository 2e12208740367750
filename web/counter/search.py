"""Search by case number, phone or name, within the cases the user may see."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue

from tracker.cases.queries import search_cases
from web.core.database import transaction
from web.counter.access import CASE_ROLES, roles, signed_in, visible_department_ids
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.forms import SearchForm


@counter.get("/search")
@roles(*CASE_ROLES)
def search() -> ResponseReturnValue:
    """Find cases of the user's department by number, phone or part of the applicant's name."""
    user = signed_in()
    form = SearchForm(request.args)
    query = (form.q.data or "").strip()[:100]
    with transaction() as db:
        results = (
            search_cases(db, query, department_ids=visible_department_ids(db, user))
            if query
            else []
        )
        return page("search.html", user=user, form=form, query=query, results=results)
