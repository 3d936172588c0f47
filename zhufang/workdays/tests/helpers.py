"""A made-up 2027 notice for the tests (the real one is entered by an administrator when it is out)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zhufang.workdays.services import AdjustedWorkingDay, HolidayRange, enter_calendar_year

D = dt.date

#: hypothetical 2027 arrangements, shaped like a State Council notice
HOLIDAYS_2027 = [
    HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 3), 1),
    HolidayRange("春节", D(2027, 2, 6), D(2027, 2, 14), 2),
    HolidayRange("国庆节", D(2027, 10, 1), D(2027, 10, 7), 3),
]
WORKING_2027 = [
    AdjustedWorkingDay(D(2027, 2, 20), "春节", 1),
    AdjustedWorkingDay(D(2027, 9, 26), "国庆节", 2),
    AdjustedWorkingDay(D(2027, 10, 9), "国庆节", 3),
]
NOTICE_2027 = "国务院办公厅关于2027年部分节假日安排的通知（测试用）"

#: the same, as an administrator pastes it into the form
HOLIDAYS_TEXT_2027 = """一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（周六）至14日（周日）放假调休，共9天。2月20日（周六）上班。
国庆节 2027-10-01 至 2027-10-07
"""
WORKING_TEXT_2027 = "国庆节 2027-09-26、2027-10-09"


def enter_2027(actor: Any, **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "actor": actor,
        "year": 2027,
        "source_reference": NOTICE_2027,
        "holidays": HOLIDAYS_2027,
        "working_days": WORKING_2027,
    }
    args.update(overrides)
    return enter_calendar_year(**args)
