"""Addresses printed in notices and on receipts."""

from __future__ import annotations


def status_url(public_base_url: str, case_number: str) -> str:
    """The citizen status page of a case; never with the lookup code (URLs end up in logs)."""
    return f"{public_base_url.rstrip('/')}/s/{case_number}"


def survey_url(public_base_url: str, case_number: str) -> str:
    """The one-page satisfaction survey of a completed case."""
    return f"{public_base_url.rstrip('/')}/survey/{case_number}"


def console_url(public_base_url: str, case_number: str) -> str:
    """The case in the counter console, for staff notices."""
    return f"{public_base_url.rstrip('/')}/counter/cases/{case_number}"
