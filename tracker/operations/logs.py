"""Log lines as JSON (``LOG_FORMAT=json``): one object per event, for a log collector to read.

Each object has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, ``case`` when
the event concerns one (``log.info(..., extra={"case": number})``), and ``error`` with the
exception's type when there is one. The message passes through ``redact``: a phone number or an
email address that slipped into one never reaches the collector (DESIGN §4.7); names are never
logged at all. The case number travels in its own field, untouched.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from tracker.privacy import redact

# Attributes every LogRecord has: anything else was passed in ``extra``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
# The extra fields a line may carry (anything else might be personal data).
_ALLOWED_EXTRA = ("case", "notice", "channel", "outcome", "job")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in _ALLOWED_EXTRA:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: a traceback's locals and messages may hold what the line may not.
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, default=str)


def use_json_logs(*loggers: logging.Logger, root: bool = True) -> None:
    """Format every handler of ``loggers`` (and of the root logger) as JSON lines."""
    formatter = JsonFormatter()
    targets = list(loggers)
    if root:
        top = logging.getLogger()
        if not top.handlers:
            top.addHandler(logging.StreamHandler())
        targets.append(top)
    for logger in targets:
        for handler in logger.handlers:
            handler.setFormatter(formatter)
