"""Working-day calendar API: read a year, check a deadline, and (system administrator) enter a year.

The calendar is configuration every principal may read; only ``calendar.manage`` writes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from zhufang.accounts.permissions import Perm
from zhufang.api import principal_of
from zhufang.workdays import deadlines, services
from zhufang.workdays.deadlines import Deadline, DeadlineUnit
from zhufang.workdays.workcalendar import OutOfRangeError

router = Router(tags=["workdays"])


class DayOut(Schema):
    date: dt.date
    kind: str
    name: str
    weekday: int  # ISO: Monday 1 … Sunday 7


class YearSummaryOut(Schema):
    year: int
    source: str
    source_reference: str
    entered_by: str
    entered_at: dt.datetime
    days: int


class YearOut(Schema):
    year: int
    covered: bool
    source: str | None
    source_reference: str | None
    entered_by: str | None
    entered_at: dt.datetime | None
    holidays: list[DayOut]
    working_days: list[DayOut]
    warning: str | None


class DeadlineQuery(Schema):
    start: dt.datetime | None = Field(None, description="aware ISO 8601; default now")
    unit: DeadlineUnit = DeadlineUnit.WORKING_DAYS
    amount: int = Field(..., ge=1)


class DeadlineOut(Schema):
    start: dt.datetime
    unit: str
    amount: int
    rule: str
    due: dt.datetime
    approximate: bool
    uncovered_years: list[int]
    warning: str | None


class HolidayIn(Schema):
    name: str
    first: dt.date
    last: dt.date


class WorkingDayIn(Schema):
    date: dt.date
    name: str = ""


class YearIn(Schema):
    year: int
    source_reference: str
    holidays: list[HolidayIn]
    working_days: list[WorkingDayIn] = []
    note: str = ""


def _who(user: Any) -> str:
    return f"{user.police_number} {user.name}" if user is not None else ""


def _day(day: Any) -> DayOut:
    return DayOut(date=day.date, kind=day.kind, name=day.name, weekday=day.date.isoweekday())


def _year_out(year: int) -> YearOut:
    view = services.calendar_year(year)
    rec = view.record
    return YearOut(
        year=year,
        covered=view.covered,
        source=rec.source if rec else None,
        source_reference=rec.source_reference if rec else None,
        entered_by=_who(rec.entered_by) if rec else None,
        entered_at=rec.entered_at if rec else None,
        holidays=[_day(d) for d in view.holidays],
        working_days=[_day(d) for d in view.working_days],
        warning=None if view.covered else deadlines.coverage_message([year]),
    )


@router.get("/years", response=list[YearSummaryOut])
def list_years(request: HttpRequest) -> list[YearSummaryOut]:
    principal_of(request)
    return [
        YearSummaryOut(
            year=y.year,
            source=y.source,
            source_reference=y.source_reference,
            entered_by=_who(y.entered_by),
            entered_at=y.entered_at,
            days=y.day_count,  # type: ignore[attr-defined]
        )
        for y in services.calendar_years()
    ]


@router.get("/years/{year}", response=YearOut)
def get_year(request: HttpRequest, year: int) -> YearOut:
    """The holidays and adjusted working days of a year; ``covered: false`` and a warning when the
    year has not been entered (its deadlines count weekends only)."""
    principal_of(request)
    if not 1971 <= year <= 2198:
        raise HttpError(404, "year outside 1971–2198")
    return _year_out(year)


@router.post("/years", response={201: YearOut})
def enter_year(request: HttpRequest, payload: YearIn) -> Status:
    """Enter the next year (or correct the last covered one) from the State Council's notice."""
    principal = principal_of(request)
    if not principal.has_permission(Perm.CALENDAR_MANAGE):
        raise HttpError(403, f"permission {Perm.CALENDAR_MANAGE} required")
    services.enter_calendar_year(
        actor=principal,
        year=payload.year,
        source_reference=payload.source_reference,
        holidays=[services.HolidayRange(h.name, h.first, h.last, k) for k, h in enumerate(payload.holidays, 1)],
        working_days=[services.AdjustedWorkingDay(w.date, w.name, k) for k, w in enumerate(payload.working_days, 1)],
        note=payload.note,
    )
    return Status(201, _year_out(payload.year))


@router.get("/deadline", response=DeadlineOut)
def check_deadline(request: HttpRequest, query: Query[DeadlineQuery]) -> DeadlineOut:
    """When a rule started at ``start`` falls due (the end of the N-th working day after the start's
    local date, or N clock hours later), and whether an uncovered year made it approximate."""
    principal_of(request)
    start = query.start or timezone.now()
    if timezone.is_naive(start):
        raise ValidationError({"start": "give the time zone, e.g. 2026-09-30T17:30:00+08:00"})
    rule = Deadline(query.unit.value, query.amount)
    try:
        due = rule.due(start, quiet=True)  # the answer carries the warning
    except OutOfRangeError as exc:
        raise ValidationError({"start": str(exc)}) from exc
    return DeadlineOut(
        start=start,
        unit=rule.unit,
        amount=rule.amount,
        rule=str(rule),
        due=due.at,
        approximate=due.approximate,
        uncovered_years=list(due.uncovered_years),
        warning=deadlines.coverage_message(due.uncovered_years) if due.approximate else None,
    )
