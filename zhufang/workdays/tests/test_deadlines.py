"""The deadline functions on the database calendar: rules, the coverage warning for an uncovered year,
and an administrator's entry of 2027 changing the results at once (the cache is dropped)."""

from __future__ import annotations

import logging
import warnings

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from zhufang.conftest import Demo
from zhufang.workdays import deadlines
from zhufang.workdays.deadlines import CalendarCoverageWarning, Deadline
from zhufang.workdays.services import current_calendar
from zhufang.workdays.tests.conftest import SHANGHAI, at, end_of
from zhufang.workdays.tests.helpers import enter_2027

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_working_day_rule_across_national_day_2025() -> None:
    rule = Deadline.working_days(3)
    due = rule.due(at("2025-09-30 10:00"))
    assert due.at == end_of("2025-10-11") and not due.approximate
    assert deadlines.add_working_days(at("2025-09-26 17:45"), 1) == end_of("2025-09-28")
    assert deadlines.is_working_day(end_of("2025-10-11").date())
    assert not deadlines.is_working_day(end_of("2025-10-08").date())
    assert deadlines.working_days_between(at("2025-09-30 10:00"), due.at) == 3
    assert deadlines.coverage_warning(at("2025-09-30 10:00"), due.at) is None


def test_hour_rule_ignores_the_calendar() -> None:
    anti_fraud = Deadline.hours(1)
    assert anti_fraud.due(at("2025-09-30 23:30")).at == at("2025-10-01 00:30")
    assert not anti_fraud.due(at("2027-10-01 23:30")).approximate
    assert deadlines.add_clock_hours(at("2026-02-16 23:10"), 2) == at("2026-02-17 01:10")
    batch = anti_fraud.due_many([at("2025-09-30 23:30"), at("2025-12-31 23:59")])
    assert batch.datetimes(SHANGHAI) == [at("2025-10-01 00:30"), at("2026-01-01 00:59")]


def test_rules_validate_and_round_trip() -> None:
    assert Deadline.from_dict({"unit": "working_days", "amount": 5}) == Deadline.working_days(5)
    assert Deadline.hours(1).as_dict() == {"unit": "hours", "amount": 1}
    assert str(Deadline.working_days(3)) == "3 working days" and str(Deadline.hours(1)) == "1 hour"
    for bad in ({"unit": "days", "amount": 3}, {"unit": "hours", "amount": 0}, {"unit": "hours", "amount": "2"}):
        with pytest.raises(ValidationError):
            Deadline.from_dict(bad)


def test_an_uncovered_year_warns_falls_back_to_weekends_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    assert not deadlines.covered(2027) and deadlines.covered(2026)
    workdays_logger = logging.getLogger("zhufang.workdays")  # the "zhufang" logger does not propagate to root
    workdays_logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger="zhufang.workdays"):
            with pytest.warns(CalendarCoverageWarning, match="2027"):
                due = Deadline.working_days(3).due(at("2027-09-30 10:00"))
            with pytest.warns(CalendarCoverageWarning):
                plain = deadlines.add_working_days(at("2027-09-30 10:00"), 3)
            with pytest.warns(CalendarCoverageWarning):
                assert deadlines.is_working_day(end_of("2027-10-01").date())  # a Friday, holiday unknown
    finally:
        workdays_logger.removeHandler(caplog.handler)
    assert due.at == plain == end_of("2027-10-05") and due.approximate and due.uncovered_years == (2027,)
    logged = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(logged) == 1  # once per year and calendar, not once per deadline
    warning = deadlines.coverage_warning(at("2027-09-30 10:00"))
    assert warning is not None and "2027" in warning and "weekends only" in warning


def test_batch_flags_only_the_items_that_reach_an_uncovered_year() -> None:
    starts = [at("2026-06-01 09:00"), at("2026-12-30 09:00"), at("2027-03-01 09:00")]
    with pytest.warns(CalendarCoverageWarning):
        batch = deadlines.add_working_days_many(starts, 2)
    assert batch.approximate.tolist() == [False, True, True]
    assert batch.uncovered_years == (2027,) and batch.approximate_count == 2
    assert batch.datetimes(SHANGHAI) == [end_of("2026-06-03"), end_of("2027-01-01"), end_of("2027-03-03")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a batch inside covered years warns nothing
        assert not deadlines.add_working_days_many(starts[:1], 2).approximate.any()


def test_entering_2027_makes_it_covered_and_changes_the_result(demo: Demo) -> None:
    with pytest.warns(CalendarCoverageWarning):
        before = deadlines.add_working_days(at("2027-09-30 10:00"), 3)
    assert before == end_of("2027-10-05")
    enter_2027(demo.user("system_admin"))
    assert deadlines.covered(2027)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        after = Deadline.working_days(3).due(at("2027-09-30 10:00"))
        # 10-01..10-07 holidays, Friday 10-08, the adjusted Saturday 10-09, Monday 10-11
        assert after.at == end_of("2027-10-11") and not after.approximate
        assert deadlines.add_working_days(at("2027-09-24 18:00"), 1) == end_of("2027-09-26")  # adjusted Sunday
        spring = deadlines.add_working_days_many([at("2027-02-05 12:00")], 1)
        assert spring.datetimes(SHANGHAI) == [end_of("2027-02-15")] and not spring.approximate.any()
    assert deadlines.coverage_warning(at("2027-09-30 10:00")) is None


@override_settings(ZHUFANG_WORKDAYS_RECHECK_SECONDS=0)
def test_another_process_edit_is_seen_on_the_next_check(demo: Demo) -> None:
    """A change written by another process (here: straight to the table) reaches this process's cache
    through the state check, without an in-process invalidation."""
    from zhufang.workdays.models import CalendarDay, CalendarYear, DayKind

    calendar = current_calendar()
    assert current_calendar() is calendar  # unchanged state: the same cached object
    year = CalendarYear.objects.get(year=2026)
    CalendarDay.objects.create(calendar_year=year, date=end_of("2026-12-31").date(), kind=DayKind.HOLIDAY, name="测试")
    year.save()  # moves updated_at, as every entry does
    assert current_calendar() is not calendar
    assert not deadlines.is_working_day(end_of("2026-12-31").date())
