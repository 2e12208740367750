"""The domain's refusals in the user's language.

tracker.errors carries English messages (the command line prints them as they are). Each known
message shape is matched here and shown through the "counter" catalogue; an unknown one is shown
as it came, so a new rule is never hidden, only untranslated until it is added here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tracker.errors import Conflict, IllegalTransition, InvalidInput, TrackerError
from web.core.formatting import limit_words
from web.counter.i18n import N_, ct

# (pattern, msgid): the msgid's %(name)s placeholders are the pattern's named groups.
_FIELD_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), m)
    for p, m in (
        ("^is required$", N_("This field is required.")),
        (
            r"^is too long \((?P<length>\d+) characters; at most (?P<max>\d+)\)$",
            N_("Too long: %(length)s characters, at most %(max)s."),
        ),
        (
            r"^contains an invisible control character \((?P<code>U\+[0-9A-F]+)\)$",
            N_("Contains an invisible control character (%(code)s)."),
        ),
        (
            r"^contains an invisible direction or zero-width mark \((?P<code>U\+[0-9A-F]+)\)$",
            N_("Contains an invisible direction or zero-width mark (%(code)s): type it again."),
        ),
        (
            "^'(?P<value>.*)' is not a phone number; .*$",
            N_("“%(value)s” is not a phone number; write e.g. 0912-345-678."),
        ),
        (
            "^'(?P<value>.*)' is not a valid phone number; .*$",
            N_("“%(value)s” is not a valid phone number; a mobile has 10 digits, 09…"),
        ),
        (
            "^'(?P<value>.*)' is not a valid email address: .*$",
            N_("“%(value)s” is not a valid email address."),
        ),
        (
            "^there is no service '(?P<value>.*)' open for filing$",
            N_("There is no service “%(value)s” open for filing."),
        ),
        ("^must be one of (?P<choices>.*)$", N_("Choose one of: %(choices)s.")),
        (
            r"^a mobile number \(09xx\) is needed to notify by SMS$",
            N_("A mobile number (09xx) is needed to notify by SMS."),
        ),
        (
            "^an email address is needed to notify by email$",
            N_("An email address is needed to notify by email."),
        ),
        ("^cannot be in the future$", N_("Cannot be in the future.")),
        ("^cannot be in the past$", N_("Cannot be in the past.")),
        (
            r"^list every missing document \(at least one\)$",
            N_("List every missing document (at least one)."),
        ),
        (
            "^the supplement deadline must be after today$",
            N_("The supplement deadline must be after today."),
        ),
        (
            r"^may be at most the original limit, (?P<limit>\w+) .*$",
            N_("At most the original limit, %(limit)s."),
        ),
        (r"^must be between 1 and (?P<count>\d+)$", N_("Choose a step between 1 and %(count)s.")),
        ("^there is no department '(?P<value>.*?)'.*$", N_("There is no department “%(value)s”.")),
        (
            "^the case is already with that department$",
            N_("The case is already with that department."),
        ),
        ("^there is no agency '(?P<value>.*)'$", N_("There is no agency “%(value)s”.")),
        (
            r"^(?P<day>\S+) is already declared closed city-wide$",
            N_("%(day)s is already declared closed city-wide."),
        ),
        (
            r"^(?P<day>\S+) is already declared closed for (?P<agency>\S+)$",
            N_("%(day)s is already declared closed for %(agency)s."),
        ),
        (
            "^use 2–60 lowercase letters, digits.*$",
            N_("Use 2–60 lowercase letters, digits, “.”, “_” or “-”."),
        ),
        ("^'(?P<value>.*)' is already taken$", N_("“%(value)s” is already taken.")),
        ("^must be clerk, supervisor or admin$", N_("Choose clerk, supervisor or admin.")),
        (r"^must be at least (?P<count>\d+) characters$", N_("At least %(count)s characters.")),
        (
            "^clerks and supervisors belong to a department.*$",
            N_("Clerks and supervisors belong to a department."),
        ),
        (
            "^assign the case to an active user of its department$",
            N_("Choose an active user of the case's department."),
        ),
        # Accounts (tracker.accounts.lifecycle, tracker.accounts.passwords).
        (r"^must be at most (?P<count>\d+) characters$", N_("At most %(count)s characters.")),
        (
            "^is too easy to guess: it is one of the most commonly used passwords$",
            N_("Too easy to guess: it is one of the most commonly used passwords."),
        ),
        (
            "^is too easy to guess: it contains the user name$",
            N_("Too easy to guess: it contains the user name."),
        ),
        (
            "^is too easy to guess: common words or names alone.*$",
            N_("Too easy to guess: common words or names alone are guessed quickly."),
        ),
        (
            "^is too easy to guess: keyboard patterns.*$",
            N_("Too easy to guess: keyboard patterns (like qwerty) are guessed quickly."),
        ),
        (
            "^is too easy to guess: repeats and sequences.*$",
            N_("Too easy to guess: repeats and sequences (like aaa or 1234) are guessed quickly."),
        ),
        (
            "^is too easy to guess: dates and years.*$",
            N_("Too easy to guess: dates and years are guessed quickly."),
        ),
        (
            "^is too easy to guess: make it longer.*$",
            N_("Too easy to guess: make it longer, e.g. several unrelated words."),
        ),
        ("^is not your current password$", N_("This is not your current password.")),
        (
            "^must differ from the current password$",
            N_("Choose a password different from the current one."),
        ),
        ("^there is no user '(?P<value>.*)'$", N_("There is no user “%(value)s”.")),
        (
            "^would leave no active administrator$",
            N_("Refused: this would leave no active administrator."),
        ),
        ("^this account is not active$", N_("This account is not active.")),
    )
]

_STATUS_WORDS: dict[str, Callable[[], str]] = {
    "received": lambda: ct("it has not been started"),
    "in_progress": lambda: ct("it is in progress"),
    "awaiting_supplement": lambda: ct("it is waiting for the applicant's documents"),
    "completed": lambda: ct("it is already completed"),
    "rejected": lambda: ct("it has been rejected"),
    "withdrawn": lambda: ct("it has been withdrawn"),
    "transferred": lambda: ct("it has been transferred to another agency"),
    "not_handled": lambda: ct("it has been closed as not handled"),
}


def field_message(message: str) -> str:
    """One field's problem, translated when its shape is known; a time limit in words."""
    for pattern, msgid in _FIELD_MESSAGES:
        match = pattern.match(message)
        if match:
            values = match.groupdict()
            if "limit" in values:
                # The clerk reads "30 個工作天", never the catalogue's "30wd".
                values["limit"] = limit_words(values["limit"])
            return ct(msgid, **values)
    return message


