"""Organisation pages (tree, drill-down, HTMX partial, unit forms) and the unit API."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from zhufang.audit.models import AuditAction
from zhufang.conftest import Demo
from zhufang.org.models import OrgUnit
from zhufang.org.tests.helpers import as_geojson, audit_rows, geom, params, parent_of, tree_state, write_counts

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def grids_of(district: OrgUnit) -> list[OrgUnit]:
    return list(OrgUnit.objects.active().filter(parent=district).order_by("code"))


def children_table(html: str) -> str:
    match = re.search(r'<table class="table table-sm card-table">.*?</table>', html, re.S)
    assert match, "no children table"
    return match.group(0)


# --- the tree page --------------------------------------------------------------------------------


def test_tree_page_for_the_centre_shows_every_station_and_the_map(demo: Demo) -> None:
    response = demo.client_for("centre_operator").get("/org/")
    assert response.status_code == 200
    html = response.content.decode()
    for station in demo.stations:
        assert station.code in html and station.name in html
    assert 'id="map"' in html and 'data-api="/api/v1/org/map"' in html
    assert f'data-within="{demo.bureau.pk}"' in html and 'data-kind="station"' in html
    assert 'data-testid="current-unit">' + demo.bureau.name in html
    counts = re.search(r'data-testid="unit-counts">(.*?)</div>\s*<div id="map"', html, re.S)
    assert counts and [int(n) for n in re.findall(r"<b>(\d+)</b>", counts.group(1))][:3] == [3, 8, 40]
    # outside units are listed too
    assert "370724ZA" in html and "370724001" in html


def test_tree_page_drills_into_a_district(demo: Demo) -> None:
    district = demo.districts[2]
    response = demo.client_for("centre_operator").get("/org/", {"unit": district.pk})
    assert response.status_code == 200
    table = children_table(response.content.decode())
    own = grids_of(district)
    assert own and all(g.code in table for g in own)
    others = [g for g in demo.grids if g.parent_id != district.pk]
    assert not any(g.code in table for g in others)
    html = response.content.decode()
    assert f'data-within="{district.pk}"' in html and 'data-kind="grid"' in html
    station = parent_of(district)
    assert f'<a href="?unit={station.pk}">{station.name}</a></li>' in html  # breadcrumb


def test_tree_page_keeps_a_community_officer_inside_their_district(demo: Demo) -> None:
    officer = demo.user("community_officer")
    client = demo.client_for("community_officer")
    html = client.get("/org/").content.decode()
    assert demo.stations[0].code in html
    assert demo.stations[1].code not in html and demo.stations[2].code not in html
    assert client.get("/org/", {"unit": officer.unit_id}).status_code == 200
    foreign = next(d for d in demo.districts if d.pk != officer.unit_id)
    assert client.get("/org/", {"unit": foreign.pk}).status_code == 404
    foreign_grid = next(g for g in demo.grids if g.parent_id != officer.unit_id)
    assert client.get("/org/", {"unit": foreign_grid.pk}).status_code == 404
    assert client.get("/org/", {"unit": demo.stations[2].pk}).status_code == 404
    for junk in ("abc", "999999", "1.5", "-3"):
        assert client.get("/org/", {"unit": junk}).status_code == 404, junk


def test_grids_partial(demo: Demo) -> None:
    district = demo.districts[0]
    response = demo.client_for("centre_operator").get(f"/org/units/{district.pk}/grids/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<li>") == len(grids_of(district))
    assert all(f'href="?unit={g.pk}"' in html and g.code in html for g in grids_of(district))
    assert "<html" not in html  # a fragment, not a page
    officer = demo.client_for("community_officer")
    assert officer.get(f"/org/units/{demo.user('community_officer').unit_id}/grids/").status_code == 200
    assert officer.get(f"/org/units/{demo.districts[-1].pk}/grids/").status_code == 404
    assert demo.client_for("volunteer").get(f"/org/units/{district.pk}/grids/").status_code == 403
    assert Client().get(f"/org/units/{district.pk}/grids/").status_code == 302


# --- administrator's unit forms ----------------------------------------------------------------------


def test_new_unit_page_creates_a_unit(demo: Demo) -> None:
    client = demo.client_for("system_admin")
    district = demo.districts[0]
    form = client.get("/org/units/new/", {"parent": district.pk})
    assert form.status_code == 200 and 'name="code"' in form.content.decode()
    polygon = json.dumps(as_geojson(geom(demo.grids[0]).buffer(-0.0003)))
    response = client.post(
        "/org/units/new/",
        {
            "kind": "grid",
            "code": "370724010100777",
            "name": "新建网格",
            "parent": district.pk,
            "head_name": "李强",
            "phone": "",
            "polygon": polygon,
        },
    )
    unit = OrgUnit.objects.get(code="370724010100777")
    assert response.status_code == 302 and response["Location"] == f"/org/?unit={unit.pk}"
    assert unit.parent_id == district.pk and unit.path == f"{district.path}{unit.pk}/" and unit.polygon
    (row,) = audit_rows(unit, AuditAction.CREATE)
    assert row.actor_id == demo.users["system_admin"].pk


def test_new_unit_page_shows_service_errors_on_their_fields(demo: Demo) -> None:
    client = demo.client_for("system_admin")
    before, counts = tree_state(), write_counts()
    duplicate = client.post(
        "/org/units/new/",
        {"kind": "grid", "code": demo.grids[0].code, "name": "重复", "parent": demo.districts[0].pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert duplicate.status_code == 200
    html = duplicate.content.decode()
    assert re.search(r'data-testid="error-code">[^<]*already exists', html)
    assert demo.grids[0].code in html
    wrong_parent = client.post(
        "/org/units/new/",
        {"kind": "grid", "code": "X1", "name": "x", "parent": demo.stations[0].pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert 'data-testid="error-parent"' in wrong_parent.content.decode()
    bad_polygon = client.post(
        "/org/units/new/",
        {"kind": "grid", "code": "X2", "name": "x", "parent": demo.districts[0].pk, "polygon": "{oops"},
    )
    assert 'data-testid="error-polygon"' in bad_polygon.content.decode()
    chinese = client.post(
        "/org/units/new/", {"kind": "grid", "code": demo.grids[0].code, "name": "重复", "parent": demo.districts[0].pk}
    )
    assert re.search(r'data-testid="error-code">[^<]*已存在', chinese.content.decode())
    assert tree_state() == before and write_counts() == counts
    assert demo.client_for("station_head").get("/org/units/new/").status_code == 403
    assert demo.client_for("security_admin").post("/org/units/new/", {}).status_code == 403


def test_edit_unit_page(demo: Demo) -> None:
    client = demo.client_for("system_admin")
    grid = demo.grids[1]
    page = client.get(f"/org/units/{grid.pk}/edit/")
    assert page.status_code == 200 and grid.code in page.content.decode()
    polygon = json.dumps(grid.polygon, ensure_ascii=False)
    response = client.post(
        f"/org/units/{grid.pk}/edit/",
        {"code": grid.code, "name": "改过的网格", "head_name": "王芳", "phone": "", "polygon": polygon},
    )
    assert response.status_code == 302
    (row,) = audit_rows(grid, AuditAction.UPDATE)
    assert row.changes["name"] == [grid.name, "改过的网格"] and "polygon" not in row.changes
    duplicate = client.post(
        f"/org/units/{grid.pk}/edit/", {"code": demo.grids[2].code, "name": "x", "polygon": polygon}
    )
    assert 'data-testid="error-code"' in duplicate.content.decode()
    assert OrgUnit.objects.get(pk=grid.pk).code == grid.code
    assert client.get("/org/units/999999/edit/").status_code == 404


# --- the unit API ---------------------------------------------------------------------------------


def test_units_api_filters(demo: Demo) -> None:
    client = demo.client_for("centre_operator")
    district = demo.districts[1]
    rows = client.get("/api/v1/org/units", {"parent_id": district.pk}).json()
    assert [r["code"] for r in rows] == [g.code for g in grids_of(district)]
    assert {r["kind"] for r in client.get("/api/v1/org/units", {"kind": "station"}).json()} == {"station"}
    rows = client.get("/api/v1/org/units", {"q": demo.stations[0].code[:8]}).json()
    assert rows and all(
        r["code"].startswith(demo.stations[0].code[:8]) or demo.stations[0].code[:8] in r["name"] for r in rows
    )
    assert {r["id"] for r in client.get("/api/v1/org/units", {"q": "城关派出所"}).json()} == {demo.stations[0].pk}
    assert len(client.get("/api/v1/org/units", {"limit": 5}).json()) == 5
    assert client.get("/api/v1/org/units", {"limit": -1}).json() == []
    OrgUnit.objects.filter(pk=demo.grids[0].pk).update(valid_to="2026-01-01")
    ids = {r["id"] for r in client.get("/api/v1/org/units", {"kind": "grid"}).json()}
    assert demo.grids[0].pk not in ids and len(ids) == 39
    ids = {r["id"] for r in client.get("/api/v1/org/units", params(kind="grid", include_inactive=True)).json()}
    assert demo.grids[0].pk in ids


def test_unit_detail_api_has_counts_and_ancestors(demo: Demo) -> None:
    client = demo.client_for("centre_operator")
    station = demo.stations[0]
    data = client.get(f"/api/v1/org/units/{station.pk}").json()
    districts = OrgUnit.objects.filter(parent=station)
    assert data["counts"]["districts"] == districts.count()
    assert data["counts"]["grids"] == OrgUnit.objects.filter(parent__in=districts).count()
    assert data["counts"]["users"] > 0
    assert [a["id"] for a in data["ancestors"]] == [demo.bureau.pk]
    grid = demo.grids[0]
    data = client.get(f"/api/v1/org/units/{grid.pk}").json()
    assert [a["kind"] for a in data["ancestors"]] == ["bureau", "station", "district"]
    assert client.get("/api/v1/org/units/999999").status_code == 404


def test_map_api(demo: Demo) -> None:
    client = demo.client_for("centre_operator")
    district = demo.districts[0]
    data = client.get("/api/v1/org/map", params(kind="grid", within_id=district.pk)).json()
    assert data["type"] == "FeatureCollection"
    assert {f["properties"]["code"] for f in data["features"]} == {g.code for g in grids_of(district)}
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"} for f in data["features"])
    stations = client.get("/api/v1/org/map", {"kind": "station"}).json()["features"]
    assert len(stations) == 3
    officer = demo.client_for("community_officer")
    foreign = next(d for d in demo.districts if d.pk != demo.user("community_officer").unit_id)
    assert officer.get("/api/v1/org/map", params(kind="grid", within_id=foreign.pk)).status_code == 404


def test_create_and_update_units_through_the_api(demo: Demo) -> None:
    client = demo.client_for("system_admin")
    district = demo.districts[0]
    body = {
        "kind": "grid",
        "code": "370724010100888",
        "name": "接口网格",
        "parent_id": district.pk,
        "polygon": as_geojson(geom(demo.grids[0]).buffer(-0.0003)),
    }
    response = client.post("/api/v1/org/units", body, content_type="application/json")
    assert response.status_code == 201
    unit = OrgUnit.objects.get(code="370724010100888")
    assert response.json()["id"] == unit.pk and response.json()["depth"] == 3

    before, counts = tree_state(), write_counts()
    duplicate = client.post("/api/v1/org/units", body, content_type="application/json")
    assert duplicate.status_code == 422 and "code" in duplicate.json()["errors"]
    wrong = client.post(
        "/api/v1/org/units", {**body, "code": "Y1", "parent_id": demo.stations[0].pk}, content_type="application/json"
    )
    assert wrong.status_code == 422 and "parent" in wrong.json()["errors"]
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[118.5, 36.5], [118.51, 36.51], [118.51, 36.5], [118.5, 36.51], [118.5, 36.5]]],
    }
    invalid = client.post(
        "/api/v1/org/units", {**body, "code": "Y2", "polygon": bowtie}, content_type="application/json"
    )
    assert invalid.status_code == 422 and "polygon" in invalid.json()["errors"]
    unknown = client.post(
        "/api/v1/org/units", {**body, "code": "Y3", "kind": "village"}, content_type="application/json"
    )
    assert unknown.status_code == 422
    assert tree_state() == before and write_counts() == counts

    patched = client.patch(
        f"/api/v1/org/units/{unit.pk}", {"name": "改名", "phone": "0536-1"}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["name"] == "改名"
    (row,) = audit_rows(unit, AuditAction.UPDATE)
    assert row.changes == {"name": ["接口网格", "改名"], "phone": ["", "0536-1"]}
    clash = client.patch(f"/api/v1/org/units/{unit.pk}", {"code": demo.grids[0].code}, content_type="application/json")
    assert clash.status_code == 422 and "code" in clash.json()["errors"]

    for role in ("centre_operator", "station_head", "security_admin", "audit_admin"):
        other = demo.client_for(role)
        assert (
            other.post("/api/v1/org/units", {**body, "code": "Z"}, content_type="application/json").status_code == 403
        ), role
        assert (
            other.patch(f"/api/v1/org/units/{unit.pk}", {"name": "x"}, content_type="application/json").status_code
            == 403
        ), role
    assert Client().get("/api/v1/org/units").status_code == 401


def test_kind_labels_are_translated_on_pages(demo: Demo) -> None:
    html = demo.client_for("centre_operator").get("/org/", {"unit": demo.stations[0].pk}).content.decode()
    assert "警务区" in html
    html = (
        demo.client_for("centre_operator")
        .get("/org/", {"unit": demo.stations[0].pk}, HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Police district" in html
