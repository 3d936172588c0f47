"""Locate: which grid, police district and station a point falls in (service, API, page, CLI)."""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import pytest
import shapely

from zhufang.conftest import Demo
from zhufang.org import services
from zhufang.org.geometry.coords import wgs84_to_gcj02
from zhufang.org.locating import current_locator, locate_many, locate_point
from zhufang.org.models import OrgKind, OrgUnit
from zhufang.org.tests.helpers import geom, params, parent_of, square

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

FAR_AWAY = (116.39, 39.91)  # Beijing: in China, far outside the demo county


def brute_force(lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every active grid polygon tested against every point; ties (shared edges) go to the smallest code."""
    grids = list(OrgUnit.objects.active().filter(kind=OrgKind.GRID).select_related("parent").order_by("-code"))
    grid_ids = np.full(len(lons), -1, dtype=np.int64)
    district_ids, station_ids = grid_ids.copy(), grid_ids.copy()
    for grid in grids:  # descending code: the smallest code is written last and wins
        hit = shapely.intersects_xy(geom(grid), lons, lats)
        district = parent_of(grid)
        grid_ids[hit], district_ids[hit], station_ids[hit] = grid.pk, district.pk, parent_of(district).pk
    return grid_ids, district_ids, station_ids


def inside(unit: OrgUnit) -> tuple[float, float]:
    point = geom(unit).representative_point()
    return point.x, point.y


def test_locate_many_agrees_with_brute_force_on_random_points(demo: Demo) -> None:
    x0, y0, x1, y1 = geom(demo.bureau).bounds
    rng = np.random.default_rng(2026)
    lons = rng.uniform(x0 - 0.01, x1 + 0.01, 2000)
    lats = rng.uniform(y0 - 0.01, y1 + 0.01, 2000)

    result = locate_many(lons, lats)
    expected = brute_force(lons, lats)

    np.testing.assert_array_equal(result.grid_ids, expected[0])
    np.testing.assert_array_equal(result.district_ids, expected[1])
    np.testing.assert_array_equal(result.station_ids, expected[2])
    found = expected[0] >= 0
    assert 0.5 < found.mean() < 1  # the sample covers the county and some points outside it
    assert len(set(expected[0][found].tolist())) == 40  # and every grid


def test_points_on_shared_edges_and_vertices_follow_the_tie_rule(demo: Demo) -> None:
    coords = np.concatenate([shapely.get_coordinates(geom(g)) for g in demo.grids])
    mids = np.concatenate([(c[:-1] + c[1:]) / 2 for c in (shapely.get_coordinates(geom(g)) for g in demo.grids)])
    points = np.unique(np.concatenate([coords, mids]), axis=0)
    result = locate_many(points[:, 0], points[:, 1])
    expected = brute_force(points[:, 0], points[:, 1])
    np.testing.assert_array_equal(result.grid_ids, expected[0])
    np.testing.assert_array_equal(result.station_ids, expected[2])
    assert (result.grid_ids >= 0).mean() > 0.5


def test_points_outside_every_grid_give_minus_one(demo: Demo) -> None:
    lons = np.array([FAR_AWAY[0], 0.0, np.nan, 118.54])
    lats = np.array([FAR_AWAY[1], 0.0, 36.5, np.nan])
    result = locate_many(lons, lats)
    for ids in (result.grid_ids, result.district_ids, result.station_ids):
        assert ids.tolist() == [-1, -1, -1, -1]
    located = locate_point(*FAR_AWAY)
    assert (located.grid, located.district, located.station) == (None, None, None)


def test_locate_point_returns_the_units(demo: Demo) -> None:
    grid = OrgUnit.objects.select_related("parent__parent").get(pk=demo.grids[5].pk)
    located = locate_point(*inside(grid))
    assert located.grid == grid and located.district == parent_of(grid)
    assert located.station == parent_of(parent_of(grid))


def test_locator_is_rebuilt_when_a_grid_polygon_changes(demo: Demo) -> None:
    grid = demo.grids[3]
    old_point = inside(grid)
    assert locate_point(*old_point).grid == grid
    first = current_locator()
    assert current_locator() is first  # unchanged grids: the cached locator is reused
    _x0, y0, x1, _y1 = geom(demo.bureau).bounds
    elsewhere = square(x1 + 0.05, y0, 0.01)  # a new shape outside the county

    services.update_unit(actor=demo.user("system_admin"), unit=grid, polygon=elsewhere)

    assert current_locator() is not first
    assert locate_point(x1 + 0.055, y0 + 0.005).grid == grid
    assert locate_point(*old_point).grid is None


def test_locator_is_rebuilt_when_grids_are_closed_or_created(demo: Demo) -> None:
    grid = demo.grids[4]
    point = inside(grid)
    assert locate_point(*point).grid == grid
    OrgUnit.objects.filter(pk=grid.pk).update(valid_to=dt.date(2026, 1, 1))
    assert locate_point(*point).grid is None
    x0, y0, _x1, _y1 = geom(demo.bureau).bounds
    new = services.create_unit(
        actor=None,
        kind=OrgKind.GRID,
        code="370724010100900",
        name="新网格",
        parent=demo.districts[0],
        polygon=square(x0 - 0.05, y0, 0.01),
    )
    assert locate_point(x0 - 0.045, y0 + 0.005).grid == new


def test_locator_is_rebuilt_when_a_district_moves(demo: Demo) -> None:
    district = demo.districts[0]
    grid = OrgUnit.objects.filter(parent=district).first()
    assert grid is not None
    point = inside(grid)
    assert locate_point(*point).station == demo.stations[0]
    services.move_unit(actor=None, unit=district, new_parent=demo.stations[2])
    located = locate_point(*point)
    assert located.grid == grid and located.district == district and located.station == demo.stations[2]


# --- API ------------------------------------------------------------------------------------------


def _officer_grid(demo: Demo) -> OrgUnit:
    officer = demo.user("community_officer")
    grid = OrgUnit.objects.filter(parent=officer.unit).order_by("code").first()
    assert grid is not None
    return grid


def test_locate_api_answers_within_scope_only(demo: Demo) -> None:
    officer = demo.client_for("community_officer")
    grid = _officer_grid(demo)
    lon, lat = inside(grid)
    data = officer.get("/api/v1/org/locate", params(lon=lon, lat=lat)).json()
    assert data["grid"]["id"] == grid.pk and data["grid"]["code"] == grid.code
    assert data["district"]["id"] == grid.parent_id
    assert data["station"]["id"] == demo.stations[0].pk

    elsewhere = OrgUnit.objects.filter(kind=OrgKind.GRID, parent__parent=demo.stations[1]).first()
    assert elsewhere is not None
    response = officer.get("/api/v1/org/locate", params(lon=inside(elsewhere)[0], lat=inside(elsewhere)[1]))
    assert response.status_code == 200
    assert response.json() == {"grid": None, "district": None, "station": None}
    # the bureau-wide operator sees it
    data = (
        demo.client_for("centre_operator")
        .get("/api/v1/org/locate", params(lon=inside(elsewhere)[0], lat=inside(elsewhere)[1]))
        .json()
    )
    assert data["grid"]["id"] == elsewhere.pk and data["station"]["id"] == demo.stations[1].pk

    outside = officer.get("/api/v1/org/locate", params(lon=FAR_AWAY[0], lat=FAR_AWAY[1])).json()
    assert outside == {"grid": None, "district": None, "station": None}


def test_locate_api_converts_gcj02(demo: Demo) -> None:
    client = demo.client_for("centre_operator")
    for grid in demo.grids:
        lon, lat = inside(grid)
        gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
        if locate_point(gcj_lon, gcj_lat).grid != grid:  # the raw GCJ-02 point would land elsewhere
            break
    else:
        raise AssertionError("every GCJ-02 offset stays inside its grid; pick a different check")
    data = client.get("/api/v1/org/locate", params(lon=gcj_lon, lat=gcj_lat, crs="gcj02")).json()
    assert data["grid"]["id"] == grid.pk
    data = client.get("/api/v1/org/locate", params(lon=gcj_lon, lat=gcj_lat)).json()
    assert (data["grid"] or {}).get("id") != grid.pk


def test_locate_api_bad_input_and_permissions(demo: Demo) -> None:
    client = demo.client_for("centre_operator")
    assert client.get("/api/v1/org/locate", params(lon="east", lat=36.5)).status_code == 422
    assert client.get("/api/v1/org/locate", params(lon=118.5)).status_code == 422
    assert client.get("/api/v1/org/locate", params(lon=118.5, lat=36.5, crs="bd09")).status_code == 422
    for role in ("volunteer", "audit_admin"):
        assert demo.client_for(role).get("/api/v1/org/locate", params(lon=118.5, lat=36.5)).status_code == 403


def test_batch_locate_api(demo: Demo) -> None:
    x0, y0, x1, y1 = geom(demo.bureau).bounds
    rng = np.random.default_rng(5)
    lons, lats = rng.uniform(x0, x1, 300), rng.uniform(y0, y1, 300)
    expected = locate_many(lons, lats)
    client = demo.client_for("centre_operator")
    response = client.post(
        "/api/v1/org/locate", {"lons": lons.tolist(), "lats": lats.tolist()}, content_type="application/json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["grid_ids"] == expected.grid_ids.tolist()
    assert data["district_ids"] == expected.district_ids.tolist()
    assert data["station_ids"] == expected.station_ids.tolist()

    gcj = np.array([wgs84_to_gcj02(lon, lat) for lon, lat in zip(lons, lats, strict=True)])
    data = client.post(
        "/api/v1/org/locate",
        {"lons": gcj[:, 0].tolist(), "lats": gcj[:, 1].tolist(), "crs": "gcj02"},
        content_type="application/json",
    ).json()
    assert data["grid_ids"] == expected.grid_ids.tolist()

    mismatch = client.post(
        "/api/v1/org/locate", {"lons": [118.5, 118.6], "lats": [36.5]}, content_type="application/json"
    )
    assert mismatch.status_code == 422
    assert client.post("/api/v1/org/locate", {"lons": [], "lats": []}, content_type="application/json").json() == {
        "grid_ids": [],
        "district_ids": [],
        "station_ids": [],
    }


def test_batch_locate_api_hides_units_outside_the_callers_scope(demo: Demo) -> None:
    mine = _officer_grid(demo)
    other = OrgUnit.objects.filter(kind=OrgKind.GRID, parent__parent=demo.stations[1]).first()
    assert other is not None
    points = [inside(mine), inside(other), FAR_AWAY]
    data = (
        demo.client_for("community_officer")
        .post(
            "/api/v1/org/locate",
            {"lons": [p[0] for p in points], "lats": [p[1] for p in points]},
            content_type="application/json",
        )
        .json()
    )
    assert data["grid_ids"] == [mine.pk, -1, -1]
    assert data["district_ids"] == [mine.parent_id, -1, -1]
    assert data["station_ids"] == [demo.stations[0].pk, -1, -1]


# --- page and command line -----------------------------------------------------------------------


def test_locate_page(demo: Demo) -> None:
    client = demo.client_for("community_officer")
    grid = _officer_grid(demo)
    lon, lat = inside(grid)
    page = client.get("/org/locate/")
    assert page.status_code == 200 and 'id="map"' in page.content.decode()
    html = client.get("/org/locate/", params(lon=lon, lat=lat)).content.decode()
    assert 'data-testid="located-grid"' in html and grid.code in html
    other = OrgUnit.objects.filter(kind=OrgKind.GRID, parent__parent=demo.stations[1]).first()
    assert other is not None
    html = client.get(
        "/org/locate/", params(lon=inside(other)[0], lat=inside(other)[1]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "outside your scope" in html and other.code not in html
    html = client.get(
        "/org/locate/", params(lon=FAR_AWAY[0], lat=FAR_AWAY[1]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "outside every grid" in html
    for bad in (params(lon="abc", lat="36"), params(lon="200", lat="36"), params(lon="nan", lat="36")):
        html = client.get("/org/locate/", bad, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "must be numbers" in html and 'data-testid="locate-result"' not in html
    gcj = wgs84_to_gcj02(lon, lat)
    html = client.get("/org/locate/", params(lon=gcj[0], lat=gcj[1], crs="gcj02")).content.decode()
    assert grid.code in html
    assert demo.client_for("volunteer").get("/org/locate/").status_code == 403


def test_command_line_locate(demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    from zhufang import commands
    from zhufang.cli import main

    grid = OrgUnit.objects.select_related("parent__parent").get(pk=demo.grids[2].pk)
    lon, lat = inside(grid)
    assert main(["locate", str(lon), str(lat)]) == 0
    out = capsys.readouterr().out
    assert grid.code in out and parent_of(grid).code in out and parent_of(parent_of(grid)).code in out

    gcj = wgs84_to_gcj02(lon, lat)
    assert commands.locate(argparse.Namespace(lon=gcj[0], lat=gcj[1], crs="gcj02")) == 0
    assert grid.code in capsys.readouterr().out

    assert main(["locate", str(FAR_AWAY[0]), str(FAR_AWAY[1])]) == 1
    assert "outside every grid" in capsys.readouterr().out
