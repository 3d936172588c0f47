"""Importing or replacing jurisdiction polygons from GeoJSON, with a validation report."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from shapely.geometry import box

from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.org.geometry.coords import area_m2
from zhufang.org.geometry_import import ImportReport, import_geojson
from zhufang.org.locating import locate_point
from zhufang.org.models import OrgKind, OrgUnit
from zhufang.org.tests.helpers import as_geojson, audit_rows, geom, parent_of, tree_state, write_counts

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def feature(unit: OrgUnit, **changes: Any) -> dict[str, Any]:
    props = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent_code": unit.parent.code if unit.parent else None,
    }
    geometry = changes.pop("geometry", unit.polygon)
    props.update(changes)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def grids() -> list[OrgUnit]:
    return list(OrgUnit.objects.active().filter(kind=OrgKind.GRID).select_related("parent").order_by("code"))


def neighbours() -> tuple[OrgUnit, OrgUnit]:
    """Two grids of one district sharing an edge."""
    units = grids()
    for a in units:
        for b in units:
            if a.code < b.code and a.parent_id == b.parent_id and geom(a).intersection(geom(b)).length > 0:
                return a, b
    raise AssertionError("no neighbouring grids")


def run(demo: Demo, text: str, *, dry_run: bool, source_name: str = "grids.geojson") -> ImportReport:
    return import_geojson(actor=demo.user("system_admin"), text=text, source_name=source_name, dry_run=dry_run)


def assert_nothing_written(before: dict[int, Any], counts: dict[str, int]) -> None:
    assert tree_state() == before
    assert write_counts() == counts


@pytest.mark.parametrize("dry_run", [True, False])
def test_reimporting_the_grids_unchanged_writes_nothing(demo: Demo, dry_run: bool) -> None:
    before, counts = tree_state(), write_counts()
    report = run(demo, collection([feature(g) for g in grids()]), dry_run=dry_run)
    assert report.errors == [] and report.warnings == []
    assert (report.created, report.updated, report.moved, report.unchanged) == (0, 0, 0, 40)
    assert report.applied is (not dry_run)
    assert_nothing_written(before, counts)


def test_reimporting_the_whole_tree_unchanged(demo: Demo) -> None:
    units = OrgUnit.objects.active().filter(kind__in=["bureau", "station", "district", "grid", "township"])
    report = run(demo, collection([feature(u) for u in units.select_related("parent")]), dry_run=True)
    assert report.errors == [] and report.warnings == []
    assert report.unchanged == units.count() == 1 + 3 + 8 + 40 + 4


def test_changed_name_dry_run_reports_then_apply_writes(demo: Demo) -> None:
    units = grids()
    target = units[7]
    old_name = target.name
    features = [feature(g, name="新网格名称") if g.pk == target.pk else feature(g) for g in units]
    before, counts = tree_state(), write_counts()

    report = run(demo, collection(features), dry_run=True)
    assert (report.created, report.updated, report.moved, report.unchanged) == (0, 1, 0, 39)
    assert report.dry_run and not report.applied and report.errors == []
    assert_nothing_written(before, counts)

    report = run(demo, collection(features), dry_run=False)
    assert (report.created, report.updated, report.moved, report.unchanged) == (0, 1, 0, 39)
    assert report.applied
    target.refresh_from_db()
    assert target.name == "新网格名称"
    (row,) = audit_rows(target, AuditAction.UPDATE)
    assert row.changes == {"name": [old_name, "新网格名称"]}  # the polygon did not change
    assert row.actor_id == demo.users["system_admin"].pk
    assert AuditEntry.objects.count() == counts["audit"] + 1


def test_overlap_above_tolerance_is_refused_naming_both_grids(demo: Demo) -> None:
    a, b = neighbours()
    grown = geom(a).union(geom(b).buffer(-0.0003))  # a now reaches far into b
    features = [feature(g, geometry=as_geojson(grown)) if g.pk == a.pk else feature(g) for g in grids()]
    before, counts = tree_state(), write_counts()

    report = run(demo, collection(features), dry_run=False)

    assert not report.applied
    overlaps = [i for i in report.errors if i.code == "overlap"]
    assert len(overlaps) == 1
    assert {overlaps[0].unit_code, overlaps[0].other_code} == {a.code, b.code}
    assert a.code in overlaps[0].message_zh and b.code in overlaps[0].message_zh
    assert (overlaps[0].area_m2 or 0) > 50
    assert_nothing_written(before, counts)
    errors = report.as_dict()["errors"]
    assert any(e["code"] == "overlap" and {e["unit_code"], e["other_code"]} == {a.code, b.code} for e in errors)


def test_overlap_below_tolerance_is_a_warning_and_the_import_goes_on(demo: Demo) -> None:
    a, b = neighbours()
    on_edge = geom(a).intersection(geom(b)).interpolate(0.5, normalized=True)
    bump = on_edge.buffer(2.5e-5).intersection(geom(b))  # a half-disc of ~2.5 m radius into b
    assert 1 < area_m2(bump) < 50
    report = run(demo, collection([feature(a, geometry=as_geojson(geom(a).union(bump)))]), dry_run=False)
    (overlap,) = report.issues
    assert (overlap.level, overlap.code, {overlap.unit_code, overlap.other_code}) == (
        "warning",
        "overlap",
        {a.code, b.code},
    )
    assert overlap.area_m2 == pytest.approx(area_m2(bump), rel=0.01)
    assert report.applied and report.updated == 1
    assert report.as_dict()["warnings"][0]["code"] == "overlap"
    a.refresh_from_db()
    assert geom(a).covers(bump)


def test_malformed_json_names_the_file_and_writes_nothing(demo: Demo) -> None:
    before, counts = tree_state(), write_counts()
    report = run(demo, '{"type": "FeatureCollection", "features": [', dry_run=False, source_name="broken.geojson")
    assert [i.code for i in report.errors] == ["invalid_json"]
    assert report.errors[0].message_zh.startswith("broken.geojson")
    assert not report.applied
    assert_nothing_written(before, counts)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{"type": "Feature"}', "not_feature_collection"),
        ('{"type": "FeatureCollection"}', "missing_features"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", '
            '"properties": {"name": "x", "kind": "grid", "parent_code": "370724010100"}, "geometry": null}]}',
            "missing_property",
        ),
    ],
)
def test_structurally_wrong_files_are_refused(demo: Demo, text: str, code: str) -> None:
    before, counts = tree_state(), write_counts()
    report = run(demo, text, dry_run=False, source_name="bad.geojson")
    assert code in {i.code for i in report.errors}
    assert all(i.message_zh.startswith("bad.geojson") for i in report.errors)
    assert_nothing_written(before, counts)


def test_self_intersecting_feature_is_refused(demo: Demo) -> None:
    grid = grids()[0]
    (x0, y0, x1, y1) = geom(grid).bounds
    bowtie = {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}
    before, counts = tree_state(), write_counts()
    report = run(demo, collection([feature(grid, geometry=bowtie)]), dry_run=False)
    assert any(i.code == "invalid_geometry" and i.unit_code == grid.code for i in report.errors)
    assert_nothing_written(before, counts)


def test_grid_moved_outside_its_district_is_refused(demo: Demo) -> None:
    grid = grids()[0]
    far = shapely.affinity.translate(geom(grid), xoff=0.3)
    before, counts = tree_state(), write_counts()
    report = run(demo, collection([feature(grid, geometry=as_geojson(far))]), dry_run=False)
    outside = [i for i in report.errors if i.code == "outside_parent"]
    assert [(i.unit_code, i.other_code) for i in outside] == [(grid.code, parent_of(grid).code)]
    assert grid.code in outside[0].message_zh
    assert "gap" in {i.code for i in report.errors}  # the hole it left in its district
    assert_nothing_written(before, counts)


def test_grid_reassigned_to_a_distant_district_is_refused(demo: Demo) -> None:
    grid = grids()[0]
    distant = next(d for d in OrgUnit.objects.filter(kind=OrgKind.DISTRICT) if not geom(d).intersects(geom(grid)))
    before, counts = tree_state(), write_counts()
    report = run(demo, collection([feature(grid, parent_code=distant.code)]), dry_run=False)
    outside = [i for i in report.errors if i.code == "outside_parent"]
    assert [(i.unit_code, i.other_code) for i in outside] == [(grid.code, distant.code)]
    assert_nothing_written(before, counts)


def test_unknown_parent_is_refused(demo: Demo) -> None:
    grid = grids()[0]
    report = run(demo, collection([feature(grid, parent_code="999999999999")]), dry_run=True)
    assert any(i.code == "unknown_parent" and i.unit_code == grid.code for i in report.errors)


def test_a_code_of_another_kind_of_unit_is_refused(demo: Demo) -> None:
    """A department's (no polygon) or a station's code reused for a grid is an error naming the code."""
    grid = grids()[0]
    department = OrgUnit.objects.filter(kind=OrgKind.DEPARTMENT).first()
    assert department is not None
    before, counts = tree_state(), write_counts()
    for code in (department.code, demo.stations[0].code):
        report = run(demo, collection([feature(grid, code=code)]), dry_run=False)
        assert not report.applied
        (issue,) = [i for i in report.errors if i.code == "kind_changed"]
        assert issue.unit_code == code and code in issue.message_zh
    assert_nothing_written(before, counts)


def test_a_closed_unit_cannot_be_reimported(demo: Demo) -> None:
    from zhufang.org import services

    services.plan_station_merger(
        actor=None,
        target=demo.stations[0],
        sources=[demo.stations[1]],
        effective_date=demo.stations[1].valid_from or dt.date(2026, 1, 1),
    )
    closed = OrgUnit.objects.select_related("parent").get(pk=demo.stations[1].pk)
    before, counts = tree_state(), write_counts()
    report = run(demo, collection([feature(closed)]), dry_run=False)
    assert not report.applied
    (issue,) = [i for i in report.errors if i.code == "unit_closed"]
    assert issue.unit_code == closed.code and closed.code in issue.message_zh
    assert_nothing_written(before, counts)


def test_a_unit_refused_while_applying_rolls_the_whole_import_back(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ValidationError

    from zhufang.org import services

    first, second = grids()[:2]
    real_update = services.update_unit

    def update_unit(**kwargs: Any) -> OrgUnit:
        if kwargs["unit"].pk == second.pk:
            raise ValidationError({"name": "refused for the test"})
        return real_update(**kwargs)

    monkeypatch.setattr(services, "update_unit", update_unit)
    before, counts = tree_state(), write_counts()
    report = run(demo, collection([feature(first, name="甲"), feature(second, name="乙")]), dry_run=False)
    assert not report.applied
    (issue,) = report.errors
    assert issue.code == "rejected" and "refused for the test" in issue.message_zh
    assert issue.message_zh.startswith("grids.geojson")
    assert (report.updated, report.unchanged) == (2, 0)  # what the file would change
    assert_nothing_written(before, counts)


def test_moving_a_grid_to_the_neighbouring_district(demo: Demo) -> None:
    """The grid changes district, and both districts' polygons follow: 1 moved, 2 updated."""
    units = grids()
    districts = {d.pk: d for d in OrgUnit.objects.filter(kind=OrgKind.DISTRICT).select_related("parent")}
    for grid in units:
        home = parent_of(grid)
        if OrgUnit.objects.filter(parent=home).count() < 3:
            continue
        for other in districts.values():
            if (
                other.pk != home.pk
                and other.parent_id == home.parent_id
                and geom(other).intersection(geom(grid)).length > 0
            ):
                break
        else:
            continue
        break
    else:
        raise AssertionError("no grid on the border of two districts of one station")
    new_home = geom(home).difference(geom(grid))
    new_other = geom(other).union(geom(grid))
    text = collection(
        [
            feature(home, geometry=as_geojson(new_home)),
            feature(other, geometry=as_geojson(new_other)),
            feature(grid, parent_code=other.code),
        ]
    )
    point = geom(grid).representative_point()
    assert locate_point(point.x, point.y).district == home

    dry = run(demo, text, dry_run=True)
    assert dry.errors == [], [i.message_zh for i in dry.errors]
    assert (dry.created, dry.updated, dry.moved, dry.unchanged) == (0, 2, 1, 0)

    report = run(demo, text, dry_run=False)
    assert report.applied and (report.created, report.updated, report.moved, report.unchanged) == (0, 2, 1, 0)
    grid.refresh_from_db()
    assert grid.parent_id == other.pk and grid.path == f"{other.path}{grid.pk}/"
    assert audit_rows(grid, AuditAction.UPDATE)[0].changes["parent"] == [home.pk, other.pk]
    located = locate_point(point.x, point.y)
    assert located.grid == grid and located.district == other


