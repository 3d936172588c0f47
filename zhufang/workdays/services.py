"""The working-day calendar from the database: the in-process cache every deadline reads, and the
system administrator's entry of a year from the State Council's notice (audited).

Cache: one :class:`~zhufang.workdays.workcalendar.WorkCalendar` per process. Reading it costs a clock
comparison; every ``ZHUFANG_WORKDAYS_RECHECK_SECONDS`` (default 60) one aggregate query checks whether
any year changed (so another worker process's edit is seen within that time), and an edit in this
process drops the cache at once and again when its transaction commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from zhufang.accounts.permissions import Perm
from zhufang.audit.models import AuditAction
from zhufang.audit.services import diff, record
from zhufang.workdays.models import CalendarDay, CalendarSource, CalendarYear, DayKind
from zhufang.workdays.workcalendar import FIRST_DAY, LAST_DAY, WorkCalendar

logger = logging.getLogger(__name__)

#: the longest holiday a notice has given (2020's extended Spring Festival ran 10 days) with room
MAX_HOLIDAY_DAYS = 20


# --------------------------------------------------------------------------------------- cache


@dataclass
class _Cache:
    calendar: WorkCalendar | None = None
    checked_at: float = 0.0


_lock = threading.Lock()
_cache = _Cache()


def _recheck_seconds() -> float:
    return float(getattr(settings, "ZHUFANG_WORKDAYS_RECHECK_SECONDS", 60))


def _state() -> tuple[int, Any]:
    agg = CalendarYear.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return int(agg["n"]), agg["t"]


def _load(state: tuple[int, Any]) -> WorkCalendar:
    years = list(CalendarYear.objects.values_list("year", flat=True))
    days = list(CalendarDay.objects.values_list("date", "kind", "name"))
    return WorkCalendar(years, days, tz=ZoneInfo(settings.TIME_ZONE), version=state)


def current_calendar() -> WorkCalendar:
    """The calendar as the database has it (cached in-process; see the module docstring)."""
    calendar = _cache.calendar
    now = time.monotonic()
    if calendar is not None and now - _cache.checked_at < _recheck_seconds():
        return calendar
    with _lock:
        state = _state()
        if _cache.calendar is None or _cache.calendar.version != state:
            _cache.calendar = _load(state)
        _cache.checked_at = time.monotonic()
        return _cache.calendar


def invalidate_calendar() -> None:
    """Drop the cached calendar: the next read loads it again."""
    with _lock:
        _cache.calendar = None
        _cache.checked_at = 0.0


# --------------------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class YearView:
    """One year as the page and the API show it."""

    year: int
    record: CalendarYear | None
    holidays: list[CalendarDay]
    working_days: list[CalendarDay]

    @property
    def covered(self) -> bool:
        return self.record is not None


def calendar_years() -> list[CalendarYear]:
    return list(CalendarYear.objects.select_related("entered_by").annotate(day_count=Count("days")).order_by("year"))


def calendar_year(year: int) -> YearView:
    """The overrides of the days *in* ``year`` (whichever notice set them) and the year's own record."""
    record_ = CalendarYear.objects.select_related("entered_by").filter(year=year).first()
    days = list(CalendarDay.objects.filter(date__year=year).order_by("date"))
    return YearView(
        year=year,
        record=record_,
        holidays=[d for d in days if d.kind == DayKind.HOLIDAY],
        working_days=[d for d in days if d.kind == DayKind.WORKING_DAY],
    )


def last_covered_year() -> int | None:
    return CalendarYear.objects.aggregate(y=Max("year"))["y"]


# --------------------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class HolidayRange:
    """假期: a holiday from ``first`` to ``last`` (inclusive), as the notice gives it."""

    name: str
    first: dt.date
    last: dt.date
    line: int = 0  # the line of the pasted text (or the item number in an API call)

    def days(self) -> list[dt.date]:
        count = (self.last - self.first).days + 1
        return [self.first + dt.timedelta(days=k) for k in range(max(0, count))]


