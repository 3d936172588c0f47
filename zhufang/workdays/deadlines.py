"""期限 (deadlines) counted on the working-day calendar: what instructions, reminders and escalation call.

A deadline rule (:class:`Deadline`) is N working days — due at the **end** of the N-th working day
after the start's local date; the start day never counts (see ``zhufang.workdays.workcalendar``) — or
N clock hours (anti-fraud warnings: 1 hour), exact elapsed time. Times are aware datetimes; days are
the local dates of ``settings.TIME_ZONE`` (Asia/Shanghai).

A year the calendar does not cover yet is counted with weekends only; a result that touched one is
flagged (``DueDate.approximate`` / ``BatchDue.approximate``, :func:`coverage_warning` gives the
Chinese text to show), a :class:`CalendarCoverageWarning` is raised through :mod:`warnings` and the
``zhufang.workdays`` logger says so once per year and calendar. Nothing raises for a missing year.

For many items use the ``*_many`` forms: one numpy pass for 100,000 starts.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from zhufang.workdays.services import current_calendar
from zhufang.workdays.workcalendar import BatchDue, DueDate

logger = logging.getLogger("zhufang.workdays")

#: the longest rule a category may carry (a quarter's work, in either unit)
MAX_WORKING_DAYS = 250
MAX_HOURS = 24 * 90


class CalendarCoverageWarning(UserWarning):
    """A deadline or a day was counted in a year whose holiday calendar has not been entered."""


class DeadlineUnit(models.TextChoices):
    WORKING_DAYS = "working_days", gettext_lazy("working days")
    HOURS = "hours", gettext_lazy("clock hours")


def coverage_message(years: Sequence[int]) -> str:
    return _(
        "The holiday calendar for %(years)s has not been entered yet: the deadline counts weekends only "
        "and may be off by the holidays; a system administrator enters the year from the State Council's notice"
    ) % {"years": "、".join(str(y) for y in years)}


def _warn(years: Sequence[int], items: int = 1, *, quiet: bool = False) -> None:
    """Raise the coverage warning (unless ``quiet``: a page or API shows the flag instead) and log it."""
    if not years:
        return
    if not quiet:
        warnings.warn(coverage_message(years), CalendarCoverageWarning, stacklevel=3)
    logged = current_calendar().logged_uncovered
    if tuple(years) not in logged:
        logged.add(tuple(years))
        logger.warning(
            "working-day calendar: years %s not covered, %d deadline(s) counted on weekends only", years, items
        )


def covered(year: int) -> bool:
    """Whether the holidays of ``year`` have been entered."""
    return current_calendar().covered(year)


def coverage_warning(start: dt.datetime | dt.date, end: dt.datetime | dt.date | None = None) -> str | None:
    """The warning to show when the days from ``start`` to ``end`` touch an uncovered year, else None."""
    calendar = current_calendar()
    first = calendar.local_date(start)
    years = calendar.uncovered_years_between(first, calendar.local_date(end) if end is not None else first)
    return coverage_message(years) if years else None


def is_working_day(day: dt.date) -> bool:
    calendar = current_calendar()
    if not calendar.covered(day.year):
        _warn((day.year,))
    return calendar.is_working_day(day)


def due_in_working_days(start: dt.datetime | dt.date, n: int, *, quiet: bool = False) -> DueDate:
    """The end of the N-th working day after ``start``, with the approximate flag."""
    due = current_calendar().add_working_days(start, n)
    if due.approximate:
        _warn(due.uncovered_years, quiet=quiet)
    return due


def add_working_days(start: dt.datetime | dt.date, n: int) -> dt.datetime:
    """The end of the N-th working day after ``start`` (local time)."""
    return due_in_working_days(start, n).at


def add_clock_hours(start: dt.datetime, n: int) -> dt.datetime:
    """``start`` plus N hours of elapsed time (the calendar does not matter)."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("an aware datetime is required (settings.USE_TZ)")
    return start + dt.timedelta(hours=n)


def working_days_between(a: dt.datetime | dt.date, b: dt.datetime | dt.date) -> int:
    """Working days among the local dates after ``a`` up to and including ``b`` (negative if b < a)."""
    count, approximate = current_calendar().working_days_between(a, b)
    if approximate:
        calendar = current_calendar()
        _warn(calendar.uncovered_years_between(calendar.local_date(a), calendar.local_date(b)))
    return count


def add_working_days_many(
    starts: Sequence[dt.datetime] | npt.NDArray[Any],
    n: int | npt.NDArray[np.integer[Any]],
    *,
    quiet: bool = False,
) -> BatchDue:
    """``add_working_days`` for many starts (aware datetimes, or naive-UTC ``datetime64``) at once."""
    due = current_calendar().add_working_days_many(starts, n)
    if due.uncovered_years:
        _warn(due.uncovered_years, due.approximate_count, quiet=quiet)
    return due


def add_clock_hours_many(starts: Sequence[dt.datetime] | npt.NDArray[Any], n: int) -> BatchDue:
    return current_calendar().add_clock_hours_many(starts, n)


@dataclass(frozen=True)
class Deadline:
    """期限规则: a deadline rule — ``amount`` working days or clock hours. Escalation clocks use the same."""

    unit: str
    amount: int

    def __post_init__(self) -> None:
        if self.unit not in DeadlineUnit.values:
            raise ValidationError(
                {"unit": _("Unknown deadline unit “%(unit)s”: use working_days or hours") % {"unit": self.unit}}
            )
        limit = MAX_WORKING_DAYS if self.unit == DeadlineUnit.WORKING_DAYS else MAX_HOURS
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or not 1 <= self.amount <= limit:
            raise ValidationError(
                {"amount": _("A deadline must be a whole number from 1 to %(limit)d") % {"limit": limit}}
            )

    @classmethod
    def working_days(cls, amount: int) -> Deadline:
        return cls(DeadlineUnit.WORKING_DAYS.value, amount)

    @classmethod
    def hours(cls, amount: int) -> Deadline:
        return cls(DeadlineUnit.HOURS.value, amount)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Deadline:
        """From configuration: ``{"unit": "working_days", "amount": 3}``."""
        return cls(str(data.get("unit", "")), data.get("amount"))  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "amount": self.amount}

    def __str__(self) -> str:
        if self.unit == DeadlineUnit.WORKING_DAYS:
            return ngettext("%(n)d working day", "%(n)d working days", self.amount) % {"n": self.amount}
        return ngettext("%(n)d hour", "%(n)d hours", self.amount) % {"n": self.amount}

    def due(self, start: dt.datetime, *, quiet: bool = False) -> DueDate:
        """When a clock started at ``start`` runs out (``quiet``: flag only, no Python warning)."""
        if self.unit == DeadlineUnit.WORKING_DAYS:
            return due_in_working_days(start, self.amount, quiet=quiet)
        return DueDate(add_clock_hours(start, self.amount))

    def due_many(self, starts: Sequence[dt.datetime] | npt.NDArray[Any], *, quiet: bool = False) -> BatchDue:
        if self.unit == DeadlineUnit.WORKING_DAYS:
            return add_working_days_many(starts, self.amount, quiet=quiet)
        return add_clock_hours_many(starts, self.amount)
