"""Error pages in the site's layout and the reader's language, never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _page(error: HTTPException) -> tuple[str, int]:
    """The error page for an HTTP error."""
    code = error.code or 500
    titles = {
        400: _("The request could not be understood"),
        403: _("You cannot see this page"),
        404: _("Page not found"),
        405: _("This address does not accept that"),
        413: _("This is more than the form can take"),
        429: _("Too many attempts"),
    }
    messages = {
        400: _("Go back, check what you entered and try again."),
        403: _("If you think you should, ask your supervisor."),
        404: _("Check the address, or start from the home page."),
        405: _("Go back and use the form on the page."),
        413: _("Go back, shorten what you entered and send it again."),
        429: _("Please wait a few minutes before trying again."),
    }
    return render_template(
        "errors.html",
        code=code,
        title=titles.get(code, _("Sorry, something went wrong")),
        message=messages.get(code, _("Please try again later.")),
    ), code


def _csrf(_error: CSRFError) -> tuple[str, int]:
    """A form sent without a valid token: usually an expired page, so say so plainly."""
    return render_template(
        "errors.html",
        code=400,
        title=_("This form has expired"),
        message=_("Go back, reload the page and send the form again."),
    ), 400


def _server_error(_error: Exception) -> tuple[str, int]:
    """An unexpected failure: the details go to the log, the reader gets an apology."""
    return render_template(
        "errors.html",
        code=500,
        title=_("Sorry, something went wrong"),
        message=_("Please try again later."),
    ), 500


def init_errors(app: Flask) -> None:
    """Register the error pages."""
    app.register_error_handler(CSRFError, _csrf)
    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, _page)
    app.register_error_handler(500, _server_error)