@dataclass(frozen=True)
class AdjustedWorkingDay:
    """调休上班: a Saturday or Sunday worked in exchange for a holiday."""

    date: dt.date
    name: str = ""
    line: int = 0
    field: str = "working_days"  # the form box it was read from (a notice line in the holidays box)


def _msg(line: int, text: str) -> str:
    """A message naming the line of the pasted notice (or the item of an API call) it is about."""
    return _("Line %(line)d: %(message)s") % {"line": line, "message": text} if line else text


def _in_notice_year(day: dt.date, year: int) -> bool:
    """A notice for ``year`` may reach back into the previous December (元旦 2019 began 2018-12-30)."""
    return day.year == year or (day.year == year - 1 and day.month == 12)


def validate_calendar_year(
    *,
    year: int,
    source_reference: str,
    holidays: Sequence[HolidayRange],
    working_days: Sequence[AdjustedWorkingDay],
) -> dict[str, list[str]]:
    """Every problem with a year's entry, by field (empty when it may be saved)."""
    errors: dict[str, list[str]] = {"year": [], "source_reference": [], "holidays": [], "working_days": []}
    last = last_covered_year()
    if not FIRST_DAY.year < year < LAST_DAY.year:
        errors["year"].append(_("The year must be between %(low)d and %(high)d") % {"low": 1971, "high": 2198})
    elif last is not None and year < last:
        errors["year"].append(
            _("Only the last covered year (%(last)d) can be corrected or the next one added; %(year)d is earlier")
            % {"last": last, "year": year}
        )
    elif last is not None and year > last + 1:
        errors["year"].append(
            _("The calendar must stay continuous: enter %(next)d before %(year)d") % {"next": last + 1, "year": year}
        )
    if not source_reference.strip():
        errors["source_reference"].append(_("Give the notice's number and title, or its web address"))
    if not holidays:
        errors["holidays"].append(_("Enter at least one holiday"))

    holiday_of: dict[dt.date, HolidayRange] = {}
    for item in holidays:
        if not item.name.strip():
            errors["holidays"].append(_msg(item.line, _("Name the holiday (for example 国庆节)")))
        if item.last < item.first:
            errors["holidays"].append(
                _msg(
                    item.line,
                    _("The holiday ends (%(last)s) before it begins (%(first)s)")
                    % {"last": item.last.isoformat(), "first": item.first.isoformat()},
                )
            )
            continue
        if (item.last - item.first).days + 1 > MAX_HOLIDAY_DAYS:
            errors["holidays"].append(
                _msg(
                    item.line,
                    _("A holiday of %(days)d days is longer than %(max)d: check the dates")
                    % {"days": (item.last - item.first).days + 1, "max": MAX_HOLIDAY_DAYS},
                )
            )
            continue
        for day in item.days():
            if not _in_notice_year(day, year):
                errors["holidays"].append(
                    _msg(item.line, _("%(date)s is not in %(year)d") % {"date": day.isoformat(), "year": year})
                )
                break
            if day in holiday_of:
                errors["holidays"].append(
                    _msg(
                        item.line,
                        _("%(date)s is already in the holiday on line %(other)d")
                        % {"date": day.isoformat(), "other": holiday_of[day].line},
                    )
                )
                break
            holiday_of[day] = item

    seen_working: set[dt.date] = set()
    for adjusted in working_days:
        day = adjusted.date
        if not _in_notice_year(day, year):
            errors.setdefault(adjusted.field, []).append(
                _msg(adjusted.line, _("%(date)s is not in %(year)d") % {"date": day.isoformat(), "year": year})
            )
        elif day.weekday() < 5:
            errors.setdefault(adjusted.field, []).append(
                _msg(
                    adjusted.line,
                    _("%(date)s is a %(weekday)s: an adjusted working day must be a Saturday or Sunday")
                    % {"date": day.isoformat(), "weekday": WEEKDAYS[day.weekday()]},
                )
            )
        if day in seen_working:
            errors.setdefault(adjusted.field, []).append(
                _msg(adjusted.line, _("%(date)s is listed twice") % {"date": day.isoformat()})
            )
        seen_working.add(day)
        if day in holiday_of:
            errors.setdefault(adjusted.field, []).append(
                _msg(
                    adjusted.line,
                    _("%(date)s cannot be both a holiday (%(name)s) and an adjusted working day")
                    % {"date": day.isoformat(), "name": holiday_of[day].name},
                )
            )

    # days in the previous December already set by that year's own notice
    december = sorted(d for d in [*holiday_of, *seen_working] if d.year == year - 1)
    if december:
        taken = CalendarDay.objects.filter(date__in=december).exclude(calendar_year__year=year)
        for clash in taken.select_related("calendar_year"):
            field = "holidays" if clash.date in holiday_of else "working_days"
            errors[field].append(
                _("%(date)s is already set by the %(year)d calendar")
                % {"date": clash.date.isoformat(), "year": clash.calendar_year.year}
            )
    return {field: messages for field, messages in errors.items() if messages}


