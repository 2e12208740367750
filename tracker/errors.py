"""Errors the domain raises for bad input: each has a stable code and a clear message.

The code lets the web layer show the message in the user's language; the message is what the
command line prints.
"""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every refusal; nothing has been changed when one is raised."""

    code = "error"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class InvalidInput(TrackerError):
    """Input that breaks a rule; ``fields`` maps each bad field to what is wrong with it."""

    code = "invalid"

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in fields.items()))


class NotFound(TrackerError):
    code = "not_found"


class IllegalTransition(TrackerError):
    """An action the case's current status does not allow."""

    code = "illegal_transition"


class Conflict(TrackerError):
    """Somebody else changed the case first; reload and try again."""

    code = "conflict"


class SurveyNotOpen(TrackerError):
    """The case cannot be rated (yet): only a completed case has a survey."""

    code = "survey_not_open"


class AlreadyAnswered(TrackerError):
    """The case's survey has been answered; one answer per case is kept."""

    code = "already_answered"
