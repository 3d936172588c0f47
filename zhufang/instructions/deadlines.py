"""Deadlines, reminders and escalation clocks (期限 / 提醒 / 督办) of instruction items.

A category's deadline is N working days (due at the end of the N-th working day after issue, on the
Chinese holiday calendar with 调休) or N clock hours. Reminders and escalation levels are counted in
the same unit from the deadline: level k (1 = officer, 2 = station head, 3 = centre …) starts
``escalation[k-1]`` units after the deadline. Items of one batch share a deadline, so every clock is
computed once per distinct deadline, not once per item.
"""

from __future__ import annotations

import datetime as dt

from zhufang.instructions.categories import Category
from zhufang.workdays.deadlines import due_in_working_days
from zhufang.workdays.services import current_calendar

ESCALATION_LEVELS = ("officer", "station_head", "centre")


def due_at(category: Category, start: dt.datetime) -> tuple[dt.datetime, bool]:
    """(deadline, approximate): approximate when the calendar does not yet cover a year it crosses."""
    if category.deadline_unit == "hours":
        return start + dt.timedelta(hours=category.deadline_amount), False
    due = due_in_working_days(start, category.deadline_amount)
    return due.at, due.approximate


def after(category: Category, moment: dt.datetime, amount: int) -> dt.datetime:
    """``amount`` units of the category's clock after ``moment`` (0 is ``moment`` itself)."""
    if amount <= 0:
        return moment
    if category.deadline_unit == "hours":
        return moment + dt.timedelta(hours=amount)
    return due_in_working_days(moment, amount).at


def escalation_starts(category: Category, deadline: dt.datetime) -> list[dt.datetime]:
    """When each escalation level starts, for an item due at ``deadline``."""
    return [after(category, deadline, step) for step in category.escalation]


def level_at(category: Category, deadline: dt.datetime, now: dt.datetime) -> int:
    """The escalation level an open item due at ``deadline`` has reached at ``now`` (0: not overdue)."""
    return sum(1 for moment in escalation_starts(category, deadline) if now > moment)


def remind_from(category: Category, deadline: dt.datetime) -> dt.datetime | None:
    """From when an item due at ``deadline`` should be reminded (None: the category sends none).
    Working days: from the start of the day ``remind`` working days before the deadline's day."""
    if category.remind_before <= 0:
        return None
    if category.deadline_unit == "hours":
        return deadline - dt.timedelta(hours=category.remind_before)
    calendar = current_calendar()
    day = calendar.local_date(deadline)
    remaining = 0
    while remaining < category.remind_before:
        day -= dt.timedelta(days=1)
        if calendar.is_working_day(day):
            remaining += 1
    return calendar.end_of_day(day)
