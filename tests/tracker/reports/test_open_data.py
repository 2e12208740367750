"""Small counts are suppressed, and so is whatever would let a reader work them out."""

from __future__ import annotations

from tracker.reports.open_data import FIELDS, published_figures
from tracker.reports.statistics import Figures


def _published(**counts: int) -> dict[str, object]:
    figures = Figures(**counts)
    figures.median_days, figures.p90_days = 4.0, 9.0
    return published_figures(figures)[0]


def test_large_counts_are_published() -> None:
    shown = _published(received=20, completed=15, completed_on_time=10, timed=15, extended=0)
    assert shown["received"] == 20 and shown["completed"] == 15
    assert shown["completed_on_time"] == 10 and shown["on_time_rate"] == 0.6667
    assert shown["median_working_days"] == 4.0 and shown["extended"] == 0  # zero is published


def test_a_small_count_and_everything_nested_in_it_are_hidden() -> None:
    shown = _published(received=2, completed=2, completed_on_time=2, timed=2)
    assert all(shown[name] is None for name in shown)


def test_a_small_difference_hides_the_smaller_count() -> None:
    # Received 10, completed 9: publishing both would say "one case not completed".
    shown = _published(received=10, completed=9, completed_on_time=5, timed=9)
    assert shown["received"] == 10
    assert shown["completed"] is None and shown["completed_on_time"] is None
    assert shown["on_time_rate"] is None and shown["median_working_days"] is None
    # Completed 10, on time 8: two late cases would show.
    shown = _published(received=13, completed=10, completed_on_time=8, timed=10)
    assert shown["completed"] == 10
    assert shown["completed_on_time"] is None and shown["on_time_rate"] is None


def test_no_hidden_value_can_be_recovered_from_the_published_ones() -> None:
    """Every identity among published fields is checked: nothing hidden is pinned down."""
    for received in range(0, 12):
        for completed in range(0, received + 1):
            for on_time in range(0, completed + 1):
                shown, hidden = published_figures(
                    Figures(received=received, completed=completed, completed_on_time=on_time)
                )
                values = {"received": received, "completed": completed, "on_time": on_time}
                published = {
                    "received": shown["received"],
                    "completed": shown["completed"],
                    "on_time": shown["completed_on_time"],
                }
                # Every published difference along received ⊇ completed ⊇ on time is 0 or ≥ 3.
                for big, small in (("received", "completed"), ("completed", "on_time")):
                    if published[big] is not None and published[small] is not None:
                        assert values[big] - values[small] == 0 or values[big] - values[small] >= 3
                for name, value in published.items():
                    assert value is None or value == 0 or value >= 3, (name, values)
                if "completed_on_time" in hidden:  # the rate would give it back
                    assert shown["on_time_rate"] is None


def test_fields_are_stable() -> None:
    assert FIELDS[:3] == ("month", "agency_code", "agency_name_zh")
    assert "on_time_rate" in FIELDS and "applicant_name" not in FIELDS
