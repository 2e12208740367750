"""Checking how to reach an applicant: Taiwan phone numbers, email addresses, preferences."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberType

LANGUAGES = ("zh-TW", "en")
NOTIFY_BY = ("sms", "email", "both", "none")
CHANNELS = ("counter", "phone", "online", "mail")

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_phone(text: str) -> tuple[str, bool]:
    """``0912-345-678`` or ``+886 912 345 678`` → (``+886912345678``, is_mobile).

    Numbers without a country code are read as Taiwanese. Raises ValueError saying what is wrong.
    """
    try:
        number = phonenumbers.parse(text, "TW")
    except NumberParseException:
        raise ValueError(
            f"'{text}' is not a phone number; write e.g. 0912-345-678 or +886 912 345 678"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            f"'{text}' is not a valid phone number; a Taiwan mobile has 10 digits starting 09"
        )
    is_mobile = phonenumbers.number_type(number) in _MOBILE_TYPES
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), is_mobile


def normalise_email(text: str) -> str:
    """The address in canonical form; raises ValueError with the validator's reason."""
    try:
        # Deliverability needs DNS: the counter must work offline, and the SMTP server will tell.
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"'{text}' is not a valid email address: {exc}") from None


def display_phone(e164: str) -> str:
    """``+886912345678`` → ``0912 345 678``, as a clerk would say it."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
