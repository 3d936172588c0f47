"""Seed the holiday calendar for 2004–2026 from the committed copy of the chinese-calendar 1.11.0 data
(zhufang/workdays/seed_data/chinese_calendar_1.11.0.json: frozen, so this migration writes the same rows
everywhere; a later package release gets its own file and migration)."""

import datetime as dt
import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

SEED_FILE = Path(__file__).resolve().parent.parent / "seed_data" / "chinese_calendar_1.11.0.json"


def seed(apps, schema_editor):
    CalendarYear = apps.get_model("workdays", "CalendarYear")
    CalendarDay = apps.get_model("workdays", "CalendarDay")
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    now = timezone.now()
    years = {
        year: CalendarYear.objects.create(
            year=year,
            source="package",
            source_reference=f"{data['source']} (PyPI), seeded by migration",
            entered_at=now,
        )
        for year in data["years"]
        if not CalendarYear.objects.filter(year=year).exists()
    }
    CalendarDay.objects.bulk_create(
        CalendarDay(calendar_year=years[day.year], date=day, kind=kind, name=name)
        for day, kind, name in ((dt.date.fromisoformat(d), k, n) for d, k, n in data["days"])
        if day.year in years
    )


def unseed(apps, schema_editor):
    apps.get_model("workdays", "CalendarYear").objects.filter(source="package").delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
