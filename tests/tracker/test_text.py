"""Free text: direction controls and zero-width marks refused; only them is nothing."""

from __future__ import annotations

import pytest

from tracker.text import BIDI_CONTROLS, ZERO_WIDTH, clean_text, required_text

INVISIBLE = sorted(BIDI_CONTROLS | ZERO_WIDTH)


def test_the_listed_characters() -> None:
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C):
        assert chr(code) in BIDI_CONTROLS
    for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF):
        assert chr(code) in ZERO_WIDTH


@pytest.mark.parametrize("mark", INVISIBLE)
def test_a_mark_inside_a_text_is_refused_by_its_code(mark: str) -> None:
    with pytest.raises(ValueError, match=f"U\\+{ord(mark):04X}") as refused:
        clean_text(f"王{mark}小明", max_length=100)
    assert "invisible direction or zero-width mark" in str(refused.value)


@pytest.mark.parametrize("mark", INVISIBLE)
def test_a_text_of_only_marks_is_empty(mark: str) -> None:
    assert clean_text(f" {mark}{mark} \u200b", max_length=100) == ""
    with pytest.raises(ValueError, match=r"^is required$"):
        required_text(f"{mark} {mark}", max_length=100)


def test_ordinary_text_passes() -> None:
    assert (
        clean_text("  王小明 (Wang) 一二三\n第二行\t", max_length=100)
        == "王小明 (Wang) 一二三\n第二行"
    )
