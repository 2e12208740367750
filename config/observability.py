"""The settings of watching the product run: who may read ``/metrics``, and the log format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LOG_FORMATS = ("text", "json")
# A bearer token shorter than this is guessable by a patient scraper of /metrics.
MIN_METRICS_TOKEN = 16


def observability_settings(get: Callable[[str], str | None], problems: list[str]) -> dict[str, Any]:
    """``METRICS_TOKEN`` and ``LOG_FORMAT``, checked; problems appended to ``problems``."""
    token = get("METRICS_TOKEN")
    if token is not None and len(token) < MIN_METRICS_TOKEN:
        problems.append(f"METRICS_TOKEN: must be at least {MIN_METRICS_TOKEN} characters")
    log_format = (get("LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        problems.append(f"LOG_FORMAT: '{log_format}' is not one of {', '.join(LOG_FORMATS)}")
    return {"metrics_token": token, "log_format": log_format}
