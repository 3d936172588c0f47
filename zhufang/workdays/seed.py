"""The seed of the holiday calendar (节假日安排 2004–2026), taken once from the ``chinese-calendar`` package
and committed as a data file, so the data migration writes the same rows on every machine and in every
year, whatever release of the package is installed (or none: it is a test-only dependency).

Regenerate (after pinning a newer ``chinese-calendar`` in requirements/test.txt) with
``.venv/bin/python -m zhufang.workdays.seed``; that writes a NEW file named for the package version, and
a new data migration must load it — the migration of a released file never changes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED_DIR = Path(__file__).resolve().parent / "seed_data"
SEED_FILE = SEED_DIR / "chinese_calendar_1.11.0.json"

#: the notice's names for the package's holidays (the package abbreviates 清明节, 端午节, 中秋节)
OFFICIAL_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


@dataclass(frozen=True)
class SeedCalendar:
    source: str
    years: tuple[int, ...]
    days: tuple[tuple[dt.date, str, str], ...]  # (date, "holiday" | "working_day", name)


def build_from_package() -> dict[str, Any]:
    """The seed as JSON-ready data, read from the installed ``chinese-calendar`` package."""
    from importlib.metadata import version

    from chinese_calendar.constants import holidays, workdays  # type: ignore[import-not-found]

    days = [(d, "holiday", OFFICIAL_NAMES[v]) for d, v in holidays.items()]
    days += [(d, "working_day", OFFICIAL_NAMES[v]) for d, v in workdays.items()]
    first = min(d for d, _kind, _name in days).year
    last = max(d for d, _kind, _name in days).year
    return {
        "source": f"chinese-calendar {version('chinese-calendar')}",
        "years": list(range(first, last + 1)),
        "days": [[d.isoformat(), kind, name] for d, kind, name in sorted(days)],
    }


def load_seed(path: Path = SEED_FILE) -> SeedCalendar:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return SeedCalendar(
        source=raw["source"],
        years=tuple(raw["years"]),
        days=tuple((dt.date.fromisoformat(d), kind, name) for d, kind, name in raw["days"]),
    )


def write_seed_file() -> Path:
    data = build_from_package()
    path = SEED_DIR / (data["source"].replace(" ", "_").replace("-", "_") + ".json")
    rows = ",\n".join("  " + json.dumps(day, ensure_ascii=False) for day in data["days"])
    head = f'{{\n"source": {json.dumps(data["source"])},\n"years": {json.dumps(data["years"])},\n"days": [\n'
    path.write_text(head + rows + "\n]}\n", encoding="utf-8")  # one day a line: reviewable diffs
    return path


if __name__ == "__main__":
    print(write_seed_file())