def field_errors(error: InvalidInput) -> dict[str, str]:
    """Every bad field of a refusal with its translated message."""
    return {name: field_message(problem) for name, problem in error.fields.items()}


def refusal_message(error: TrackerError) -> str:
    """A whole-action refusal (not a field's) in the user's language."""
    if isinstance(error, Conflict) and "done_by" in error.params:
        return ct(
            "%(who)s has already marked this task done; nothing was changed.",
            who=str(error.params["done_by"]),
        )
    if isinstance(error, Conflict):
        return ct(
            "Case %(number)s was changed by someone else since you opened it. Nothing was "
            "changed: look at the case again and repeat your action if it is still needed.",
            number=str(error.params.get("number", "")),
        )
    if isinstance(error, IllegalTransition):
        status = str(error.params.get("status", ""))
        if status in _STATUS_WORDS:
            return ct("This action is not allowed now: %(why)s.", why=_STATUS_WORDS[status]())
        if "extended once" in error.message:
            return ct("The case has already been extended once; the law allows one extension.")
        if "already overdue" in error.message:
            return ct("The case is already overdue; an extension must be recorded before that.")
        if "only petitions" in error.message:
            return ct(
                "Only petitions may be closed as not handled (Art. 173 of the Administrative "
                "Procedure Act); reject an application instead."
            )
        if "cannot be assigned" in error.message:
            return ct("The case is closed; it cannot be assigned.")
    if isinstance(error, InvalidInput):
        return "; ".join(field_errors(error).values())
    return error.message
