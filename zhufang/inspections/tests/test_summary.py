"""The station head's view: per-officer and per-district counts equal a hand count, other stations
stay out, and the number of queries does not grow with the number of houses (set-based)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhufang.accounts.models import User
from zhufang.conftest import Demo
from zhufang.inspections.models import Inspection
from zhufang.inspections.summaries import unit_summary
from zhufang.inspections.tests.factories import establishment, house
from zhufang.org.models import OrgUnit
from zhufang.registry.models import Establishment, House

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
D = dt.date
AS_OF = D(2025, 8, 20)  # a fixed past day (the API refuses future ones): August 2025, second half year


def inspected(target: House | Establishment, day: dt.date) -> None:
    Inspection.objects.create(
        house=target if isinstance(target, House) else None,
        establishment=target if isinstance(target, Establishment) else None,
        inspected_on=day,
        result="normal",
        owner_unit=target.owner_unit,
    )


def plant(grid_a: OrgUnit, grid_b: OrgUnit, grid_other_station: OrgUnit) -> None:
    """District A: 2 rental overdue, 1 rental due, 1 rental done, 1 hotel overdue, 1 vacant (no rule).
    District B: 1 self-occupied due, 1 rental done. Another station: 1 rental overdue."""
    house(grid_a, "rental")  # never inspected, registered long ago: overdue
    inspected(house(grid_a, "rental"), D(2025, 6, 30))  # overdue: July passed without one
    inspected(house(grid_a, "rental"), D(2025, 7, 31))  # due
    inspected(house(grid_a, "rental"), D(2025, 8, 1))  # done
    inspected(establishment(grid_a, "旅馆"), D(2025, 6, 1))  # overdue
    house(grid_a, "vacant")
    inspected(house(grid_b, "self_occupied"), D(2025, 6, 30))  # due (first half year)
    inspected(house(grid_b, "rental"), D(2025, 8, 19))  # done
    house(grid_other_station, "rental")  # overdue, but not this station's


@pytest.fixture
def station_world(demo: Demo) -> tuple[OrgUnit, OrgUnit, OrgUnit]:
    district_a = demo.user("community_officer").unit
    station = district_a.parent
    assert station is not None
    district_b = OrgUnit.objects.filter(parent=station, kind="district").exclude(pk=district_a.pk).order_by("code")[0]
    other_grid = next(g for g in demo.grids if not g.path.startswith(station.path))
    plant(district_a.children.order_by("code")[0], district_b.children.order_by("code")[0], other_grid)
    return station, district_a, district_b


def test_per_officer_counts_equal_the_hand_count(demo: Demo, station_world: tuple[OrgUnit, ...]) -> None:
    station, district_a, district_b = station_world
    body = (
        demo.client_for("station_head")
        .get("/api/v1/inspections/summary", {"unit_id": str(station.pk), "as_of": AS_OF.isoformat()})
        .json()
    )
    officers_a = set(
        User.objects.filter(unit=district_a, roles__code="community_officer").values_list("police_number", flat=True)
    )
    assert "100005" in officers_a and len(officers_a) == 2  # the demo login and the district's own officer
    by_officer = {row["police_number"]: (row["district_id"], row["counts"]) for row in body["officers"]}
    expected_a = {
        "house": {"done": 1, "due": 1, "overdue": 2},
        "establishment": {"done": 0, "due": 0, "overdue": 1},
        "total": {"done": 1, "due": 1, "overdue": 3},
    }
    expected_b = {
        "house": {"done": 1, "due": 1, "overdue": 0},
        "establishment": {"done": 0, "due": 0, "overdue": 0},
        "total": {"done": 1, "due": 1, "overdue": 0},
    }
    for number in officers_a:
        assert by_officer[number] == (district_a.pk, expected_a)
    (number_b,) = User.objects.filter(unit=district_b, roles__code="community_officer").values_list(
        "police_number", flat=True
    )
    assert by_officer[number_b] == (district_b.pk, expected_b)
    silent = [c for n, (_d, c) in by_officer.items() if n not in officers_a | {number_b}]
    assert all(c["total"] == {"done": 0, "due": 0, "overdue": 0} for c in silent)
    assert body["total"]["total"] == {"done": 2, "due": 2, "overdue": 3}  # the other station's house is not here
    districts = {row["district_id"]: row for row in body["districts"]}
    assert set(districts) == set(OrgUnit.objects.filter(parent=station, kind="district").values_list("pk", flat=True))


def test_summary_queries_do_not_grow_with_houses(demo: Demo, station_world: tuple[OrgUnit, ...]) -> None:
    station, district_a, _b = station_world
    head = demo.user("station_head")
    unit_summary(head, station, as_of=AS_OF)  # resolves and caches the head's scope
    with CaptureQueriesContext(connection) as few:
        unit_summary(head, station, as_of=AS_OF)
    grid = district_a.children.order_by("code")[1]
    for _ in range(40):
        inspected(house(grid, "rental"), D(2025, 7, 3))
    with CaptureQueriesContext(connection) as many:
        after = unit_summary(head, station, as_of=AS_OF)
    assert len(many) == len(few) <= 6  # rules, 2 grouped counts, districts (2), officers
    assert after.total.get("house", "due") == 1 + 1 + 40
