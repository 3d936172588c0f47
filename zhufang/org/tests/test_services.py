"""Unit services: create, update and move units of the organisation tree (audited, all-or-nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.utils import timezone

from zhufang.audit.models import AuditAction
from zhufang.conftest import Demo
from zhufang.org import services
from zhufang.org.models import OrgKind, OrgUnit, ParentLink
from zhufang.org.tests.helpers import (
    as_geojson,
    audit_rows,
    geom,
    parent_of,
    square,
    tree_state,
    write_counts,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[118.50, 36.50], [118.51, 36.51], [118.51, 36.50], [118.50, 36.51], [118.50, 36.50]]],
}


def _create(demo: Demo, **overrides: Any) -> OrgUnit:
    district = demo.districts[0]
    inner = geom(demo.grids[0]).buffer(-0.0002)
    kwargs: dict[str, Any] = {
        "actor": demo.user("system_admin"),
        "kind": OrgKind.GRID,
        "code": "370724999999001",
        "name": "测试网格",
        "parent": district,
        "polygon": as_geojson(inner),
    }
    kwargs.update(overrides)
    return services.create_unit(**kwargs)


def _assert_refused(demo: Demo, field: str, **overrides: Any) -> ValidationError:
    before, counts = tree_state(), write_counts()
    with pytest.raises(ValidationError) as excinfo:
        _create(demo, **overrides)
    assert field in excinfo.value.message_dict, excinfo.value.message_dict
    assert tree_state() == before
    assert write_counts() == counts
    return excinfo.value


# --- create_unit ---------------------------------------------------------------------------------


def test_create_writes_path_depth_link_and_audit_row(demo: Demo) -> None:
    district = demo.districts[0]
    admin = demo.user("system_admin")
    counts = write_counts()

    unit = _create(demo, head_name=" 张伟 ", phone="0536-1234567")

    unit.refresh_from_db()
    assert unit.path == f"{district.path}{unit.pk}/"
    assert unit.depth == district.depth + 1 == 3
    assert unit.parent_id == district.pk
    assert unit.valid_from == timezone.localdate() and unit.valid_to is None
    assert unit.polygon is not None and unit.polygon["type"] == "Polygon"
    assert unit.area_km2 and unit.area_km2 > 0
    assert shapely.Point(unit.centroid_lon, unit.centroid_lat).within(geom(unit))
    assert OrgUnit.objects.subtree(district).filter(pk=unit.pk).exists()
    assert OrgUnit.objects.subtree(demo.bureau).filter(pk=unit.pk).exists()

    link = ParentLink.objects.get(unit=unit)
    assert (link.parent_id, link.valid_from, link.valid_to) == (district.pk, unit.valid_from, None)

    (row,) = audit_rows(unit)
    assert row.action == AuditAction.CREATE
    assert row.actor_id == admin.pk
    assert row.changes["code"] == [None, "370724999999001"]
    assert row.changes["kind"] == [None, "grid"]
    assert row.changes["parent"] == [None, district.pk]
    assert write_counts() == {
        **counts,
        "units": counts["units"] + 1,
        "links": counts["links"] + 1,
        "audit": counts["audit"] + 1,
    }


def test_create_station_without_polygon_and_a_bureau_at_the_root(demo: Demo) -> None:
    station = _create(
        demo, kind=OrgKind.STATION, code="370724990000", name="新城派出所", parent=demo.bureau, polygon=None
    )
    assert station.path == f"/{demo.bureau.pk}/{station.pk}/" and station.depth == 1
    assert station.polygon is None and station.area_km2 is None
    bureau = _create(demo, kind=OrgKind.BUREAU, code="370725000000", name="邻县公安局", parent=None, polygon=None)
    assert bureau.path == f"/{bureau.pk}/" and bureau.depth == 0
    assert not ParentLink.objects.filter(unit=bureau).exists()


def test_duplicate_code_is_refused_on_code(demo: Demo) -> None:
    error = _assert_refused(demo, "code", code=demo.grids[3].code)
    assert demo.grids[3].code in error.message_dict["code"][0]
    # surrounding whitespace does not get a duplicate past the check
    _assert_refused(demo, "code", code=f"  {demo.grids[3].code} ")


@pytest.mark.parametrize(
    ("kind", "parent_attr"),
    [
        (OrgKind.GRID, "station"),
        (OrgKind.GRID, "bureau"),
        (OrgKind.DISTRICT, "district"),
        (OrgKind.STATION, "district"),
        (OrgKind.DISTRICT, None),
        (OrgKind.BUREAU, "bureau"),
    ],
)
def test_wrong_parent_kind_is_refused_on_parent(demo: Demo, kind: str, parent_attr: str | None) -> None:
    parents = {"station": demo.stations[0], "bureau": demo.bureau, "district": demo.districts[0], None: None}
    parent = parents[parent_attr]
    _assert_refused(demo, "parent", kind=kind, parent=parent)


def test_grid_under_a_station_names_the_expected_parent_kind(demo: Demo) -> None:
    error = _assert_refused(demo, "parent", parent=demo.stations[0])
    assert "Police district" in error.message_dict["parent"][0]


def test_unknown_kind_and_blank_code_or_name_are_refused(demo: Demo) -> None:
    _assert_refused(demo, "kind", kind="village")
    _assert_refused(demo, "code", code="   ")
    _assert_refused(demo, "name", name="   ")
    _assert_refused(demo, "code", code="9" * 33)


def test_parent_no_longer_active_is_refused(demo: Demo) -> None:
    district = demo.districts[0]
    OrgUnit.objects.filter(pk=district.pk).update(valid_to=dt.date(2020, 1, 1))
    district.refresh_from_db()
    _assert_refused(demo, "parent", parent=district)


@pytest.mark.parametrize(
    "polygon",
    [
        BOWTIE,
        "{not json",
        '{"type": "Polygon", "coordinates": "nonsense"}',
        {"type": "Polygon"},
        {"type": "Point", "coordinates": [118.5, 36.5]},
        {"type": "LineString", "coordinates": [[118.5, 36.5], [118.6, 36.6]]},
        {"type": "Polygon", "coordinates": [[[118.5, 36.5], [118.6, 36.5], [118.5, 36.5]]]},
        {"type": "Polygon", "coordinates": []},
        square(500.0, 36.5),
    ],
    ids=[
        "bowtie",
        "malformed-json",
        "bad-coordinates",
        "no-coordinates",
        "point",
        "line",
        "too-few-points",
        "empty",
        "longitude-out-of-range",
    ],
)
def test_bad_geojson_is_refused_on_polygon(demo: Demo, polygon: Any) -> None:
    _assert_refused(demo, "polygon", polygon=polygon)


def test_bowtie_error_says_why(demo: Demo) -> None:
    error = _assert_refused(demo, "polygon", polygon=BOWTIE)
    assert "Self-intersection" in error.message_dict["polygon"][0]


def test_geojson_text_and_multipolygons_are_accepted() -> None:
    polygon = services.geometry_from_geojson('{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}')
    assert polygon.geom_type == "Polygon"
    parts = [services.geometry_from_geojson(square(118.0, 36.0)), services.geometry_from_geojson(square(118.01, 36.0))]
    multi = services.geometry_from_geojson(as_geojson(shapely.MultiPolygon(parts)))
    assert multi.geom_type == "MultiPolygon"


# --- update_unit ---------------------------------------------------------------------------------


def test_update_writes_only_the_changed_fields_to_the_audit_trail(demo: Demo) -> None:
    grid = demo.grids[0]
    unit = services.update_unit(actor=demo.user("system_admin"), unit=grid, name=" 新名字 ", phone=grid.phone)
    assert unit.name == "新名字"
    (row,) = audit_rows(grid, AuditAction.UPDATE)
    assert row.changes == {"name": [grid.name, "新名字"]}


def test_update_without_changes_writes_no_audit_row(demo: Demo) -> None:
    grid = demo.grids[0]
    services.update_unit(actor=demo.user("system_admin"), unit=grid, name=grid.name, polygon=grid.polygon)
    assert audit_rows(grid, AuditAction.UPDATE) == []


def test_update_polygon_recomputes_area_and_centroid(demo: Demo) -> None:
    grid = demo.grids[0]
    smaller = geom(grid).buffer(-0.0005)
    unit = services.update_unit(actor=demo.user("system_admin"), unit=grid, polygon=as_geojson(smaller))
    assert unit.area_km2 is not None and grid.area_km2 is not None and unit.area_km2 < grid.area_km2
    assert shapely.Point(unit.centroid_lon, unit.centroid_lat).within(smaller)
    (row,) = audit_rows(grid, AuditAction.UPDATE)
    assert "polygon" in row.changes


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "370724010000"}, "code"),
        ({"code": "  "}, "code"),
        ({"name": ""}, "name"),
        ({"kind": "station"}, "kind"),
        ({"parent": 1}, "parent"),
        ({"polygon": BOWTIE}, "polygon"),
    ],
)
def test_update_refuses_bad_input_and_writes_nothing(demo: Demo, fields: dict[str, Any], field: str) -> None:
    before, counts = tree_state(), write_counts()
    with pytest.raises(ValidationError) as excinfo:
        services.update_unit(actor=demo.user("system_admin"), unit=demo.grids[0], **fields)
    assert field in excinfo.value.message_dict
    assert tree_state() == before and write_counts() == counts


# --- move_unit -----------------------------------------------------------------------------------


def test_move_district_rewrites_the_paths_of_its_whole_subtree(demo: Demo) -> None:
    district = demo.districts[0]
    old_station = parent_of(district)
    new_station = next(s for s in demo.stations if s.pk != old_station.pk)
    grid_ids = set(OrgUnit.objects.filter(parent=district).values_list("pk", flat=True))
    assert len(grid_ids) >= 2
    old_station_subtree = set(OrgUnit.objects.subtree(old_station).values_list("pk", flat=True))
    new_station_subtree = set(OrgUnit.objects.subtree(new_station).values_list("pk", flat=True))
    admin = demo.user("system_admin")

    today = timezone.localdate()
    moved = services.move_unit(actor=admin, unit=district, new_parent=new_station, effective=today)

    assert moved.parent_id == new_station.pk
    assert moved.path == f"{new_station.path}{district.pk}/" and moved.depth == 2
    for grid in OrgUnit.objects.filter(pk__in=grid_ids):
        assert grid.path == f"{moved.path}{grid.pk}/" and grid.depth == 3
        assert grid.parent_id == district.pk
    moved_ids = grid_ids | {district.pk}
    assert set(OrgUnit.objects.subtree(moved).values_list("pk", flat=True)) == moved_ids
    assert set(OrgUnit.objects.subtree(new_station).values_list("pk", flat=True)) == new_station_subtree | moved_ids
    assert set(OrgUnit.objects.subtree(old_station).values_list("pk", flat=True)) == old_station_subtree - moved_ids
    # the stored paths agree with the parent links everywhere
    units = {u.pk: u for u in OrgUnit.objects.all()}
    for unit in units.values():
        expected = f"{units[unit.parent_id].path if unit.parent_id else '/'}{unit.pk}/"
        assert unit.path == expected and unit.depth == expected.count("/") - 2

    closed, current = ParentLink.objects.filter(unit=district).order_by("valid_from", "id")
    assert (closed.parent_id, closed.valid_to) == (old_station.pk, today)
    assert (current.parent_id, current.valid_from, current.valid_to) == (new_station.pk, today, None)
    (row,) = audit_rows(district, AuditAction.UPDATE)
    assert row.changes["parent"] == [old_station.pk, new_station.pk]
    assert row.actor_id == admin.pk


def test_move_refuses_its_own_subtree_and_wrong_kinds(demo: Demo) -> None:
    station, district = demo.stations[0], OrgUnit.objects.filter(parent=demo.stations[0]).first()
    assert district is not None
    grid = OrgUnit.objects.filter(parent=district).first()
    assert grid is not None
    admin = demo.user("system_admin")
    before, counts = tree_state(), write_counts()
    for unit, new_parent in (
        (district, grid),
        (district, district),
        (station, station),
        (grid, demo.stations[1]),
        (district, demo.bureau),
    ):
        with pytest.raises(ValidationError) as excinfo:
            services.move_unit(actor=admin, unit=unit, new_parent=new_parent)
        assert "parent" in excinfo.value.message_dict
    assert tree_state() == before and write_counts() == counts


def test_move_cannot_take_effect_before_the_current_assignment_began(demo: Demo) -> None:
    district = demo.districts[0]
    before, counts = tree_state(), write_counts()
    assert district.valid_from is not None
    with pytest.raises(ValidationError) as excinfo:
        services.move_unit(
            actor=None, unit=district, new_parent=demo.stations[2], effective=district.valid_from - dt.timedelta(days=1)
        )
    assert "effective" in excinfo.value.message_dict
    assert tree_state() == before and write_counts() == counts


def test_move_refuses_a_closed_parent(demo: Demo) -> None:
    OrgUnit.objects.filter(pk=demo.stations[1].pk).update(valid_to=dt.date(2020, 1, 1))
    closed = OrgUnit.objects.get(pk=demo.stations[1].pk)
    with pytest.raises(ValidationError):
        services.move_unit(actor=None, unit=demo.districts[0], new_parent=closed)


def test_move_to_the_current_parent_changes_nothing(demo: Demo) -> None:
    district = demo.districts[0]
    before, counts = tree_state(), write_counts()
    services.move_unit(actor=demo.user("system_admin"), unit=district, new_parent=parent_of(district))
    assert tree_state() == before and write_counts() == counts


def test_move_grid_to_another_district(demo: Demo) -> None:
    grid = demo.grids[0]
    target = next(d for d in demo.districts if d.parent_id != demo.grids[0].ancestor_ids()[1])
    moved = services.move_unit(actor=None, unit=grid, new_parent=target)
    assert moved.path == f"{target.path}{grid.pk}/"
    assert moved.ancestor_ids() == [demo.bureau.pk, target.parent_id, target.pk, grid.pk]


def test_move_reads_the_new_parents_current_path(demo: Demo) -> None:
    """A caller holding a stale copy of the new parent (moved since) must not write stale paths."""
    district, other = demo.districts[0], next(d for d in demo.districts if d.parent_id != demo.districts[0].parent_id)
    stale_other = OrgUnit.objects.get(pk=other.pk)
    services.move_unit(
        actor=None,
        unit=other,
        new_parent=demo.stations[2] if other.parent_id != demo.stations[2].pk else demo.stations[1],
    )
    grid = OrgUnit.objects.filter(parent=district).first()
    assert grid is not None
    moved = services.move_unit(actor=None, unit=grid, new_parent=stale_other)
    fresh_other = OrgUnit.objects.get(pk=other.pk)
    assert fresh_other.path != stale_other.path
    assert moved.path == f"{fresh_other.path}{grid.pk}/"
