"""Working-day calendar pages: a year month by month with a deadline check (everyone), and the system
administrator's entry of a year from the State Council's notice."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.workdays import deadlines, services
from zhufang.workdays.deadlines import Deadline, DeadlineUnit
from zhufang.workdays.models import CalendarDay, DayKind
from zhufang.workdays.notice import parse_notice
from zhufang.workdays.workcalendar import OutOfRangeError

#: column heads of a month, Monday first (一 … 日 in Chinese)
WEEKDAY_INITIALS = (
    pgettext_lazy("weekday initial", "Mo"),
    pgettext_lazy("weekday initial", "Tu"),
    pgettext_lazy("weekday initial", "We"),
    pgettext_lazy("weekday initial", "Th"),
    pgettext_lazy("weekday initial", "Fr"),
    pgettext_lazy("weekday initial", "Sa"),
    pgettext_lazy("weekday initial", "Su"),
)


@dataclass(frozen=True)
class DayRun:
    """Consecutive days of one holiday (or one adjusted working day) as the page lists them."""

    first: dt.date
    last: dt.date
    name: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def day_runs(days: list[CalendarDay]) -> list[DayRun]:
    runs: list[DayRun] = []
    for day in days:
        previous = runs[-1] if runs else None
        if previous and previous.name == day.name and (day.date - previous.last).days == 1:
            runs[-1] = DayRun(previous.first, day.date, day.name)
        else:
            runs.append(DayRun(day.date, day.date, day.name))
    return runs


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class DeadlineCheckForm(forms.Form):
    start = forms.DateTimeField(
        label=gettext_lazy("Issued at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), choices=DeadlineUnit.choices)
    amount = forms.IntegerField(
        label=gettext_lazy("Number of days or hours"), min_value=1, max_value=deadlines.MAX_HOURS
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


def _months(year: int) -> list[dict[str, Any]]:
    """Each month as weeks of cells: the day, whether it is worked, and its override."""
    cal = services.current_calendar()
    today = timezone.localdate()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                override = cal.override(day) if day.month == month else None
                cells.append(
                    {
                        "day": day,
                        "in_month": day.month == month,
                        "working": cal.is_working_day(day),
                        "kind": override[0] if override else "",
                        "name": override[1] if override else "",
                        "today": day == today,
                    }
                )
            weeks.append(cells)
        months.append({"month": month, "first": dt.date(year, month, 1), "weeks": weeks})
    return months


def _check_deadline(form: DeadlineCheckForm) -> dict[str, Any] | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        rule = Deadline(data["unit"], data["amount"])
        due = rule.due(data["start"], quiet=True)  # the page shows the warning instead
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return None
    except OutOfRangeError:
        form.add_error("start", _("The date is outside the calendar (1970–2199)"))
        return None
    return {
        "rule": rule,
        "due": due,
        "warning": deadlines.coverage_message(due.uncovered_years) if due.approximate else "",
    }


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 1971), 2198)
    now = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
    form = DeadlineCheckForm(
        request.GET if "amount" in request.GET else None,
        initial={"start": now, "unit": DeadlineUnit.WORKING_DAYS, "amount": 3},
    )
    view = services.calendar_year(year)
    return render(
        request,
        "workdays/calendar.html",
        {
            "year": year,
            "view": view,
            "years": services.calendar_years(),
            "months": _months(year),
            "warning": "" if view.covered else deadlines.coverage_message([year]),
            "form": form,
            "result": _check_deadline(form) if form.is_bound else None,
            "can_manage": user.has_permission(Perm.CALENDAR_MANAGE),
            "weekday_names": WEEKDAY_INITIALS,
            "holiday_runs": day_runs(view.holidays),
        },
    )


def _holiday_lines(days: list[CalendarDay]) -> str:
    """A year's holidays as form lines, consecutive days of one holiday joined into a range."""
    return "\n".join(
        f"{run.name} {run.first}" + (f" 至 {run.last}" if run.last != run.first else "") for run in day_runs(days)
    )


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Calendar year"), min_value=1971, max_value=2198)
    source_reference = forms.CharField(
        label=gettext_lazy("State Council notice"),
        max_length=500,
        help_text=gettext_lazy("The notice's number and title, or its web address (国办发明电〔…〕…号)"),
    )
    holidays = forms.CharField(
        label=gettext_lazy("Holidays"),
        widget=forms.Textarea(attrs={"rows": 9, "placeholder": "春节：2月6日（周六）至14日（周日）放假调休，共9天。"}),
        help_text=gettext_lazy(
            "One holiday a line: its name, then one date or a range joined by 至 — the notice's own line may be "
            "pasted, its “…上班” clause is read as adjusted working days. Give the year for dates in December "
            "of the previous year (2026年12月31日)."
        ),
    )
    working_days = forms.CharField(
        label=gettext_lazy("Adjusted working days (调休上班)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "春节 2月20日、2月27日"}),
        help_text=gettext_lazy("Saturdays or Sundays worked, one holiday a line: its name (optional), then the dates"),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


def _initial(year: int) -> dict[str, Any]:
    view = services.calendar_year(year)
    if view.record is None:
        return {"year": year}
    working = [f"{d.name} {d.date}" for d in view.working_days]
    return {
        "year": year,
        "source_reference": view.record.source_reference,
        "holidays": _holiday_lines(view.holidays),
        "working_days": "\n".join(working),
    }


@login_required
def year_entry(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.has_permission(Perm.CALENDAR_MANAGE):
        raise PermissionDenied
    last = services.last_covered_year()
    wanted = request.GET.get("year")
    initial = _initial(
        int(wanted) if wanted and wanted.isdigit() else (last + 1 if last else timezone.localdate().year)
    )
    form = CalendarYearForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parsed = parse_notice(data["holidays"], data["working_days"], data["year"])
        try:
            if parsed.errors:
                raise ValidationError(parsed.errors)
            services.enter_calendar_year(
                actor=user,
                year=data["year"],
                source_reference=data["source_reference"],
                holidays=parsed.holidays,
                working_days=parsed.working_days,
                note=data["note"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("The %(year)d holiday calendar is saved") % {"year": data["year"]})
            return redirect(f"/workdays/?year={data['year']}")
    return render(request, "workdays/year_form.html", {"form": form, "last": last, "kinds": DayKind})
