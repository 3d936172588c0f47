"""Deadline arithmetic on the calendar value itself (no database): holidays with their adjusted
working days, the start-day rule, local time, the weekend fallback, and the batch form equal to the
one-at-a-time form and to a day-by-day reference count."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhufang.workdays.tests.conftest import SHANGHAI, at, end_of
from zhufang.workdays.workcalendar import HOLIDAY, WORKING_DAY, OutOfRangeError, WorkCalendar

pytestmark = pytest.mark.sqlite


def test_national_day_2025_and_its_adjusted_days(seeded: WorkCalendar) -> None:
    # 2025: 10-01..10-08 holidays (国庆节 with 中秋节 on 10-06); Sunday 9-28 and Saturday 10-11 worked
    assert [seeded.is_working_day(dt.date(2025, 10, d)) for d in range(1, 9)] == [False] * 8
    assert seeded.is_working_day(dt.date(2025, 9, 28)) and seeded.is_working_day(dt.date(2025, 10, 11))
    assert seeded.override(dt.date(2025, 9, 28)) == (WORKING_DAY, "国庆节")
    assert seeded.override(dt.date(2025, 10, 6)) == (HOLIDAY, "中秋节")
    # issued Friday 9-26 evening: Saturday rests, Sunday 9-28 is the first working day
    assert seeded.add_working_days(at("2025-09-26 17:45"), 1).at == end_of("2025-09-28")
    assert seeded.add_working_days(at("2025-09-26 17:45"), 3).at == end_of("2025-09-30")
    # issued 9-30: the eight holidays are skipped, the adjusted Saturday counts
    assert seeded.add_working_days(at("2025-09-30 10:00"), 1).at == end_of("2025-10-09")
    assert seeded.add_working_days(at("2025-09-30 10:00"), 3).at == end_of("2025-10-11")
    assert seeded.add_working_days(at("2025-09-30 10:00"), 4).at == end_of("2025-10-13")
    # issued on a holiday: counting starts at the first working day after it
    assert seeded.add_working_days(at("2025-10-03 09:00"), 1).at == end_of("2025-10-09")


def test_national_day_2026_from_the_package(seeded: WorkCalendar) -> None:
    # 2026 (chinese-calendar 1.11.0): 中秋 9-25..9-27, 国庆 10-01..10-07, Sunday 9-20 and Saturday 10-10 worked
    assert seeded.is_working_day(dt.date(2026, 9, 20)) and seeded.is_working_day(dt.date(2026, 10, 10))
    assert not seeded.is_working_day(dt.date(2026, 10, 5))
    assert seeded.add_working_days(at("2026-09-30 15:00"), 1).at == end_of("2026-10-08")
    assert seeded.add_working_days(at("2026-09-30 15:00"), 3).at == end_of("2026-10-10")
    assert seeded.add_working_days(at("2026-09-24 15:00"), 1).at == end_of("2026-09-28")


def test_spring_festival(seeded: WorkCalendar) -> None:
    # 2026: 2-15..2-23 holidays, Saturdays 2-14 and 2-28 worked
    assert seeded.add_working_days(at("2026-02-12 16:00"), 2).at == end_of("2026-02-14")
    assert seeded.add_working_days(at("2026-02-12 16:00"), 3).at == end_of("2026-02-24")
    # 2025: 1-28..2-04 holidays, Sunday 1-26 and Saturday 2-08 worked
    assert seeded.add_working_days(at("2025-01-24 18:00"), 1).at == end_of("2025-01-26")
    assert seeded.add_working_days(at("2025-01-27 09:00"), 1).at == end_of("2025-02-05")
    assert seeded.add_working_days(at("2025-02-06 09:00"), 2).at == end_of("2025-02-08")


def test_late_on_a_friday_and_the_local_date(seeded: WorkCalendar) -> None:
    assert seeded.add_working_days(at("2025-11-14 23:59"), 1).at == end_of("2025-11-17")
    assert seeded.add_working_days(at("2025-11-15 00:30"), 1).at == end_of("2025-11-17")  # Saturday
    # Monday 07:00 in Shanghai is still Sunday in UTC: the local date decides
    monday_morning = dt.datetime(2025, 11, 16, 23, 0, tzinfo=dt.UTC)
    assert seeded.add_working_days(monday_morning, 1).at == end_of("2025-11-18")
    assert seeded.add_working_days(monday_morning, 1).at.tzinfo is SHANGHAI


def test_a_naive_start_and_a_bad_amount_are_refused(seeded: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        seeded.add_working_days(dt.datetime(2025, 11, 14, 9), 1)
    for n in (0, -1, 1.5):
        with pytest.raises(ValueError, match="≥ 1"):
            seeded.add_working_days(at("2025-11-14 09:00"), n)  # type: ignore[arg-type]
    with pytest.raises(OutOfRangeError):
        seeded.add_working_days(at("2199-12-30 09:00"), 5)


def test_an_uncovered_year_counts_weekends_only_and_says_so(seeded: WorkCalendar) -> None:
    assert not seeded.covered(2027) and seeded.covered(2026) and seeded.covered(2004) and not seeded.covered(2003)
    due = seeded.add_working_days(at("2027-09-30 10:00"), 3)
    assert due.at == end_of("2027-10-05")  # Fri 10-01, Mon 10-04, Tue 10-05: no National Day known
    assert due.approximate and due.uncovered_years == (2027,)
    # a deadline that starts in 2026 and ends in 2027 is approximate too
    crossing = seeded.add_working_days(at("2026-12-30 10:00"), 2)
    assert crossing.at == end_of("2027-01-01") and crossing.uncovered_years == (2027,)
    # one that stays inside covered days is not, even when issued on the last day of a covered year
    assert not seeded.add_working_days(at("2026-12-29 10:00"), 2).approximate
    assert seeded.working_days_between(at("2027-01-01 09:00"), at("2027-01-08 09:00")) == (5, True)


def test_clock_hours_cross_midnight_and_holidays(seeded: WorkCalendar) -> None:
    starts = [at("2025-09-30 23:30"), at("2027-12-31 23:15")]
    due = seeded.add_clock_hours_many(starts, 1)
    assert due.datetimes(SHANGHAI) == [at("2025-10-01 00:30"), at("2028-01-01 00:15")]
    assert not due.approximate.any()


def test_working_days_between_inverts_add(seeded: WorkCalendar) -> None:
    start = at("2025-09-26 17:45")
    for n in (1, 2, 5, 30, 250):
        assert seeded.working_days_between(start, seeded.add_working_days(start, n).at) == (n, False)
    assert seeded.working_days_between(at("2025-09-30 09:00"), at("2025-10-11 08:00"))[0] == 3  # 10-09, 10-10, 10-11
    assert seeded.working_days_between(at("2025-10-10 09:00"), at("2025-09-30 09:00"))[0] == -2


def _reference_due(calendar: WorkCalendar, start: dt.datetime, n: int) -> dt.date:
    """Day by day, straight from the overrides and the week (an independent count)."""

    def worked(day: dt.date) -> bool:
        override = calendar.overrides.get(day)
        return override[0] == WORKING_DAY if override else day.weekday() < 5

    day, left = start.astimezone(SHANGHAI).date(), n
    while left:
        day += dt.timedelta(days=1)
        left -= worked(day)
    return day


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=dt.datetime(2003, 6, 1), max_value=dt.datetime(2028, 6, 1)),
    n=st.integers(min_value=1, max_value=60),
)
def test_add_agrees_with_a_day_by_day_count(seeded: WorkCalendar, moment: dt.datetime, n: int) -> None:
    start = moment.replace(tzinfo=dt.UTC)
    due = seeded.add_working_days(start, n)
    assert due.at == end_of(_reference_due(seeded, start, n).isoformat())
    assert seeded.is_working_day(due.at.date())
    first_counted = start.astimezone(SHANGHAI).date() + dt.timedelta(days=1)
    assert due.approximate == any(not seeded.covered(y) for y in range(first_counted.year, due.at.year + 1))


def test_batch_equals_one_at_a_time(seeded: WorkCalendar) -> None:
    rng = np.random.default_rng(4)
    base = dt.datetime(2024, 12, 20, tzinfo=dt.UTC)
    starts = [base + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 800, 3000)]
    amounts = rng.integers(1, 40, len(starts))
    batch = seeded.add_working_days_many(starts, amounts)
    single = [seeded.add_working_days(s, int(n)) for s, n in zip(starts, amounts, strict=True)]
    assert batch.datetimes(SHANGHAI) == [d.at for d in single]
    assert batch.approximate.tolist() == [d.approximate for d in single]
    assert batch.approximate.any() and not batch.approximate.all()  # the sample reaches into 2027
    assert batch.uncovered_years == (2027,)
    # numpy input gives the same
    as_array = np.array([s.replace(tzinfo=None) for s in starts], dtype="datetime64[us]")
    assert (seeded.add_working_days_many(as_array, amounts).at_utc == batch.at_utc).all()


def test_batch_in_a_zone_with_daylight_saving_converts_one_by_one() -> None:
    from zoneinfo import ZoneInfo

    berlin = WorkCalendar([2025], [], tz=ZoneInfo("Europe/Berlin"))
    starts = [dt.datetime(2025, 3, 28, 23, 30, tzinfo=dt.UTC), dt.datetime(2025, 10, 24, 22, 30, tzinfo=dt.UTC)]
    batch = berlin.add_working_days_many(starts, 1)
    assert batch.datetimes(ZoneInfo("Europe/Berlin")) == [berlin.add_working_days(s, 1).at for s in starts]
