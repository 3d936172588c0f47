"""Reading the State Council's holiday notice (国务院办公厅关于部分节假日安排的通知) as pasted by an
administrator: one holiday a line, in the notice's own words or plainly.

These lines all read the same way (the year comes from the form when a date gives none)::

    二、春节：2月6日（农历除夕、周六）至14日（农历正月初八、周日）放假调休，共9天。2月20日（周六）上班。
    春节 2027-02-06 至 2027-02-14
    春节：2027/2/6~2027/2/14

A clause ending in 上班 lists adjusted working days; any other clause with dates is the holiday's range
(one date or two joined by 至/到/~/-). Parenthesised remarks such as （周六） are ignored. In the
adjusted-working-days box every date is a working day and the name (which holiday it makes up for) is
optional. Problems name their line; checking the dates against the calendar is the service's job.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from zhufang.workdays.services import AdjustedWorkingDay, HolidayRange

_ORDINAL = re.compile(r"^\s*(?:[一二三四五六七八九十]+|\d+)\s*[、，,]\s*")
_REMARK = re.compile(r"（[^）]*）|\([^)]*\)")
_DATE = re.compile(
    r"(?P<y1>\d{4})\s*[-/]\s*(?P<m1>\d{1,2})\s*[-/]\s*(?P<d1>\d{1,2})"
    r"|(?:(?P<y2>\d{4})\s*年\s*)?(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?"
    r"|(?P<d3>\d{1,2})\s*日"
)
_RANGE_JOIN = re.compile(r"^\s*(?:至|到|~|～|-|—|–|－)\s*$")
_CLAUSE = re.compile(r"[。；;\n]")
_NAME_END = re.compile(r"[：:]")
_PUNCTUATION = " \t、，,：:。"


@dataclass
class ParsedNotice:
    holidays: list[HolidayRange] = field(default_factory=list)
    working_days: list[AdjustedWorkingDay] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, box: str, line: int, message: str) -> None:
        self.errors.setdefault(box, []).append(_("Line %(line)d: %(message)s") % {"line": line, "message": message})


def _split_name(text: str) -> tuple[str, str]:
    """(name, rest): the name is what comes before a colon, else before the first digit."""
    colon = _NAME_END.search(text)
    if colon:
        return text[: colon.start()].strip(_PUNCTUATION), text[colon.end() :]
    digit = re.search(r"\d", text)
    cut = digit.start() if digit else len(text)
    return text[:cut].strip(_PUNCTUATION), text[cut:]


def _dates(clause: str, year: int, line: int, box: str, parsed: ParsedNotice) -> list[tuple[dt.date, int, int]] | None:
    """The dates of one clause with their spans in it; None (and an error) when one is not a date."""
    found: list[tuple[dt.date, int, int]] = []
    current_year, current_month = year, None
    for match in _DATE.finditer(clause):
        g = match.groupdict()
        if g["d1"]:
            y, m, d = int(g["y1"]), int(g["m1"]), int(g["d1"])
        elif g["d2"]:
            y, m, d = int(g["y2"] or current_year), int(g["m2"]), int(g["d2"])
        else:
            if current_month is None:
                parsed.error(box, line, _("“%(text)s” gives a day without a month") % {"text": match.group(0)})
                return None
            y, m, d = current_year, current_month, int(g["d3"])
        try:
            day = dt.date(y, m, d)
        except ValueError:
            parsed.error(box, line, _("“%(text)s” is not a date") % {"text": match.group(0).strip()})
            return None
        current_year, current_month = day.year, day.month
        found.append((day, match.start(), match.end()))
    return found


def _holiday_clause(
    name: str, clause: str, dates: list[tuple[dt.date, int, int]], line: int, parsed: ParsedNotice
) -> None:
    if len(dates) == 1:
        parsed.holidays.append(HolidayRange(name, dates[0][0], dates[0][0], line))
    elif len(dates) == 2 and _RANGE_JOIN.match(clause[dates[0][2] : dates[1][1]]):
        first, last = dates[0][0], dates[1][0]
        if first > last and first.month == 12 and first.year == last.year:  # 12月30日至1月1日
            first = first.replace(year=first.year - 1)
        parsed.holidays.append(HolidayRange(name, first, last, line))
    else:
        parsed.error(
            "holidays",
            line,
            _(
                "Give a holiday as one date or as a range “first 至 last”; "
                "put adjusted working days in a clause ending in 上班"
            ),
        )


def parse_notice(holidays_text: str, working_days_text: str, year: int) -> ParsedNotice:
    """The holidays box and the adjusted-working-days box of the form, read line by line."""
    parsed = ParsedNotice()
    for box, text in (("holidays", holidays_text), ("working_days", working_days_text)):
        for number, raw in enumerate((text or "").splitlines(), 1):
            line = _REMARK.sub("", _ORDINAL.sub("", raw)).strip()
            if not line or line.startswith("#"):
                continue
            name, rest = _split_name(line)
            any_date = False
            for clause in _CLAUSE.split(rest):
                dates = _dates(clause, year, number, box, parsed)
                if dates is None:
                    any_date = True  # reported already
                    break
                if not dates:
                    continue
                any_date = True
                if box == "working_days" or "上班" in clause:
                    if any(_RANGE_JOIN.match(clause[a[2] : b[1]]) for a, b in itertools.pairwise(dates)):
                        parsed.error(box, number, _("List adjusted working days one by one, not as a range"))
                        break
                    parsed.working_days.extend(AdjustedWorkingDay(day, name, number, box) for day, _s, _e in dates)
                else:
                    _holiday_clause(name, clause, dates, number, parsed)
            if not any_date:
                parsed.error(box, number, _("No date found in “%(text)s”") % {"text": raw.strip()[:60]})
    return parsed
