"""Calendar periods (检查周期) of a cadence: ISO weeks, months, quarters, half years, years.

A cadence counts calendar periods, not rolling days: "monthly" is once per calendar month, "weekly"
once per ISO week (Monday to Sunday), "half-yearly" once in January–June and once in July–December.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    WEEK = "week", _("Weekly (ISO week)")
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")
    HALF_YEAR = "half_year", _("Half-yearly")
    YEAR = "year", _("Yearly")


#: shorter periods first: when several rules match one object, the most frequent one governs
PERIOD_ORDER = (Period.WEEK, Period.MONTH, Period.QUARTER, Period.HALF_YEAR, Period.YEAR)
_MONTHS = {Period.MONTH: 1, Period.QUARTER: 3, Period.HALF_YEAR: 6, Period.YEAR: 12}


@dataclass(frozen=True)
class Span:
    """One calendar period, both ends inclusive."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def period_containing(period: str, day: dt.date) -> Span:
    """The calendar period of kind ``period`` that contains ``day``."""
    if period == Period.WEEK:
        start = day - dt.timedelta(days=day.isoweekday() - 1)
        return Span(start, start + dt.timedelta(days=6))
    try:
        length = _MONTHS[Period(period)]
    except (KeyError, ValueError):
        raise ValueError(f"unknown period {period!r}") from None
    first_month = (day.month - 1) // length * length + 1
    start = dt.date(day.year, first_month, 1)
    year, month = _add_months(day.year, first_month, length)
    return Span(start, dt.date(year, month, 1) - dt.timedelta(days=1))


def previous_period(period: str, day: dt.date) -> Span:
    """The period just before the one containing ``day``."""
    return period_containing(period, period_containing(period, day).start - dt.timedelta(days=1))


def period_label(period: str, span: Span) -> str:
    """A short label as bureaus write periods: 2026年第3周, 2026年5月, 2026年第2季度, 2026年上半年."""
    start = span.start
    if period == Period.WEEK:
        year, week, _weekday = start.isocalendar()
        return gettext("%(year)s week %(week)s") % {"year": year, "week": week}
    if period == Period.MONTH:
        return gettext("%(year)s-%(month)s") % {"year": start.year, "month": start.month}
    if period == Period.QUARTER:
        return gettext("%(year)s Q%(quarter)s") % {"year": start.year, "quarter": (start.month - 1) // 3 + 1}
    if period == Period.HALF_YEAR:
        if start.month == 1:
            return gettext("%(year)s first half") % {"year": start.year}
        return gettext("%(year)s second half") % {"year": start.year}
    return gettext("%(year)s") % {"year": start.year}
