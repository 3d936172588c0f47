"""工作日历 (working-day calendar): the years whose holidays are known and their day overrides.

A year is *covered* once its holidays and adjusted working days (调休上班) are entered: seeded for
2004–2026 from the ``chinese-calendar`` package, extended each year by a system administrator from the
State Council's notice (国务院办公厅关于某年部分节假日安排的通知). Days of a covered year that are not
overridden follow the week: Monday–Friday worked, Saturday and Sunday rest.

Configuration, not scoped data: the whole bureau counts on one calendar.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarSource(models.TextChoices):
    PACKAGE = "package", _("Seeded from the chinese-calendar package")
    NOTICE = "notice", _("State Council notice")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKING_DAY = "working_day", _("Adjusted working day")


class CalendarYear(models.Model):
    """日历年度: a year whose holiday arrangements are entered, with where they came from."""

    year = models.PositiveSmallIntegerField(_("calendar year"), unique=True)
    source = models.CharField(_("calendar source"), max_length=16, choices=CalendarSource.choices)
    source_reference = models.CharField(
        _("notice reference"), max_length=500, help_text=_("Notice number and title, or its web address")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))
    updated_at = models.DateTimeField(auto_now=True)  # the calendar cache's change mark

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}"


class CalendarDay(models.Model):
    """节假日调整: one day that differs from the week — a holiday, or a weekend day worked (调休上班)."""

    calendar_year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("calendar date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("holiday name"), max_length=60, help_text=_("The holiday it belongs to, e.g. 国庆节"))

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"
