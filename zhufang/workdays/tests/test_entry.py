"""The system administrator enters a year from the State Council's notice: validation, audit, permission,
and reading the pasted notice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.workdays.models import CalendarDay, CalendarSource, CalendarYear, DayKind
from zhufang.workdays.notice import parse_notice
from zhufang.workdays.services import AdjustedWorkingDay, HolidayRange
from zhufang.workdays.tests.helpers import (
    HOLIDAYS_2027,
    HOLIDAYS_TEXT_2027,
    NOTICE_2027,
    WORKING_2027,
    WORKING_TEXT_2027,
    enter_2027,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
D = dt.date


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_entering_2027_stores_the_days_and_audits(demo: Demo) -> None:
    admin = demo.user("system_admin")
    year = enter_2027(admin, note="据国务院通知录入")
    year.refresh_from_db()
    assert (year.year, year.source, year.source_reference, year.entered_by_id) == (
        2027,
        CalendarSource.NOTICE,
        NOTICE_2027,
        admin.pk,
    )
    days = list(CalendarDay.objects.filter(calendar_year=year).values_list("date", "kind", "name"))
    assert len([d for d in days if d[1] == DayKind.HOLIDAY]) == 3 + 9 + 7
    assert (D(2027, 10, 9), DayKind.WORKING_DAY, "国庆节") in days
    entry = AuditEntry.objects.get(object_type="workdays.calendaryear", object_id=str(year.pk))
    assert entry.action == AuditAction.CREATE and entry.actor_id == admin.pk and entry.reason == "据国务院通知录入"
    old, new = entry.changes["days"]
    assert old is None and ["2027-10-09", "working_day", "国庆节"] in new and len(new) == 22


def test_correcting_the_last_year_replaces_its_days_and_audits_the_difference(demo: Demo) -> None:
    admin = demo.user("system_admin")
    enter_2027(admin)
    fewer = [h for h in HOLIDAYS_2027 if h.name != "元旦"] + [HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 1), 4)]
    enter_2027(admin, holidays=fewer, note="更正元旦")
    assert not CalendarDay.objects.filter(date=D(2027, 1, 2)).exists()
    assert CalendarDay.objects.filter(date=D(2027, 1, 1), kind=DayKind.HOLIDAY).exists()
    update = AuditEntry.objects.filter(object_type="workdays.calendaryear", action=AuditAction.UPDATE).get()
    before, after = update.changes["days"]
    assert ["2027-01-02", "holiday", "元旦"] in before and ["2027-01-02", "holiday", "元旦"] not in after
    assert "source" not in update.changes  # unchanged fields are not in the diff


@pytest.mark.parametrize("role", ["centre_operator", "security_admin", "audit_admin", "leader", "community_officer"])
def test_only_a_system_administrator_may_enter_a_year(demo: Demo, role: str) -> None:
    with pytest.raises(PermissionDenied):
        enter_2027(demo.user(role))
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_an_adjusted_working_day_must_be_a_weekend(demo: Demo) -> None:
    with pytest.raises(ValidationError) as exc:
        enter_2027(demo.user("system_admin"), working_days=[AdjustedWorkingDay(D(2027, 9, 29), "国庆节", 2)])
    assert _errors(exc)["working_days"] == [
        "Line 2: 2027-09-29 is a Wednesday: an adjusted working day must be a Saturday or Sunday"
    ]
    assert not CalendarYear.objects.filter(year=2027).exists() and not AuditEntry.objects.filter(
        object_type="workdays.calendaryear"
    )


def test_a_holiday_must_not_overlap_an_adjusted_day_nor_another_holiday(demo: Demo) -> None:
    holidays = [*HOLIDAYS_2027, HolidayRange("中秋节", D(2027, 10, 6), D(2027, 10, 8), 4)]
    working = [*WORKING_2027, AdjustedWorkingDay(D(2027, 2, 13), "春节", 4)]
    with pytest.raises(ValidationError) as exc:
        enter_2027(demo.user("system_admin"), holidays=holidays, working_days=working)
    errors = _errors(exc)
    assert errors["holidays"] == ["Line 4: 2027-10-06 is already in the holiday on line 3"]
    assert errors["working_days"] == ["Line 4: 2027-02-13 cannot be both a holiday (春节) and an adjusted working day"]


@pytest.mark.parametrize(
    ("year", "message"),
    [
        (2025, "Only the last covered year (2026) can be corrected or the next one added; 2025 is earlier"),
        (2028, "The calendar must stay continuous: enter 2027 before 2028"),
    ],
)
def test_the_year_must_follow_the_last_covered_one(demo: Demo, year: int, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        enter_2027(demo.user("system_admin"), year=year)
    assert _errors(exc)["year"] == [message]


def test_dates_outside_the_year_empty_fields_and_reversed_ranges_are_named(demo: Demo) -> None:
    with pytest.raises(ValidationError) as exc:
        enter_2027(
            demo.user("system_admin"),
            source_reference="  ",
            holidays=[
                HolidayRange("春节", D(2027, 2, 14), D(2027, 2, 6), 1),
                HolidayRange("", D(2028, 1, 1), D(2028, 1, 1), 2),
                HolidayRange("长假", D(2027, 7, 1), D(2027, 7, 31), 3),
            ],
            working_days=[AdjustedWorkingDay(D(2027, 2, 20), "春节", 1), AdjustedWorkingDay(D(2027, 2, 20), "春节", 2)],
        )
    errors = _errors(exc)
    assert errors["source_reference"] == ["Give the notice's number and title, or its web address"]
    assert errors["holidays"] == [
        "Line 1: The holiday ends (2027-02-06) before it begins (2027-02-14)",
        "Line 2: Name the holiday (for example 国庆节)",
        "Line 2: 2028-01-01 is not in 2027",
        "Line 3: A holiday of 31 days is longer than 20: check the dates",
    ]
    assert errors["working_days"] == ["Line 2: 2027-02-20 is listed twice"]
    with pytest.raises(ValidationError) as empty:
        enter_2027(demo.user("system_admin"), holidays=[])
    assert _errors(empty)["holidays"] == ["Enter at least one holiday"]


def test_a_notice_may_reach_into_the_previous_december_but_not_over_its_days(demo: Demo) -> None:
    admin = demo.user("system_admin")
    new_year = HolidayRange("元旦", D(2026, 12, 31), D(2027, 1, 3), 1)
    enter_2027(admin, holidays=[new_year, *HOLIDAYS_2027[1:]])
    assert CalendarDay.objects.get(date=D(2026, 12, 31)).calendar_year.year == 2027
    # 2026-12-31 now belongs to the 2027 notice; a December day already set by 2026's own notice is refused
    december = CalendarDay.objects.filter(date__year=2025, date__month=12).first()
    assert december is None or december.calendar_year.year == 2025
    CalendarDay.objects.create(
        calendar_year=CalendarYear.objects.get(year=2026), date=D(2026, 12, 26), kind=DayKind.WORKING_DAY, name="x"
    )
    with pytest.raises(ValidationError) as exc:
        enter_2027(admin, working_days=[*WORKING_2027, AdjustedWorkingDay(D(2026, 12, 26), "元旦", 4)])
    assert _errors(exc)["working_days"] == ["2026-12-26 is already set by the 2026 calendar"]


def test_the_pasted_notice_is_read_line_by_line() -> None:
    parsed = parse_notice(HOLIDAYS_TEXT_2027, WORKING_TEXT_2027, 2027)
    assert parsed.errors == {}
    assert [(h.name, h.first, h.last, h.line) for h in parsed.holidays] == [
        ("元旦", D(2027, 1, 1), D(2027, 1, 3), 1),
        ("春节", D(2027, 2, 6), D(2027, 2, 14), 2),
        ("国庆节", D(2027, 10, 1), D(2027, 10, 7), 3),
    ]
    assert [(w.name, w.date, w.line, w.field) for w in parsed.working_days] == [
        ("春节", D(2027, 2, 20), 2, "holidays"),  # the notice line's "…上班" clause
        ("国庆节", D(2027, 9, 26), 1, "working_days"),
        ("国庆节", D(2027, 10, 9), 1, "working_days"),
    ]
    # 2019's notice: 2018年12月30日至2019年1月1日; without years the December start moves back a year
    crossing = parse_notice("元旦：12月30日至1月1日放假调休，共3天。", "", 2019).holidays[0]
    assert (crossing.first, crossing.last) == (D(2018, 12, 30), D(2019, 1, 1))


def test_unreadable_notice_lines_name_their_line() -> None:
    parsed = parse_notice(
        "春节：2月30日至3月2日\n清明节放假\n国庆节 10月1日、10月3日、10月5日", "春节 2月13日至2月14日", 2027
    )
    assert parsed.errors == {
        "holidays": [
            "Line 1: “2月30日” is not a date",
            "Line 2: No date found in “清明节放假”",
            "Line 3: Give a holiday as one date or as a range “first 至 last”; "
            "put adjusted working days in a clause ending in 上班",
        ],
        "working_days": ["Line 1: List adjusted working days one by one, not as a range"],
    }
