"""The DGPA office calendar CSV reader: real file shapes accepted, every flaw refused by line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tracker.calendar.dgpa import DgpaDay, DgpaFormatError, parse_dgpa

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "dgpa-2026-sample.csv"

HEADER = "西元日期,星期,是否放假,備註"

# Rows of the 114年 (2025) file around Lunar New Year. 2026 has no make-up working day (the 2025
# amendment of the holiday rules compensates with 補假 instead), so the make-up Saturday
# 2025-02-08 comes from the year that has one.
ROWS_2025 = [
    "20250124,五,0,",
    "20250125,六,2,",
    "20250126,日,2,",
    "20250127,一,2,調整放假",
    "20250128,二,2,農曆除夕",
    "20250129,三,2,春節",
    "20250130,四,2,春節",
    "20250131,五,2,春節",
    "20250201,六,2,",
    "20250202,日,2,",
    "20250203,一,0,",
    "20250208,六,0,補行上班",
]


def csv_bytes(rows: list[str], encoding: str = "utf-8", newline: str = "\n") -> bytes:
    return newline.join([HEADER, *rows, ""]).encode(encoding)


def refusal(data: bytes) -> tuple[int, str]:
    with pytest.raises(DgpaFormatError) as caught:
        parse_dgpa(data, "dgpa.csv")
    return caught.value.line, caught.value.reason


# -- the shipped 2026 sample ----------------------------------------------------------------------


def test_the_2026_sample_is_utf8_with_a_byte_order_mark() -> None:
    assert SAMPLE.read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_2026_sample_reads_lunar_new_year_and_observed_days() -> None:
    days = parse_dgpa(SAMPLE.read_bytes(), SAMPLE.name)
    by_date = {day.date: day for day in days}

    assert days[0] == DgpaDay(date(2026, 2, 1), False, "")
    assert len(days) == 36
    assert [day.date for day in days] == [date(2026, 2, 1) + timedelta(n) for n in range(36)]
    # The worked example of DESIGN §4.3: received Friday 02-13, 5wd, due 03-02.
    assert by_date[date(2026, 2, 13)].is_working
    assert not any(by_date[date(2026, 2, d)].is_working for d in range(14, 23))
    assert by_date[date(2026, 2, 16)].note == "農曆除夕"
    assert by_date[date(2026, 2, 20)] == DgpaDay(date(2026, 2, 20), False, "補假")
    assert by_date[date(2026, 2, 27)] == DgpaDay(date(2026, 2, 27), False, "補假")
    assert by_date[date(2026, 2, 28)].note == "和平紀念日"
    working = [day.date for day in days if day.is_working and day.date > date(2026, 2, 13)]
    assert working[:5] == [
        date(2026, 2, 23),
        date(2026, 2, 24),
        date(2026, 2, 25),
        date(2026, 2, 26),
        date(2026, 3, 2),
    ]


# -- encodings and line endings -------------------------------------------------------------------


def test_utf8_with_and_without_bom_read_the_same() -> None:
    plain = parse_dgpa(csv_bytes(ROWS_2025), "plain.csv")
    with_bom = parse_dgpa(csv_bytes(ROWS_2025, "utf-8-sig"), "bom.csv")
    assert plain == with_bom
    assert len(plain) == len(ROWS_2025)


@pytest.mark.parametrize("encoding", ["big5", "cp950"])
def test_big5_reads_the_same_including_the_make_up_saturday(encoding: str) -> None:
    data = csv_bytes(ROWS_2025, encoding, "\r\n")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # so the test really exercises the fallback
    days = parse_dgpa(data, "114年中華民國政府行政機關辦公日曆表.csv")
    assert days == parse_dgpa(csv_bytes(ROWS_2025), "utf8.csv")
    assert days[-1] == DgpaDay(date(2025, 2, 8), True, "補行上班")
    assert days[3] == DgpaDay(date(2025, 1, 27), False, "調整放假")


def test_crlf_reads_the_same_as_lf() -> None:
    assert parse_dgpa(csv_bytes(ROWS_2025, newline="\r\n"), "crlf.csv") == parse_dgpa(
        csv_bytes(ROWS_2025), "lf.csv"
    )


def test_blank_lines_whitespace_quotes_and_padding_are_tolerated() -> None:
    data = (
        "\ufeff 西元日期 , 星期 ,是否放假,備註 \r\n"
        " 20250207 , 五 , 0 ,  \r\n"
        '"20250208","六","0","補行上班"\r\n'
        "20250209,日,2,,,\r\n"
        "20250210,一,0\r\n"
        "\r\n"
        "   \r\n"
    ).encode()
    assert parse_dgpa(data, "tidy.csv") == [
        DgpaDay(date(2025, 2, 7), True, ""),
        DgpaDay(date(2025, 2, 8), True, "補行上班"),
        DgpaDay(date(2025, 2, 9), False, ""),
        DgpaDay(date(2025, 2, 10), True, ""),
    ]


# -- refusals, each with its line -----------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf", b"  \r\n"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    assert refusal(data) == (1, "the file is empty")


def test_a_header_without_dates_is_refused() -> None:
    assert refusal(csv_bytes([])) == (2, "no dates after the header")


@pytest.mark.parametrize(
    "header",
    ["date,weekday,holiday,note", "西元日期,星期,備註,是否放假", "20250124,五,0,"],
)
def test_a_wrong_header_is_refused(header: str) -> None:
    line, reason = refusal(f"{header}\n20250124,五,0,\n".encode())
    assert line == 1
    assert reason.startswith("the first line must be the header 西元日期,星期,是否放假,備註")


def test_the_header_line_is_counted_after_leading_blank_lines() -> None:
    assert refusal(b"\n\nnot,a,header\n")[0] == 3


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("2025-01-24,五,0,", "bad date '2025-01-24': write YYYYMMDD, e.g. 20260101"),
        ("1140124,五,0,", "bad date '1140124': write YYYYMMDD, e.g. 20260101"),
        ("20250230,日,2,", "bad date '20250230': no such day"),
        ("20250124,六,0,", "weekday '六' does not match 2025-01-24, which is a 五"),
        ("20250124,,0,", "weekday '' does not match 2025-01-24, which is a 五"),
        ("20250124,五,1,", "bad 是否放假 value '1': use 0 (working day) or 2 (day off)"),
        ("20250124,五,,", "bad 是否放假 value '': use 0 (working day) or 2 (day off)"),
        ("20250124,五", "expected the columns 西元日期,星期,是否放假,備註, found 2 columns"),
        (
            "20250124,五,0,備註,多餘",
            "expected the columns 西元日期,星期,是否放假,備註, found 5 columns",
        ),
    ],
)
def test_a_bad_row_is_refused_on_its_line(row: str, reason: str) -> None:
    rows = [*ROWS_2025[:3], row, *ROWS_2025[4:]]
    assert refusal(csv_bytes(rows)) == (5, reason)


def test_a_duplicate_date_is_refused_naming_both_lines() -> None:
    rows = [*ROWS_2025, "20250125,六,2,"]
    assert refusal(csv_bytes(rows, newline="\r\n")) == (
        len(rows) + 1,
        "duplicate date 2025-01-25 (first on line 3)",
    )


def test_undecodable_bytes_are_refused_on_the_damaged_line() -> None:
    data = bytearray(csv_bytes(ROWS_2025, "big5"))
    # Line 5 of the Big5 file gets a byte that is neither UTF-8 nor Big5.
    position = data.index(b"20250127") + len("20250127")
    data[position:position] = b"\x80"
    line, reason = refusal(bytes(data))
    assert line == 5
    assert reason.startswith("cannot read this line as UTF-8 or Big5 text")


def test_a_damaged_utf8_file_with_bom_is_not_read_as_big5() -> None:
    # b"\xa4\xa4" is 中 in Big5 but not UTF-8: with the BOM, it is damage, not another encoding.
    data = csv_bytes(["20250124,五,0,", "20250125,六,2,"], "utf-8-sig", "\r\n") + b"\xa4\xa4"
    line, reason = refusal(data)
    assert line == 4
    assert reason.startswith("cannot read this line as UTF-8 or Big5 text")


def test_utf16_is_refused_with_advice() -> None:
    assert refusal(csv_bytes(ROWS_2025, "utf-16")) == (
        1,
        "the file is UTF-16: save it as CSV in UTF-8 or Big5",
    )


def test_the_error_names_file_and_line() -> None:
    with pytest.raises(DgpaFormatError) as caught:
        parse_dgpa(csv_bytes(["20250124,五,3,"]), "115年行事曆.csv")
    error = caught.value
    assert (error.filename, error.line) == ("115年行事曆.csv", 2)
    assert str(error) == (
        "115年行事曆.csv:2: bad 是否放假 value '3': use 0 (working day) or 2 (day off)"
    )
    assert isinstance(error, ValueError)
