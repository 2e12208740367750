"""The counter console's blueprint object, shared by the screen modules."""

from __future__ import annotations

from flask import Blueprint

counter = Blueprint("counter", __name__, url_prefix="/counter")
