"""The registry's result map: points come from the scoped search result only (never a house outside
scope), drawn on the polygons of the user's own units; the house page shows its location."""

from __future__ import annotations

import json
import re

import pytest

from zhufang.conftest import Demo
from zhufang.org.models import OrgUnit
from zhufang.privacy.blind_index import blind_index
from zhufang.registry.models import Establishment, House, Person, StandardAddress
from zhufang.registry.tests.test_api import an_id

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def first_grid(district: OrgUnit) -> OrgUnit:
    grid = district.children.order_by("code").first()
    assert grid is not None
    return grid


def new_house(grid: OrgUnit, code: str, street: str, *, located: bool = True) -> House:
    """A house at door ``code`` of ``street``, with its point at the grid's centroid when ``located``."""
    address = StandardAddress.objects.create(
        code=code,
        street=street,
        house_number=code,
        canonical=f"|城关街道|民主社区|{street}|{code}||||",
        full_text=f"城关街道民主社区{street}{code}号",
        lon=grid.centroid_lon if located else None,
        lat=grid.centroid_lat if located else None,
        owner_unit=grid,
    )
    return House.objects.create(address=address, owner_unit=grid)


def map_of(html: str, map_id: str) -> tuple[dict[str, str], list[dict[str, object]]]:
    """The map element's data attributes and the points the page hands to it."""
    tag = re.search(rf'<div id="{map_id}"[^>]*>', html)
    assert tag, f"no {map_id} on the page"
    attributes = dict(re.findall(r'data-([\w-]+)="([^"]*)"', tag.group(0)))
    points = re.search(rf'<script id="{map_id}-points" type="application/json">(.*?)</script>', html, re.S)
    assert points
    return attributes, json.loads(points.group(1))


def test_search_map_shows_only_the_houses_in_scope(demo: Demo) -> None:
    officer = demo.user("community_officer")
    my_grid = first_grid(officer.unit)
    assert my_grid is not None and my_grid.centroid_lon is not None
    other_grid = next(g for g in demo.grids if not g.path.startswith(officer.unit.path))
    mine = new_house(my_grid, "M1", "兴隆路")
    theirs = new_house(other_grid, "M2", "兴隆路")
    new_house(my_grid, "M3", "兴隆路", located=False)  # no point yet: listed, not drawn

    page = demo.client_for("community_officer").post("/registry/", {"q": "兴隆路"}).content.decode()
    attributes, points = map_of(page, "search-map")
    assert [p["id"] for p in points] == [mine.pk]
    assert points[0]["value"] == [round(my_grid.centroid_lon, 6), round(my_grid.centroid_lat, 6)]  # type: ignore[arg-type]
    assert points[0]["url"] == f"/registry/houses/{mine.pk}/"
    station = officer.unit.parent
    assert station is not None
    assert attributes["kind"] == "district" and attributes["within"] == str(station.pk)  # the officer's station

    centre = demo.client_for("centre_operator").post("/registry/", {"q": "兴隆路"}).content.decode()
    attributes, points = map_of(centre, "search-map")
    assert {p["id"] for p in points} == {mine.pk, theirs.pk}
    assert attributes["kind"] == "station" and attributes["within"] == str(demo.bureau.pk)


def test_people_found_by_document_number_put_their_house_on_the_map(demo: Demo) -> None:
    officer = demo.user("community_officer")
    home = new_house(first_grid(officer.unit), "M4", "和平街")
    number = an_id(21)
    Person.objects.create(
        name="周九",
        id_number=number,
        id_index=blind_index(number, kind="id_number"),
        category="floating",
        house=home,
        owner_unit=home.owner_unit,
    )
    page = demo.client_for("community_officer").post("/registry/", {"q": number}).content.decode()
    assert number not in page
    _attributes, points = map_of(page, "search-map")
    assert [p["id"] for p in points] == [home.pk]
    nothing = demo.client_for("community_officer").post("/registry/", {"q": "不存在的路"}).content.decode()
    assert 'id="search-map"' not in nothing


def test_house_page_shows_its_location_on_the_district_grids(demo: Demo) -> None:
    officer = demo.user("community_officer")
    house = new_house(first_grid(officer.unit), "M5", "建设路")
    page = demo.client_for("community_officer").get(f"/registry/houses/{house.pk}/").content.decode()
    attributes, points = map_of(page, "house-map")
    assert attributes["kind"] == "grid" and attributes["within"] == str(officer.unit.pk)
    assert [p["id"] for p in points] == [house.pk] and "vendor/echarts.min.js" in page
    bare = new_house(first_grid(officer.unit), "M6", "建设路", located=False)
    assert (
        'id="house-map"'
        not in demo.client_for("community_officer").get(f"/registry/houses/{bare.pk}/").content.decode()
    )


def new_unit(house: House, name: str, *, trade: str = "") -> Establishment:
    return Establishment.objects.create(
        name=name,
        category="企业",
        trade=trade,
        is_key_industry=bool(trade),
        address=house.address,
        owner_unit=house.owner_unit,
    )


def test_establishments_map_shows_what_the_filter_lists_in_scope(demo: Demo) -> None:
    officer = demo.user("community_officer")
    my_grid = first_grid(officer.unit)
    other_grid = next(g for g in demo.grids if not g.path.startswith(officer.unit.path))
    lodging = new_unit(new_house(my_grid, "E1", "兴华路"), "兴华宾馆", trade="旅馆")
    shop = new_unit(new_house(my_grid, "E2", "兴华路"), "兴华超市")
    new_unit(new_house(other_grid, "E3", "兴华路"), "兴华大酒店", trade="旅馆")  # another district
    new_unit(new_house(my_grid, "E4", "兴华路", located=False), "兴华网吧", trade="网吧")  # not located

    client = demo.client_for("community_officer")
    _attributes, points = map_of(
        client.get("/registry/establishments/", {"q": "兴华"}).content.decode(), "establishment-map"
    )
    assert {p["id"] for p in points} == {lodging.pk, shop.pk}
    drawn = {p["id"]: p for p in points}
    assert drawn[lodging.pk]["name"] == "兴华宾馆（旅馆）"
    assert drawn[lodging.pk]["url"] == f"/registry/establishments/{lodging.pk}/"
    _attributes, key_points = map_of(
        client.get("/registry/establishments/", {"q": "兴华", "key": "1"}).content.decode(), "establishment-map"
    )
    assert [p["id"] for p in key_points] == [lodging.pk]
    nothing = client.get("/registry/establishments/", {"q": "不存在的单位"}).content.decode()
    assert 'id="establishment-map"' not in nothing
