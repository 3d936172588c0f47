"""Group rental (群租): the set-based rule finds exactly the generator's planted group rentals, the
per-house check agrees with it, thresholds come from settings, the house page shows the badge with
its reason, the list and the API stay in scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from zhufang.conftest import Demo
from zhufang.registry.group_rental import (
    RESIDENTS,
    current_rule,
    group_rental_houses,
    house_group_rental_reasons,
    with_resident_counts,
)
from zhufang.registry.models import House, HouseUse, Person
from zhufang.registry.tests.test_api import make_house
from zhufang.registry.tests.test_quality import load_small_registry

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def house_with(grid: object, code: str, *, use: str, rooms: int | None, area: float | None, residents: int) -> House:
    house = make_house(grid, code, f"{code}路")
    House.objects.filter(pk=house.pk).update(use=use, rooms=rooms, area_m2=area)
    Person.objects.bulk_create(
        Person(name=f"住户{i}", category="floating", house=house, owner_unit=house.owner_unit) for i in range(residents)
    )
    house.refresh_from_db()
    return house


def test_group_rentals_are_exactly_the_planted_ones(demo: Demo, tmp_path: Path) -> None:
    registry = load_small_registry(tmp_path)
    found = set(group_rental_houses(House.objects.all()).values_list("legacy_number", flat=True))
    assert found == set(registry.truth.group_rental_houses) and len(found) > 5
    # the per-house check of the house page gives the same answer for every house
    for house in with_resident_counts(House.objects.all()):
        flagged = bool(house_group_rental_reasons(house, residents=getattr(house, RESIDENTS)))
        assert flagged == (house.legacy_number in found), house.legacy_number


def test_thresholds_uses_and_active_residents(demo: Demo) -> None:
    grid = demo.grids[0]
    crowded_rooms = house_with(grid, "G1", use=HouseUse.RENTAL, rooms=2, area=60.0, residents=5)  # 5 > 2 × 2
    crowded_area = house_with(grid, "G2", use=HouseUse.RENTAL, rooms=4, area=18.0, residents=4)  # 18 < 4 × 5
    at_limits = house_with(grid, "G3", use=HouseUse.RENTAL, rooms=2, area=20.0, residents=4)  # 4 = 2 × 2, 20 = 4 × 5
    own_home = house_with(grid, "G4", use=HouseUse.SELF_OCCUPIED, rooms=1, area=12.0, residents=6)
    no_rooms = house_with(grid, "G5", use=HouseUse.RENTAL, rooms=None, area=None, residents=9)  # nothing to judge
    moved_out = house_with(grid, "G6", use=HouseUse.RENTAL, rooms=1, area=30.0, residents=3)
    Person.objects.filter(house=moved_out).update(is_active=False)

    def flagged() -> set[int]:
        return set(group_rental_houses(House.objects.all()).values_list("pk", flat=True))

    assert flagged() == {crowded_rooms.pk, crowded_area.pk}
    assert house_group_rental_reasons(crowded_rooms) == ["5 residents in 2 rooms (more than 2 per room)"]
    assert house_group_rental_reasons(crowded_area) == ["18 m² for 4 residents (less than 5 m² each)"]
    for house in (at_limits, own_home, no_rooms, moved_out):
        assert house_group_rental_reasons(house) == []

    beijing = {"max_residents_per_room": 3, "min_area_per_resident_m2": None, "uses": ["rental", "self_occupied"]}
    with override_settings(ZHUFANG_GROUP_RENTAL=beijing):
        assert flagged() == {own_home.pk}  # 6 > 3 × 1; 5 ≤ 3 × 2 and the area test is off
        assert house_group_rental_reasons(own_home) == ["6 residents in 1 room (more than 3 per room)"]
    with override_settings(ZHUFANG_GROUP_RENTAL={"max_residents_per_room": None, "min_area_per_resident_m2": None}):
        assert flagged() == set()


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"max_residents_per_room": 0}, "max_residents_per_room"),
        ({"min_area_per_resident_m2": "5"}, "min_area_per_resident_m2"),
        ({"uses": ["hotel"]}, "uses"),
        ({"rooms": 2}, "rooms"),
    ],
)
def test_a_bad_setting_fails_naming_the_key(setting: dict[str, object], named: str) -> None:
    with override_settings(ZHUFANG_GROUP_RENTAL=setting), pytest.raises(ImproperlyConfigured, match=named):
        current_rule()


def test_house_page_shows_the_badge_with_its_reason(demo: Demo) -> None:
    grid = demo.user("community_officer").unit.children.order_by("code").first()
    crowded = house_with(grid, "B1", use=HouseUse.RENTAL, rooms=1, area=30.0, residents=3)
    calm = house_with(grid, "B2", use=HouseUse.RENTAL, rooms=2, area=60.0, residents=3)
    client = demo.client_for("community_officer")
    page = client.get(f"/registry/houses/{crowded.pk}/").content.decode()
    assert 'data-testid="group-rental"' in page and "疑似群租" in page
    assert "3" in page.split('data-testid="group-rental-reason">')[1].split("</p>")[0]
    assert 'data-testid="group-rental"' not in client.get(f"/registry/houses/{calm.pk}/").content.decode()


def test_list_and_api_stay_in_scope(demo: Demo) -> None:
    officer = demo.user("community_officer")
    mine = house_with(officer.unit.children.order_by("code").first(), "L1", use="rental", rooms=1, area=8, residents=4)
    other_grid = next(g for g in demo.grids if not g.path.startswith(officer.unit.path))
    theirs = house_with(other_grid, "L2", use="rental", rooms=1, area=8, residents=4)
    client = demo.client_for("community_officer")
    page = client.get("/registry/quality/group-rentals/", {"unit": officer.unit.pk}).content.decode()
    assert f"/registry/houses/{mine.pk}/" in page and f"/registry/houses/{theirs.pk}/" not in page
    body = client.get("/api/v1/registry/quality/group-rentals").json()
    assert [h["id"] for h in body["houses"]] == [mine.pk] and body["count"] == 1
    assert body["houses"][0]["residents"] == 4 and body["houses"][0]["reasons"]
    assert client.get("/registry/quality/group-rentals/", {"unit": other_grid.pk}).status_code == 404
    centre = demo.client_for("centre_operator").get("/api/v1/registry/quality/group-rentals").json()
    assert {h["id"] for h in centre["houses"]} == {mine.pk, theirs.pk}
