"""Data-quality table (数据质量): per station for the centre, per police district for a station, scoped
for everyone, the same figures a unit-by-unit count gives, a fixed number of queries whatever the
number of rows, the same table through the API."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from zhufang.accounts.models import User
from zhufang.conftest import Demo
from zhufang.org.models import OrgKind, OrgUnit
from zhufang.registry.demo.csv_export import write_addresses_csv, write_people_csv
from zhufang.registry.demo.generator import Registry, generate_registry
from zhufang.registry.imports.runner import import_addresses, import_people
from zhufang.registry.models import (
    AddressReview,
    DuplicateCandidate,
    House,
    HouseUse,
    Person,
    StandardAddress,
)
from zhufang.registry.quality import QualityFigures, default_level, quality_table, table_as_dict

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

#: a fixed date for the generator, so "stale" means the same on every run (all its dates lie before it)
AS_OF = dt.date(2025, 11, 30)
HOUSE_USE = {
    "自住": HouseUse.SELF_OCCUPIED,
    "出租": HouseUse.RENTAL,
    "空置": HouseUse.VACANT,
    "单位用房": HouseUse.INSTITUTIONAL,
    "经营": HouseUse.BUSINESS,
}


@functools.cache
def small_registry_as_of() -> Registry:
    return generate_registry("small", seed=2026, as_of=AS_OF)


def load_small_registry(directory: Path) -> Registry:
    """The small registry through the import pipeline: addresses from their CSV; every house with its
    use, rooms and area from the generator's house table (through the ORM, keyed by the house number
    in ``legacy_number``, until the house import lands); people from their CSV with clean address
    texts, so every resident is matched to their true house."""
    registry = small_registry_as_of()
    actor = User.objects.get(police_number="100001")
    write_addresses_csv(registry, directory / "addresses.csv")
    assert import_addresses(directory / "addresses.csv", actor=actor, dry_run=False).run.rejected == 0
    located = {code: (pk, grid) for pk, code, grid in StandardAddress.objects.values_list("pk", "code", "owner_unit")}
    h, codes = registry.houses, registry.addresses.code
    houses = []
    for i in range(len(h)):
        address_id, grid_id = located[codes[int(h.address_id[i]) - 1]]
        houses.append(
            House(
                address_id=address_id,
                owner_unit_id=grid_id,
                use=HOUSE_USE[h.use[i]],
                rooms=int(h.rooms[i]),
                area_m2=float(h.area_m2[i]),
                legacy_number=h.key(i),
            )
        )
    House.objects.bulk_create(houses, batch_size=1000)
    write_people_csv(registry, directory / "people.csv", dirty_share=0)
    import_people(directory / "people.csv", actor=actor, dry_run=False)
    return registry


def expected_figures(principal: Any, unit: OrgUnit, today: dt.date) -> QualityFigures:
    """The figures of one unit counted the slow way: one query per figure for this unit alone."""
    from zhufang.registry.group_rental import group_rental_houses
    from zhufang.registry.stale import stale_people

    under = Q(owner_unit__path__startswith=unit.path)
    addresses = StandardAddress.objects.visible_to(principal).filter(under)
    houses = House.objects.visible_to(principal).filter(under)
    people = Person.objects.visible_to(principal).filter(under, is_active=True)
    rentals = houses.filter(use=HouseUse.RENTAL)
    tenanted = set(Person.objects.filter(is_active=True, house__in=rentals).values_list("house", flat=True))
    return QualityFigures(
        addresses=addresses.count(),
        addresses_geocoded=addresses.exclude(lon=None).exclude(lat=None).exclude(owner_unit=None).count(),
        houses=houses.count(),
        houses_known_use=houses.exclude(use=HouseUse.UNKNOWN).count(),
        rentals=rentals.count(),
        rentals_with_tenants=len(tenanted),
        people=people.count(),
        people_with_valid_id=people.exclude(id_index=None).exclude(id_index="").count(),
        stale_people=stale_people(people, today).count(),
        group_rentals=group_rental_houses(houses).count(),
        duplicates_pending=DuplicateCandidate.objects.visible_to(principal).filter(under, status="pending").count(),
        reviews_pending=AddressReview.objects.visible_to(principal).filter(under, status="pending").count(),
    )


def plant_queue_rows(demo: Demo) -> None:
    """Rows the small registry does not make: duplicate candidates (one settled), address reviews (one
    owned by the control centre, outside every station), an address no grid holds and a rental
    nobody is registered in (the generator lets every rental)."""
    first_grid, last_grid = demo.grids[0], demo.grids[-1]
    for first, second, status in ((1, 2, "pending"), (3, 4, "pending"), (5, 6, "merged")):
        DuplicateCandidate.objects.create(
            kind="person", first_id=first, second_id=second, rule="same_id", status=status, owner_unit=first_grid
        )
    AddressReview.objects.create(raw_text="城关街道某某路", owner_unit=last_grid)
    AddressReview.objects.create(raw_text="已核地址", owner_unit=last_grid, status="resolved")
    centre = OrgUnit.objects.get(kind=OrgKind.CENTRE)
    AddressReview.objects.create(raw_text="无法匹配的地址", owner_unit=centre)
    StandardAddress.objects.create(code="X-NOWHERE", canonical="x|nowhere", full_text="境外某地")
    empty = StandardAddress.objects.create(
        code="X-EMPTY", canonical="x|empty", full_text="空置出租屋", lon=118.5, lat=36.5, owner_unit=last_grid
    )
    House.objects.create(address=empty, use=HouseUse.RENTAL, rooms=2, area_m2=40.0, owner_unit=last_grid)


@pytest.fixture
def loaded(demo: Demo, tmp_path: Path) -> Registry:
    registry = load_small_registry(tmp_path)
    plant_queue_rows(demo)
    return registry


def station_of_code(registry: Registry) -> dict[str, int]:
    return dict(OrgUnit.objects.filter(kind=OrgKind.STATION).values_list("code", "pk"))


def test_centre_sees_one_row_per_station_with_the_planted_problems(demo: Demo, loaded: Registry) -> None:
    centre = demo.user("centre_operator")
    level = default_level(centre)
    assert level is not None and level.kind == OrgKind.BUREAU
    table = quality_table(centre, level, today=AS_OF)
    assert [r.unit.pk for r in table.rows] == [s.pk for s in demo.stations]
    for row in table.rows:
        assert row.figures == expected_figures(centre, row.unit, AS_OF), row.unit.name
        assert row.can_drill

    # stale people and group rentals per station: exactly the generator's ground truth
    registry, station_pk = loaded, station_of_code(loaded)
    stored = set(Person.objects.values_list("legacy_number", flat=True))
    people, addresses = registry.people, registry.addresses
    stale = Counter(
        station_pk[addresses.station_code[people.row(int(k[1:]) - 1).address_id - 1]]
        for k in registry.truth.stale_people
        if k in stored
    )
    houses = registry.houses
    crowded = Counter(
        station_pk[addresses.station_code[int(houses.address_id[int(k[1:]) - 1]) - 1]]
        for k in registry.truth.group_rental_houses
    )
    assert {r.unit.pk: r.figures.stale_people for r in table.rows if r.figures.stale_people} == dict(stale)
    assert {r.unit.pk: r.figures.group_rentals for r in table.rows if r.figures.group_rentals} == dict(crowded)
    assert sum(stale.values()) > 20 and sum(crowded.values()) > 5

    # the planted queue rows: two pending duplicates, one pending review per station row and outside
    assert sum(r.figures.duplicates_pending for r in table.rows) == 2
    assert table.outside == QualityFigures(addresses=1, reviews_pending=1)
    assert table.total.addresses == StandardAddress.objects.count()
    assert table.total.people == Person.objects.filter(is_active=True).count()
    assert table.total.addresses_geocoded == table.total.addresses - 1
    assert table.total.houses_known_use == table.total.houses == len(registry.houses) + 1
    rentals = sum(1 for use in registry.houses.use if use == "出租")
    assert table.total.rentals == rentals + 1 and table.total.rentals_with_tenants == rentals


def test_station_head_sees_the_districts_of_their_station(demo: Demo, loaded: Registry) -> None:
    head = demo.user("station_head")
    station = head.unit
    level = default_level(head)
    assert level == station
    table = quality_table(head, level, today=AS_OF)
    districts = [d for d in demo.districts if d.parent_id == station.pk]
    assert [r.unit.pk for r in table.rows] == [d.pk for d in districts] and len(districts) > 1
    for row in table.rows:
        assert row.figures == expected_figures(head, row.unit, AS_OF), row.unit.name
    centre_row = next(
        r for r in quality_table(demo.user("centre_operator"), demo.bureau, AS_OF).rows if r.unit == station
    )
    assert table.total == centre_row.figures
    # the bureau as a level is allowed (an ancestor), but shows only their own station
    above = quality_table(head, demo.bureau, today=AS_OF)
    assert [r.unit.pk for r in above.rows] == [station.pk] and above.total == table.total


@pytest.mark.parametrize(("role", "scope_kind"), [("community_officer", "district"), ("grid_worker", "grid")])
def test_officers_see_only_their_own_records(demo: Demo, loaded: Registry, role: str, scope_kind: str) -> None:
    user = demo.user(role)
    table = quality_table(user, default_level(user), today=AS_OF)  # type: ignore[arg-type]
    district = user.unit if scope_kind == "district" else user.unit.parent
    assert district is not None
    assert [r.unit.pk for r in table.rows] == [district.pk]
    assert table.rows[0].figures == expected_figures(user, user.unit, AS_OF)
    assert table.total.people == Person.objects.filter(owner_unit__path__startswith=user.unit.path).count() > 0


def test_district_level_has_one_row_per_grid(demo: Demo, loaded: Registry) -> None:
    head = demo.user("station_head")
    district = next(d for d in demo.districts if d.parent_id == head.unit.pk)
    table = quality_table(head, district, today=AS_OF)
    assert [r.unit.pk for r in table.rows] == [g.pk for g in demo.grids if g.parent_id == district.pk]
    assert not any(r.can_drill for r in table.rows)
    assert table.total == expected_figures(head, district, AS_OF)


def test_page_links_and_a_fixed_number_of_queries(demo: Demo, loaded: Registry) -> None:
    client = demo.client_for("centre_operator")
    counts = []
    for unit in (demo.bureau, demo.stations[0], demo.districts[0]):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/registry/quality/", {"unit": unit.pk})
        assert response.status_code == 200
        counts.append(len(queries))
    # a handful of GROUP BY queries whatever the number of rows (the bureau has no breadcrumb to read)
    assert counts[1] == counts[2] <= 15 and counts[0] <= counts[1], counts
    page = client.get("/registry/quality/").content.decode()
    assert page.count('data-testid="quality-row"') == len(demo.stations)
    station = demo.stations[0]
    assert f'href="?unit={station.pk}"' in page  # drill down into the station's districts
    stale_station = next(r for r in quality_table(demo.user("centre_operator"), demo.bureau, AS_OF).rows)
    assert stale_station.figures.stale_people or stale_station.figures.group_rentals
    assert f"/registry/quality/stale/?unit={demo.bureau.pk}" in page  # the total links to its list
    assert "数据质量" in page and 'data-testid="quality-outside"' in page
    assert "数据质量" in client.get("/registry/").content.decode()  # linked from the search page


def test_levels_outside_scope_or_without_rows_are_not_found(demo: Demo, loaded: Registry) -> None:
    client = demo.client_for("station_head")
    other = next(s for s in demo.stations if s.pk != demo.user("station_head").unit.pk)
    assert client.get("/registry/quality/", {"unit": other.pk}).status_code == 404
    assert client.get("/registry/quality/", {"unit": demo.grids[0].pk}).status_code == 404
    assert client.get("/registry/quality/", {"unit": "abc"}).status_code == 404
    assert demo.client_for("volunteer").get("/registry/quality/").status_code == 403


def test_api_returns_the_same_table_in_scope(demo: Demo, loaded: Registry) -> None:
    head = demo.user("station_head")
    response = demo.client_for("station_head").get("/api/v1/registry/quality")
    assert response.status_code == 200
    body = response.json()
    table = quality_table(head, head.unit)
    assert body == table_as_dict(table)
    assert body["row_kind"] == "district" and body["level"]["id"] == head.unit.pk
    assert body["total"]["stale_people"] == table.total.stale_people
    above = demo.client_for("station_head").get("/api/v1/registry/quality", {"unit_id": demo.bureau.pk}).json()
    assert [r["unit"]["id"] for r in above["rows"]] == [head.unit.pk]
    other = next(s for s in demo.stations if s.pk != head.unit.pk)
    client = demo.client_for("station_head")
    assert client.get("/api/v1/registry/quality", {"unit_id": other.pk}).status_code == 404
    assert demo.client_for("volunteer").get("/api/v1/registry/quality").status_code == 403
