from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from zhufang.org.geometry.coords import (
    area_km2,
    area_m2,
    convert_geometry,
    gcj02_to_wgs84,
    gcj02_to_wgs84_arrays,
    normalize_crs,
    wgs84_to_gcj02,
    wgs84_to_gcj02_arrays,
)

pytestmark = pytest.mark.sqlite

# (wgs lon, wgs lat, gcj lon, gcj lat): the published eviltransform / coordtransform reference values
REFERENCE = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
]


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians(lat1))
    dy = (lat2 - lat1) * 110_574.0
    return math.hypot(dx, dy)


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), REFERENCE)
def test_reference_values(wlon: float, wlat: float, glon: float, glat: float) -> None:
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)
    back = gcj02_to_wgs84(glon, glat)
    assert _metres(*back, wlon, wlat) < 0.01


china_lon = st.floats(min_value=73.0, max_value=135.0)
china_lat = st.floats(min_value=18.0, max_value=53.5)


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_within_half_a_metre(lon: float, lat: float) -> None:
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert 1.0 < _metres(lon, lat, glon, glat) < 1500.0  # the obfuscation really moves the point
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert _metres(lon, lat, wlon, wlat) < 0.5
    assert _metres(lon, lat, wlon, wlat) < 0.001  # in fact far better


@settings(max_examples=100, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_inverse_then_forward(lon: float, lat: float) -> None:
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    glon, glat = wgs84_to_gcj02(wlon, wlat)
    assert _metres(lon, lat, glon, glat) < 0.001


@pytest.mark.parametrize(("lon", "lat"), [(139.69, 35.69), (0.0, 51.48), (-74.0, 40.7), (150.0, -33.9)])
def test_outside_china_unchanged(lon: float, lat: float) -> None:
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_arrays_match_scalars_and_mixed_inside_outside() -> None:
    rng = np.random.default_rng(1)
    lons = np.concatenate([rng.uniform(100, 120, 50), [139.69, 0.0]])
    lats = np.concatenate([rng.uniform(25, 40, 50), [35.69, 51.48]])
    glons, glats = wgs84_to_gcj02_arrays(lons, lats)
    wlons, wlats = gcj02_to_wgs84_arrays(glons, glats)
    for i in range(len(lons)):
        assert (glons[i], glats[i]) == pytest.approx(wgs84_to_gcj02(lons[i], lats[i]), abs=1e-12)
        assert (wlons[i], wlats[i]) == pytest.approx(gcj02_to_wgs84(glons[i], glats[i]), abs=1e-12)
    assert np.max(np.abs(wlons - lons)) < 1e-8
    assert (glons[-2:], glats[-2:]) == (pytest.approx([139.69, 0.0]), pytest.approx([35.69, 51.48]))


def test_convert_geometry_converts_every_vertex() -> None:
    wgs = shapely.Polygon([(118.5, 36.5), (118.6, 36.5), (118.6, 36.6), (118.5, 36.6)])
    coords = shapely.get_coordinates(wgs)
    glon, glat = wgs84_to_gcj02_arrays(coords[:, 0], coords[:, 1])
    gcj = shapely.Polygon(np.column_stack([glon, glat]))
    back = convert_geometry(gcj, "GCJ-02")
    assert np.max(np.abs(shapely.get_coordinates(back) - coords)) < 1e-8
    assert convert_geometry(wgs, "EPSG:4326") is wgs
    with pytest.raises(ValueError, match="unsupported CRS"):
        convert_geometry(wgs, "bd09")
    assert normalize_crs(" gcj02 ") == "gcj02"


def test_area_matches_geodesic_area() -> None:
    import pyproj  # comes with geopandas (test requirements)

    geod = pyproj.Geod(ellps="WGS84")
    poly = shapely.segmentize(shapely.Polygon([(118.3, 36.3), (118.8, 36.25), (118.75, 36.7), (118.35, 36.75)]), 0.001)
    expected = abs(geod.geometry_area_perimeter(poly)[0])
    assert area_m2(poly) == pytest.approx(expected, rel=1e-6)
    assert area_km2(poly) == pytest.approx(expected / 1e6, rel=1e-6)
    many = area_m2(np.array([poly, shapely.Polygon()], dtype=object))
    assert many[0] == pytest.approx(expected, rel=1e-6)
    assert many[1] == 0.0


def test_one_degree_square_at_equator() -> None:
    # 1° x 1° at the equator on WGS-84 is 12,308.8 km² (geodesic edges differ only negligibly)
    cell = shapely.segmentize(shapely.box(0, 0, 1, 1), 0.01)
    assert area_km2(cell) == pytest.approx(12_308.8, rel=1e-4)
