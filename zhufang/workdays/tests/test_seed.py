"""The committed seed is the chinese-calendar package's data, and the migration loaded all of it."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from zhufang.workdays.models import CalendarDay, CalendarSource, CalendarYear
from zhufang.workdays.seed import build_from_package, load_seed
from zhufang.workdays.services import current_calendar
from zhufang.workdays.workcalendar import WorkCalendar

pytestmark = pytest.mark.sqlite


def _every_day(first: int, last: int) -> list[dt.date]:
    day, out = dt.date(first, 1, 1), []
    while day.year <= last:
        out.append(day)
        day += dt.timedelta(days=1)
    return out


def test_the_seed_file_is_what_the_pinned_package_gives() -> None:
    seed = load_seed()
    package = build_from_package()
    assert seed.source == package["source"] == "chinese-calendar 1.11.0"
    assert list(seed.years) == package["years"] == list(range(2004, 2027))
    assert [[d.isoformat(), k, n] for d, k, n in seed.days] == package["days"]


def test_the_package_stops_at_2026() -> None:
    """Why the calendar is data an administrator extends: the package raises for 2027."""
    assert chinese_calendar.is_workday(dt.date(2026, 10, 10))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(2027, 1, 4))


def test_the_seeded_calendar_agrees_with_the_package_on_every_day(seeded: WorkCalendar) -> None:
    days = _every_day(2004, 2026)
    assert [seeded.is_working_day(d) for d in days] == [chinese_calendar.is_workday(d) for d in days]


@pytest.mark.django_db
def test_the_migration_loaded_the_seed() -> None:
    seed = load_seed()
    years = CalendarYear.objects.filter(source=CalendarSource.PACKAGE)
    assert sorted(years.values_list("year", flat=True)) == list(range(2004, 2027))
    assert years.first().source_reference.startswith("chinese-calendar 1.11.0")  # type: ignore[union-attr]
    rows = list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name", "calendar_year__year"))
    assert [(d, k, n) for d, k, n, _y in rows] == list(seed.days)
    assert all(d.year == y for d, _k, _n, y in rows)
    calendar = current_calendar()
    days = _every_day(2004, 2026)
    assert [calendar.is_working_day(d) for d in days] == [chinese_calendar.is_workday(d) for d in days]
