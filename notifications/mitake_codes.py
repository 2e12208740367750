"""三竹 Mitake's status codes (the vendor's table), shared by sending and delivery reports.

Digits are a message's status (SmSend's answer, SmQuery, the delivery report's ``StatusFlag``);
letters are conditions of the account or the service, in SmSend's answer only.
"""

from __future__ import annotations

ACCEPTED = frozenset({"0", "1", "2", "4"})
# The message itself can never go: retrying changes nothing, fall back to email.
PERMANENT_CODES: dict[str, str] = {
    "5": "the message content was refused",
    "6": "the number is wrong",
    "7": "SMS to this number is barred",
    "8": "the message expired undelivered",
    "9": "the message was cancelled",
    "t": "the message expired",
    "u": "the message body is empty",
    "v": "the phone number is invalid",
}
# Our configuration or the account (a person can fix it while the notice waits): transient.
ACCOUNT_CODES: dict[str, str] = {
    "c": "no username was given; check MITAKE_USERNAME",
    "d": "no password was given; check MITAKE_PASSWORD",
    "e": "the username or password is wrong; check MITAKE_USERNAME and MITAKE_PASSWORD",
    "f": "the account has expired",
    "h": "the account is disabled",
    "k": "this server's address is not registered with Mitake",
    "m": "the account's password must be changed first",
    "n": "the account's password has expired",
    "p": "the account may not use the HTTP API",
    "s": "the account has no credit left (AccountPoint)",
}
# The gateway is busy or paused: try again later.
BUSY_CODES: dict[str, str] = {
    "*": "system error at Mitake",
    "a": "SMS sending is paused at Mitake",
    "b": "SMS sending is paused at Mitake",
    "r": "the service is paused at Mitake",
    "l": "too many connections at once to Mitake",
}