def _day_rows(year_record: CalendarYear) -> list[list[str]]:
    return [
        [d.date.isoformat(), d.kind, d.name]
        for d in CalendarDay.objects.filter(calendar_year=year_record).order_by("date")
    ]


@transaction.atomic
def enter_calendar_year(
    *,
    actor: Any,
    year: int,
    source_reference: str,
    holidays: Sequence[HolidayRange],
    working_days: Sequence[AdjustedWorkingDay],
    note: str = "",
) -> CalendarYear:
    """Add the next year (or correct the last covered one) from the State Council's notice, audited.
    Replaces every day the year's earlier entry set; deadlines computed from now on use it."""
    if actor is None or not actor.has_permission(Perm.CALENDAR_MANAGE):
        raise PermissionDenied(_("Only a system administrator may enter the holiday calendar"))
    errors = validate_calendar_year(
        year=year, source_reference=source_reference, holidays=holidays, working_days=working_days
    )
    if errors:
        raise ValidationError(errors)
    existing = CalendarYear.objects.select_for_update().filter(year=year).first()
    before: dict[str, Any] = {}
    if existing is not None:
        before = {
            "source": existing.source,
            "source_reference": existing.source_reference,
            "note": existing.note,
            "days": _day_rows(existing),
        }
    year_record = existing or CalendarYear(year=year)
    year_record.source = CalendarSource.NOTICE
    year_record.source_reference = source_reference.strip()[:500]
    year_record.note = note.strip()[:200]
    year_record.entered_by = actor if getattr(actor, "police_number", None) else None
    year_record.entered_at = timezone.now()
    year_record.save()
    CalendarDay.objects.filter(calendar_year=year_record).delete()
    rows = [
        CalendarDay(calendar_year=year_record, date=day, kind=DayKind.HOLIDAY, name=item.name.strip()[:60])
        for item in holidays
        for day in item.days()
    ]
    rows += [
        CalendarDay(
            calendar_year=year_record,
            date=adjusted.date,
            kind=DayKind.WORKING_DAY,
            name=(adjusted.name.strip() or _("Adjusted working day"))[:60],
        )
        for adjusted in working_days
    ]
    CalendarDay.objects.bulk_create(rows)
    after = {
        "source": year_record.source,
        "source_reference": year_record.source_reference,
        "note": year_record.note,
        "days": _day_rows(year_record),
    }
    record(
        action=AuditAction.UPDATE if existing else AuditAction.CREATE,
        actor=actor,
        obj=year_record,
        object_label=_("Holiday calendar %(year)d") % {"year": year},
        changes=diff(before, after),
        reason=note,
    )
    invalidate_calendar()
    transaction.on_commit(invalidate_calendar)
    logger.info("holiday calendar %s entered by %s: %d days", year, getattr(actor, "pk", actor), len(rows))
    return year_record
