"""JSON log lines: one object per event, the case number kept, no phone or address in them."""

from __future__ import annotations

import json
import logging
import sys

from tracker.operations.logs import JsonFormatter, use_json_logs


def _line(message: str, *args: object, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("notifications", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return json.loads(JsonFormatter().format(record))


def test_a_line_is_one_json_object_with_the_case_number() -> None:
    line = _line("notice %s falls back to %s", 42, "email", case="20260413-0001")
    assert line["message"] == "notice 42 falls back to email"
    assert line["case"] == "20260413-0001"
    assert line["level"] == "info"
    assert str(line["time"]).endswith("+00:00")


def test_no_phone_number_or_address_reaches_the_line() -> None:
    line = _line("could not send to %s or %s", "+886 912 345 678", "wang@example.org")
    assert "912" not in str(line["message"])
    assert "wang@" not in str(line["message"])


def test_extras_other_than_the_known_ones_are_left_out() -> None:
    line = _line("filed", case="20260413-0001", applicant_name="王小明")
    assert "applicant_name" not in line
    assert "王小明" not in json.dumps(line, ensure_ascii=False)


def test_an_exception_gives_its_type_not_its_text() -> None:
    try:
        raise ValueError("0912345678 is not valid")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["error"] == "ValueError"
    assert "0912345678" not in json.dumps(line)


def test_a_loggers_handlers_take_the_json_format() -> None:
    logger = logging.getLogger("tracker.test.json")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        use_json_logs(logger, root=False)
        assert isinstance(handler.formatter, JsonFormatter)
    finally:
        logger.removeHandler(handler)