def test_splitting_a_grid_creates_a_new_one(demo: Demo) -> None:
    grid = grids()[0]
    shape = geom(grid)
    x0, y0, x1, y1 = shape.bounds
    west = shapely.set_precision(shape.intersection(box(x0 - 1, y0 - 1, (x0 + x1) / 2, y1 + 1)), 1e-7)
    east = shapely.set_precision(shape.difference(west), 1e-7)
    text = collection(
        [
            feature(grid, geometry=as_geojson(west)),
            feature(grid, code=grid.code[:-3] + "999", name="新拆分网格", geometry=as_geojson(east)),
        ]
    )
    report = run(demo, text, dry_run=False)
    assert report.errors == [], [i.message_zh for i in report.errors]
    assert report.applied and (report.created, report.updated) == (1, 1)
    new = OrgUnit.objects.get(code=grid.code[:-3] + "999")
    assert new.parent_id == grid.parent_id and new.path == f"{parent_of(grid).path}{new.pk}/"
    assert audit_rows(new, AuditAction.CREATE)
    point = east.representative_point()
    assert locate_point(point.x, point.y).grid == new


def test_gcj02_file_is_converted(demo: Demo) -> None:
    from zhufang.org.geometry.coords import convert_geometry, wgs84_to_gcj02_arrays

    grid = grids()[0]
    gcj = shapely.transform(geom(grid), lambda c: np.column_stack(wgs84_to_gcj02_arrays(c[:, 0], c[:, 1])))
    assert not gcj.equals_exact(geom(grid), 1e-4)  # GCJ-02 is a few hundred metres off
    assert convert_geometry(gcj, "gcj02").equals_exact(geom(grid), 1e-7)
    text = json.dumps(
        {"type": "FeatureCollection", "crs": "gcj02", "features": [feature(grid, geometry=as_geojson(gcj))]}
    )
    report = run(demo, text, dry_run=True)
    assert report.errors == [] and report.created == 0 and report.moved == 0


