"""The home page: where a citizen starts, and the way in for staff."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, url_for

home = Blueprint("home", __name__)


@home.get("/")
def index() -> str:
    """Links to the status lookup, the public SOP pages and the counter console."""
    return render_template("public/home.html")


@home.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says: send them to the real icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
