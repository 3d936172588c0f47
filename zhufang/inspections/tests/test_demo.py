"""The demo history: a mix of done, due and overdue objects (not all overdue), planted once."""

from __future__ import annotations

import datetime as dt

import pytest

from zhufang.conftest import Demo
from zhufang.inspections.cadence import counts_total
from zhufang.inspections.demo import plant_demo_inspections
from zhufang.inspections.models import Inspection
from zhufang.inspections.tests.factories import establishment, house
from zhufang.org.models import OrgUnit

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_planted_history_is_mostly_on_time_and_planted_once(demo: Demo, grids: tuple[OrgUnit, ...]) -> None:
    for i in range(120):
        house(grids[i % 3], "rental" if i % 2 else "self_occupied")
    for i in range(30):
        establishment(grids[i % 3], "旅馆" if i % 2 else "机动车维修")
    day = dt.date(2026, 3, 18)
    summary = plant_demo_inspections(seed=7, today=day)
    assert summary.startswith("demo inspections: ")
    planted = Inspection.objects.count()
    assert planted > 150 and not Inspection.objects.filter(inspected_on__gt=day).exists()
    counts = counts_total(demo.user("centre_operator"), as_of=day)
    assert counts.expected == 150
    assert counts.done_total > counts.due_total > 0 and counts.overdue_total > 0
    assert counts.done_total / counts.expected > 0.5
    officers = set(Inspection.objects.values_list("inspector__unit__kind", flat=True))
    assert officers == {"district"}  # the district's community officer inspected
    assert plant_demo_inspections(seed=7, today=day).startswith("demo inspections already present")
    assert Inspection.objects.count() == planted