# --- page and API -------------------------------------------------------------------------------------


def test_import_page_dry_run_and_apply(demo: Demo) -> None:
    units = grids()
    text = collection([feature(g, name="页面改名") if g.pk == units[0].pk else feature(g) for g in units])
    client = demo.client_for("system_admin")
    assert client.get("/org/import/").status_code == 200
    before, counts = tree_state(), write_counts()

    page = client.post(
        "/org/import/",
        {"file": SimpleUploadedFile("grids.geojson", text.encode()), "apply": "0"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="import-report"' in html
    assert "grids.geojson" in html and "checked, ready to import" in html
    assert "Changed 1" in html and "Unchanged 39" in html
    assert_nothing_written(before, counts)

    page = client.post(
        "/org/import/",
        {"file": SimpleUploadedFile("grids.geojson", text.encode()), "apply": "1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "imported" in page.content.decode()
    assert OrgUnit.objects.get(pk=units[0].pk).name == "页面改名"


def test_import_page_shows_errors_in_chinese_and_handles_bad_uploads(demo: Demo) -> None:
    a, b = neighbours()
    text = collection([feature(a, geometry=as_geojson(geom(a).union(geom(b))))])
    client = demo.client_for("system_admin")
    before, counts = tree_state(), write_counts()
    html = client.post(
        "/org/import/", {"file": SimpleUploadedFile("x.geojson", text.encode()), "apply": "1"}
    ).content.decode()
    assert 'class="issue-error"' in html and a.code in html and b.code in html and "重叠" in html
    html = client.post("/org/import/", {"file": SimpleUploadedFile("x.geojson", "名字".encode("gbk"))}).content.decode()
    assert "x.geojson" in html and "import-report" not in html
    html = client.post("/org/import/", {"file": SimpleUploadedFile("y.geojson", b"{oops")}).content.decode()
    assert "y.geojson" in html and "invalid_json" not in html and "JSON" in html
    assert client.post("/org/import/", {}).status_code == 200
    assert_nothing_written(before, counts)
    # a BOM is accepted
    ok = client.post(
        "/org/import/",
        {"file": SimpleUploadedFile("z.geojson", b"\xef\xbb\xbf" + collection([feature(a)]).encode())},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Unchanged 1" in ok


def test_import_api(demo: Demo) -> None:
    units = grids()
    a, b = neighbours()
    client = demo.client_for("system_admin")
    body = {"geojson": collection([feature(g) for g in units]), "source_name": "api.geojson"}
    response = client.post("/api/v1/org/geojson-import", body, content_type="application/json")
    assert response.status_code == 200
    data = response.json()
    assert data["dry_run"] is True and data["applied"] is False and data["unchanged"] == 40 and data["errors"] == []

    bad = {"geojson": collection([feature(a, geometry=as_geojson(geom(a).union(geom(b))))]), "dry_run": False}
    before, counts = tree_state(), write_counts()
    data = client.post("/api/v1/org/geojson-import", bad, content_type="application/json").json()
    assert data["applied"] is False
    assert any(e["code"] == "overlap" and {e["unit_code"], e["other_code"]} == {a.code, b.code} for e in data["errors"])
    assert_nothing_written(before, counts)

    renamed = {"geojson": collection([feature(a, name="接口改名")]), "dry_run": False}
    data = client.post("/api/v1/org/geojson-import", renamed, content_type="application/json").json()
    assert data["applied"] is True and data["updated"] == 1
    assert OrgUnit.objects.get(pk=a.pk).name == "接口改名"

    for role in ("centre_operator", "station_head", "security_admin"):
        response = demo.client_for(role).post("/api/v1/org/geojson-import", body, content_type="application/json")
        assert response.status_code == 403, role
        assert demo.client_for(role).get("/org/import/").status_code == 403
