"""工作日历 (working-day calendar) as an in-memory value: which days are worked, and deadline arithmetic
on it, one item at a time or 100,000 at once (numpy).

Counting rule (the start day never counts — as 民法典 第二百零一条 counts periods: "开始的当日不计入，自下一日开始
计算"): *N working days after a start instant* are counted from the first working day after the start's
local date, and the deadline is the **end** of the N-th such day (23:59:59.999999 local time). So with
N = 1: issued Monday 09:00 → due Tuesday 23:59:59; issued Friday 23:30 → due Monday; issued on Saturday
or on a holiday → due at the end of the first working day after it. ``N`` must be ≥ 1.

A day is worked when it is Monday–Friday and not a holiday, or when it is an adjusted working day
(调休上班, always a Saturday or Sunday). For a year the calendar does not cover (no State Council
notice entered yet) only weekends rest: results touching such a year are flagged ``approximate``.

The calendar holds one flag per day from 1970-01-01 to 2199-12-31 and two prefix sums, so the N-th
working day after day *i* is ``working_index[cumulative[i + 1] + N - 1]`` — two array look-ups, no loop.
This module knows nothing about the database; ``zhufang.workdays.services`` builds and caches it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FIRST_DAY = dt.date(1970, 1, 1)  # day index 0 == numpy's datetime64[D] epoch
LAST_DAY = dt.date(2199, 12, 31)
HOLIDAY = "holiday"
WORKING_DAY = "working_day"
_BASE = FIRST_DAY.toordinal()
_SPAN = LAST_DAY.toordinal() - _BASE + 1
_ONE_US = np.timedelta64(1, "us")
_ONE_US_TD = dt.timedelta(microseconds=1)


class OutOfRangeError(ValueError):
    """A date outside 1970–2199: bad input, not a gap in the calendar."""


@dataclass(frozen=True)
class DueDate:
    """A computed deadline (期限): the instant and whether an uncovered year made it approximate."""

    at: dt.datetime
    approximate: bool = False
    uncovered_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class BatchDue:
    """Deadlines for many starts: ``at_utc`` as naive UTC ``datetime64[us]``, one flag per item."""

    at_utc: npt.NDArray[np.datetime64]
    approximate: npt.NDArray[np.bool_]
    uncovered_years: tuple[int, ...] = ()

    @property
    def approximate_count(self) -> int:
        return int(np.count_nonzero(self.approximate))

    def datetimes(self, tz: dt.tzinfo = dt.UTC) -> list[dt.datetime]:
        """The deadlines as aware datetimes (for ``bulk_create``), in ``tz``."""
        return from_utc_array(self.at_utc, tz)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@functools.lru_cache(maxsize=256)
def fixed_offset(tz: dt.tzinfo, low_year: int, high_year: int) -> np.timedelta64 | None:
    """The zone's UTC offset when it is the same all through these years (±1), else None (daylight
    saving, or a change of offset: Asia/Shanghai is +08:00 throughout since 1992)."""
    low, high = max(1, low_year - 1), min(9998, high_year + 1)
    offsets = {
        dt.datetime(y, m, 1, 12, tzinfo=dt.UTC).astimezone(tz).utcoffset()
        for y in range(low, high + 1)
        for m in (1, 4, 7, 10)
    }
    only = offsets.pop() if len(offsets) == 1 else None
    return None if only is None else np.timedelta64(only // _ONE_US_TD, "us")


def _year_range(values: npt.NDArray[np.datetime64]) -> tuple[int, int]:
    years = values.astype("datetime64[Y]").astype(np.int64) + 1970
    return int(years.min()), int(years.max())


def to_utc_array(starts: Sequence[dt.datetime] | npt.NDArray[Any]) -> npt.NDArray[np.datetime64]:
    """Aware datetimes (or an existing ``datetime64`` array, taken as UTC) as naive UTC ``datetime64[us]``."""
    if isinstance(starts, np.ndarray) and np.issubdtype(starts.dtype, np.datetime64):
        return starts.astype("datetime64[us]")
    try:
        micros = [(start - _EPOCH) // _ONE_US_TD for start in starts]
    except TypeError:
        naive = next(k for k, start in enumerate(starts) if start.tzinfo is None or start.utcoffset() is None)
        raise ValueError(f"start #{naive + 1} is a naive datetime; an aware datetime is required") from None
    return np.array(micros, dtype=np.int64).astype("datetime64[us]")


def from_utc_array(values: npt.NDArray[np.datetime64], tz: dt.tzinfo = dt.UTC) -> list[dt.datetime]:
    """Naive-UTC ``datetime64`` values as aware datetimes in ``tz``."""
    values = values.astype("datetime64[us]")
    if not len(values):
        return []
    offset = fixed_offset(tz, *_year_range(values)) if tz is not dt.UTC else np.timedelta64(0, "us")
    if offset is None:
        return [v.replace(tzinfo=dt.UTC).astimezone(tz) for v in values.astype(object)]
    return [v.replace(tzinfo=tz) for v in (values + offset).astype(object)]


def _day_index(day: dt.date) -> int:
    index = day.toordinal() - _BASE
    if not 0 <= index < _SPAN:
        raise OutOfRangeError(f"{day.isoformat()} is outside the calendar's range {FIRST_DAY}…{LAST_DAY}")
    return index


def _day_of(index: int) -> dt.date:
    return dt.date.fromordinal(index + _BASE)


class WorkCalendar:
    """The working days: covered years (with their overrides) and weekends everywhere else."""

    def __init__(
        self,
        covered_years: Iterable[int],
        overrides: Iterable[tuple[dt.date, str, str]],
        tz: dt.tzinfo,
        version: object = None,
    ) -> None:
        self.tz = tz
        self.version = version
        self.covered_years = frozenset(int(y) for y in covered_years)
        self.overrides: dict[dt.date, tuple[str, str]] = {}
        weekday = (np.arange(_SPAN) + FIRST_DAY.weekday()) % 7  # Monday == 0
        worked = weekday < 5
        for day, kind, name in overrides:
            if kind not in (HOLIDAY, WORKING_DAY):
                raise ValueError(f"{day}: unknown kind {kind!r}")
            self.overrides[day] = (kind, name)
            worked[_day_index(day)] = kind == WORKING_DAY
        days = np.arange(_SPAN).astype("datetime64[D]")
        years = days.astype("datetime64[Y]").astype(np.int64) + 1970
        uncovered = ~np.isin(years, np.fromiter(self.covered_years, dtype=np.int64, count=len(self.covered_years)))
        self._worked = worked
        self._cumulative = np.concatenate(([0], np.cumsum(worked, dtype=np.int64)))
        self._working_index = np.flatnonzero(worked).astype(np.int64)
        self._uncovered_cumulative = np.concatenate(([0], np.cumsum(uncovered, dtype=np.int64)))
        #: uncovered year sets already logged with this calendar (the log says it once, not per deadline)
        self.logged_uncovered: set[tuple[int, ...]] = set()

    # ------------------------------------------------------------------ single days

    def covered(self, year: int) -> bool:
        return int(year) in self.covered_years

    def is_working_day(self, day: dt.date) -> bool:
        index = day.toordinal() - _BASE
        if not 0 <= index < _SPAN:
            return day.weekday() < 5
        return bool(self._worked[index])

    def override(self, day: dt.date) -> tuple[str, str] | None:
        """``(kind, name)`` when the day is a holiday or an adjusted working day of a covered year."""
        return self.overrides.get(day)

    def local_date(self, moment: dt.datetime | dt.date) -> dt.date:
        if isinstance(moment, dt.datetime):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError("an aware datetime is required (settings.USE_TZ)")
            return moment.astimezone(self.tz).date()
        return moment

    def end_of_day(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.max, tzinfo=self.tz)

    def uncovered_years_between(self, first: dt.date, last: dt.date) -> tuple[int, ...]:
        """Uncovered years among the days ``first``…``last`` (inclusive, either order)."""
        low, high = sorted((first.year, last.year))
        return tuple(y for y in range(low, high + 1) if y not in self.covered_years)

    # ------------------------------------------------------------------ deadlines, one at a time

    def add_working_days(self, start: dt.datetime | dt.date, n: int) -> DueDate:
        """The end of the N-th working day after the start's local date (see the module docstring)."""
        if int(n) != n or n < 1:
            raise ValueError(f"the number of working days must be a whole number ≥ 1, not {n!r}")
        first = _day_index(self.local_date(start))
        rank = int(self._cumulative[first + 1]) + int(n) - 1
        if rank >= len(self._working_index):
            raise OutOfRangeError(f"{n} working days after {start} is beyond {LAST_DAY}")
        last = int(self._working_index[rank])
        approximate = bool(self._uncovered_cumulative[last + 1] - self._uncovered_cumulative[first + 1])
        due_day = _day_of(last)
        years = self.uncovered_years_between(_day_of(first + 1), due_day) if approximate else ()
        return DueDate(self.end_of_day(due_day), approximate, years)

    def working_days_between(self, a: dt.datetime | dt.date, b: dt.datetime | dt.date) -> tuple[int, bool]:
        """Working days in the local dates (a, b] (negative when b is before a) and the approximate flag.
        Consistent with ``add_working_days``: between(start, add_working_days(start, n).at) == n."""
        ia, ib = _day_index(self.local_date(a)), _day_index(self.local_date(b))
        count = int(self._cumulative[ib + 1] - self._cumulative[ia + 1])
        low, high = sorted((ia, ib))
        approximate = bool(self._uncovered_cumulative[high + 1] - self._uncovered_cumulative[low + 1])
        return count, approximate

    # ------------------------------------------------------------------ deadlines, in bulk

    def _local_day_indices(self, starts_utc: npt.NDArray[np.datetime64]) -> tuple[npt.NDArray[np.int64], Any]:
        offset: np.timedelta64 | None = np.timedelta64(0, "us")
        if len(starts_utc):
            low, high = _year_range(starts_utc)
            if low < FIRST_DAY.year or high > LAST_DAY.year:
                raise OutOfRangeError(f"a start is outside the calendar's range {FIRST_DAY}…{LAST_DAY}")
            offset = fixed_offset(self.tz, low, high)
        if offset is None:  # a zone with daylight saving in range: convert one by one
            days = np.array([_day_index(self.local_date(d)) for d in from_utc_array(starts_utc)], dtype=np.int64)
        else:
            days = (starts_utc + offset).astype("datetime64[D]").astype(np.int64)
        if len(days) and (days.min() < 0 or days.max() >= _SPAN):
            raise OutOfRangeError(f"a start is outside the calendar's range {FIRST_DAY}…{LAST_DAY}")
        return days, offset

    def add_working_days_many(
        self, starts: Sequence[dt.datetime] | npt.NDArray[Any], n: int | npt.NDArray[np.integer[Any]]
    ) -> BatchDue:
        """``add_working_days`` for every start at once (``n`` one number or one per start)."""
        starts_utc = to_utc_array(starts)
        amounts = np.broadcast_to(np.asarray(n, dtype=np.int64), starts_utc.shape)
        if len(amounts) and int(amounts.min()) < 1:
            raise ValueError("the number of working days must be ≥ 1")
        first, offset = self._local_day_indices(starts_utc)
        rank = self._cumulative[first + 1] + amounts - 1
        if len(rank) and int(rank.max()) >= len(self._working_index):
            raise OutOfRangeError(f"a deadline falls beyond {LAST_DAY}")
        last = self._working_index[rank]
        approximate = (self._uncovered_cumulative[last + 1] - self._uncovered_cumulative[first + 1]) > 0
        if len(last):  # the deadlines' own years may reach past the starts' (a change of offset)
            offset = fixed_offset(self.tz, _day_of(int(first.min())).year, _day_of(int(last.max())).year)
        if offset is None:
            due = to_utc_array([self.end_of_day(_day_of(int(j))) for j in last])
        else:
            due = (last + 1).astype("datetime64[D]").astype("datetime64[us]") - offset - _ONE_US
        years: tuple[int, ...] = ()
        if approximate.any():
            years = self.uncovered_years_between(
                _day_of(int(first[approximate].min()) + 1), _day_of(int(last[approximate].max()))
            )
        return BatchDue(due, approximate, years)

    def add_clock_hours_many(self, starts: Sequence[dt.datetime] | npt.NDArray[Any], n: int) -> BatchDue:
        starts_utc = to_utc_array(starts)
        due = starts_utc + np.timedelta64(int(n) * 3600 * 1_000_000, "us")
        return BatchDue(due, np.zeros(len(due), dtype=bool))
