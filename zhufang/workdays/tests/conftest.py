"""Workdays fixtures: a fresh calendar cache for every test (a test's rolled-back edit must not leak)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from zhufang.workdays.seed import load_seed
from zhufang.workdays.services import invalidate_calendar
from zhufang.workdays.workcalendar import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    """``"2025-09-30 17:45"`` as an aware Asia/Shanghai datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    invalidate_calendar()
    yield
    invalidate_calendar()


@pytest.fixture(scope="session")
def seeded() -> WorkCalendar:
    """The calendar built from the committed seed alone (no database)."""
    seed = load_seed()
    return WorkCalendar(seed.years, seed.days, tz=SHANGHAI)
