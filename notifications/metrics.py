"""Counters and histograms of sending, kept as the work happens (Prometheus, ``/metrics``).

Under gunicorn's and Celery's several processes, ``PROMETHEUS_MULTIPROC_DIR`` (set before any
process starts, and shared by them) makes each process write its values to a file there, and
``/metrics`` adds them up (prometheus_client's multiprocess mode); without it they live in the
process, as in ``tracker demo``.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# From the instant a notice was due (written, or let out of quiet hours or a backoff) to the
# provider's acceptance: what a citizen waits beyond the rule itself.
DUE_TO_PROVIDER = Histogram(
    "tracker_notice_due_to_provider_seconds",
    "Seconds from a notice being due to its provider accepting it",
    ["channel"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 14400),
)
OUTCOMES = Counter(
    "tracker_notice_outcomes",
    "What became of each try to send a notice (sent, retry, failed, gave_up, held, ...)",
    ["channel", "outcome"],
)
PROVIDER_ERRORS = Counter(
    "tracker_provider_errors",
    "Errors providers answered, by channel and class (transient or permanent)",
    ["channel", "error_class"],
)
DELIVERY_REPORTS = Counter(
    "tracker_delivery_reports",
    "Delivery reports providers sent, by final outcome (delivered, failed) or progress",
    ["provider", "outcome"],
)
