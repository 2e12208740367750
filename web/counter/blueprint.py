"""The counter console's blueprint object, shared by the screen modules."""

from __future__ import annotations

from flask import Blueprint

from web.core.security import no_store

counter = Blueprint("counter", __name__, url_prefix="/counter")
# Cases, names, phone numbers, receipts with lookup codes: nothing of the console is cached.
no_store(counter)
