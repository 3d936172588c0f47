"""Calendar periods: ISO weeks across a year end, months, quarters and half years at their edges."""

from __future__ import annotations

import datetime as dt

import pytest

from zhufang.inspections.periods import Span, period_containing, period_label, previous_period

pytestmark = pytest.mark.sqlite
D = dt.date


@pytest.mark.parametrize(
    ("period", "day", "start", "end"),
    [
        ("week", D(2026, 7, 1), D(2026, 6, 29), D(2026, 7, 5)),  # Wednesday; ISO weeks start on Monday
        ("week", D(2026, 6, 28), D(2026, 6, 22), D(2026, 6, 28)),  # Sunday ends its week
        ("week", D(2027, 1, 1), D(2026, 12, 28), D(2027, 1, 3)),  # ISO week 53 of 2026 spans the year end
        ("month", D(2026, 2, 28), D(2026, 2, 1), D(2026, 2, 28)),
        ("month", D(2028, 2, 29), D(2028, 2, 1), D(2028, 2, 29)),  # leap year
        ("month", D(2026, 12, 31), D(2026, 12, 1), D(2026, 12, 31)),
        ("quarter", D(2026, 3, 31), D(2026, 1, 1), D(2026, 3, 31)),
        ("quarter", D(2026, 4, 1), D(2026, 4, 1), D(2026, 6, 30)),
        ("half_year", D(2026, 6, 30), D(2026, 1, 1), D(2026, 6, 30)),
        ("half_year", D(2026, 7, 1), D(2026, 7, 1), D(2026, 12, 31)),
        ("year", D(2026, 7, 1), D(2026, 1, 1), D(2026, 12, 31)),
    ],
)
def test_period_containing(period: str, day: dt.date, start: dt.date, end: dt.date) -> None:
    assert period_containing(period, day) == Span(start, end)


@pytest.mark.parametrize(
    ("period", "day", "start", "end"),
    [
        ("week", D(2027, 1, 4), D(2026, 12, 28), D(2027, 1, 3)),
        ("month", D(2026, 1, 15), D(2025, 12, 1), D(2025, 12, 31)),
        ("month", D(2026, 3, 1), D(2026, 2, 1), D(2026, 2, 28)),
        ("quarter", D(2026, 1, 1), D(2025, 10, 1), D(2025, 12, 31)),
        ("half_year", D(2026, 1, 1), D(2025, 7, 1), D(2025, 12, 31)),
        ("half_year", D(2026, 7, 1), D(2026, 1, 1), D(2026, 6, 30)),
    ],
)
def test_previous_period(period: str, day: dt.date, start: dt.date, end: dt.date) -> None:
    assert previous_period(period, day) == Span(start, end)


def test_labels_and_unknown_period() -> None:
    assert period_label("week", period_containing("week", D(2027, 1, 1))) == "2026 week 53"
    assert period_label("half_year", period_containing("half_year", D(2026, 7, 1))) == "2026 second half"
    with pytest.raises(ValueError, match="fortnight"):
        period_containing("fortnight", D(2026, 1, 1))
