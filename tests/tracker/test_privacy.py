"""Masked names and case numbers for public pages (DESIGN §4.7)."""

from __future__ import annotations

import pytest

from tracker.privacy import mask_case_number, mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王小明", "王○明"),
        ("歐陽小明", "歐○○明"),
        ("王明", "王○"),
        ("王", "○"),
        (" 陳 美玲 ", "陳 ○玲"),
        ("瓦歷斯·諾幹", "瓦○○·○幹"),
        ("John Smith", "J*** S***"),
        ("Mary Ann  Lee", "M*** A*** L***"),
        ("Madonna", "M***"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_names_are_masked(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_latin_masks_do_not_reveal_the_length() -> None:
    assert mask_name("Al Li") == mask_name("Alexander Livingstone") == "A*** L***"
    assert len(mask_name("Al")) == len(mask_name("Alexandra"))


def test_case_numbers_keep_their_day_and_running_number() -> None:
    # The running number restarts every day: the last digits alone are ambiguous on a board.
    assert mask_case_number("20260413-0042") == "0413-0042"
    assert mask_case_number(" 20261122-0001 ") == "1122-0001"
    assert mask_case_number("20261122-10001") == "1122-10001"
    assert mask_case_number("20261122-0001") != mask_case_number("20261121-0001")


def test_other_numbers_keep_only_their_last_characters() -> None:
    assert mask_case_number("ABC-12345") == "…2345"
    assert mask_case_number("0042") == "0042"
