"""The demo registry loads houses before people (so every house carries its real use, and residents
point at those houses) and establishments after; a demo database from before gains what it lacks."""

from __future__ import annotations

import pytest

from zhufang.conftest import Demo
from zhufang.registry.demo.loading import load_demo_registry
from zhufang.registry.imports.values import HOUSE_USES
from zhufang.registry.models import Establishment, House, HouseUse, ImportRun, Person
from zhufang.registry.tests.demo_files import small_registry

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_demo_houses_carry_their_real_use_and_units_are_loaded(demo: Demo) -> None:
    summary = load_demo_registry("small")
    registry = small_registry()
    assert "实有房屋" in summary and "实有单位" in summary
    houses = registry.houses
    stored = dict(House.objects.values_list("legacy_number", "use"))
    assert len(stored) == len(houses)  # the people import created no house of its own
    assert all(stored[f"H{i + 1:07d}"] == HOUSE_USES[houses.use[i]] for i in range(len(houses)))
    assert not House.objects.filter(use=HouseUse.UNKNOWN).exists()
    assert Person.objects.filter(house__isnull=False).exists()
    assert Establishment.objects.count() == len(registry.establishments)
    assert Establishment.objects.filter(is_key_industry=True).count() == sum(
        1 for t in registry.establishments.key_trade if t
    )
    runs = list(ImportRun.objects.filter(dry_run=False).order_by("id").values_list("kind", flat=True))
    assert runs == ["addresses", "houses", "people", "establishments"]


def test_an_older_demo_database_gains_houses_and_establishments(demo: Demo) -> None:
    load_demo_registry("small")
    House.objects.filter(legacy_number="").delete()
    Establishment.objects.all().delete()
    ImportRun.objects.filter(kind__in=["houses", "establishments"]).delete()
    House.objects.update(use=HouseUse.UNKNOWN, legacy_number="")  # as the people import left them
    people = Person.objects.count()
    summary = load_demo_registry("small")
    assert "实有人口" not in summary and "实有房屋" in summary and Person.objects.count() == people
    assert not House.objects.filter(use=HouseUse.UNKNOWN).exists()
    assert Establishment.objects.count() == len(small_registry().establishments)
    assert "reused" in load_demo_registry("small")


def test_the_demo_has_construction_sites_that_the_weekly_rule_covers(demo: Demo) -> None:
    """在建工地 (seed 003: project sites updated weekly) are in the demo county as enterprises, and the
    default weekly cadence rule covers a unit of that trade once imported."""
    import datetime as dt

    from zhufang.inspections.cadence import status_of
    from zhufang.registry.demo.generator import generate_registry

    county = generate_registry("demo", seed=2026).establishments
    sites = [cat for cat, trade in zip(county.category, county.key_trade, strict=True) if trade == "在建工地"]
    assert len(sites) >= 10 and set(sites) == {"企业"}
    load_demo_registry("small")
    unit = Establishment.objects.filter(is_key_industry=True).first()
    assert unit is not None
    Establishment.objects.filter(pk=unit.pk).update(trade="在建工地")
    status = status_of(demo.user("centre_operator"), "establishment", unit.pk, as_of=dt.date(2026, 12, 1))
    assert status is not None and status["period"] == "week"
