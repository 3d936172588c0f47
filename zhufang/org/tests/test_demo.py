"""The demo county builder: deterministic, idempotent, and a consistent nested tree."""

from __future__ import annotations

import pytest

from zhufang.accounts.models import User
from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.org.demo import DEMO_LOGINS, build_demo
from zhufang.org.models import OrgKind, OrgUnit, ParentLink
from zhufang.org.tests.helpers import geom, parent_of

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _counts() -> dict[str, int]:
    return {
        "units": OrgUnit.objects.count(),
        "links": ParentLink.objects.count(),
        "users": User.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_build_demo_is_idempotent(demo: Demo) -> None:
    before, state = _counts(), list(OrgUnit.objects.values_list("pk", "code", "path", "polygon").order_by("pk"))
    result = build_demo(size="small", seed=2026)
    assert result.created is False
    assert _counts() == before
    assert list(OrgUnit.objects.values_list("pk", "code", "path", "polygon").order_by("pk")) == state
    assert "already present" in result.summary()
    assert [row[0] for row in result.logins] == [role for role, *_ in DEMO_LOGINS]


def test_small_demo_has_the_documented_size(demo: Demo) -> None:
    result = build_demo(size="small", seed=2026)
    assert result.counts == {
        "station": 3,
        "district": 8,
        "grid": 40,
        "township": 4,
        "department": 7,
        "users": result.counts["users"],
    }
    active = OrgUnit.objects.active()
    assert active.filter(kind=OrgKind.BUREAU).count() == 1
    assert active.filter(kind=OrgKind.CENTRE).count() == 1
    # one login per role, plus station/district/grid staff
    assert result.counts["users"] == len(DEMO_LOGINS) + 3 * 2 + 8 * 2 + 40
    assert (len(demo.stations), len(demo.districts), len(demo.grids)) == (3, 8, 40)


def test_the_tree_is_consistent(demo: Demo) -> None:
    units = {u.pk: u for u in OrgUnit.objects.all()}
    for unit in units.values():
        parent = units.get(unit.parent_id) if unit.parent_id else None
        assert unit.path == f"{parent.path if parent else '/'}{unit.pk}/"
        assert unit.depth == (parent.depth + 1 if parent else 0)
        if parent:
            assert ParentLink.objects.filter(unit=unit, parent=parent, valid_to__isnull=True).count() == 1
    for grid in demo.grids:
        assert parent_of(grid).kind == OrgKind.DISTRICT
        assert grid.code.startswith(parent_of(grid).code)
    for district in demo.districts:
        assert parent_of(district).kind == OrgKind.STATION
    for station in demo.stations:
        assert parent_of(station).kind == OrgKind.BUREAU


def test_every_polygon_lies_within_its_parent(demo: Demo) -> None:
    for unit in (*demo.grids, *demo.districts, *demo.stations):
        parent = parent_of(unit)
        assert geom(parent).buffer(1e-7).covers(geom(unit)), (unit.code, parent.code)
        assert geom(unit).is_valid and unit.area_km2 and unit.area_km2 > 0
    # children tile their parent: the areas add up
    for district in demo.districts:
        grids = [g for g in demo.grids if g.parent_id == district.pk]
        assert sum(g.area_km2 or 0 for g in grids) == pytest.approx(district.area_km2, rel=1e-3)


def test_demo_users_sit_where_documented(demo: Demo) -> None:
    officer = demo.user("community_officer")
    assert officer.unit.kind == OrgKind.DISTRICT and officer.unit_id == demo.districts[0].pk
    assert demo.user("station_head").unit_id == demo.stations[0].pk
    assert demo.user("grid_worker").unit.parent_id == demo.districts[0].pk
    assert demo.user("system_admin").unit_id == demo.bureau.pk
    assert demo.user("department").unit.kind == OrgKind.DEPARTMENT
    assert not User.objects.filter(must_change_password=True, police_number__in=[n for _, n, *_ in DEMO_LOGINS])


def test_unknown_size_is_refused(demo: Demo) -> None:
    with pytest.raises(ValueError, match="unknown demo size"):
        build_demo(size="huge")
