from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from zhufang.org.geometry.coords import area_km2, area_m2
from zhufang.org.geometry.demo_polygons import (
    KINDS,
    PARENT_KIND,
    PRECISION,
    Jurisdiction,
    UnitShape,
    generate_jurisdiction,
    significant_prefix,
)

from .helpers import jurisdiction

pytestmark = pytest.mark.sqlite

EXPECTED = {
    "small": {"bureau": 1, "station": 3, "district": 8, "grid": 40, "township": 4},
    "county": {"bureau": 1, "station": 12, "district": 104, "grid": 1636, "township": 10},
    "city": {"bureau": 10, "station": 120, "district": 1040, "grid": 16360, "township": 100},
}
CODE_LENGTHS = {"bureau": 12, "station": 12, "district": 12, "grid": 15, "township": 9}


def _fingerprint(j: Jurisdiction) -> list[tuple[str, str, str, str | None, bytes]]:
    return [(u.code, u.name, u.kind, u.parent_code, shapely.to_wkb(u.polygon)) for u in j.units()]


@pytest.mark.parametrize("size", ["small", "county"])
def test_exact_counts(size: str) -> None:
    assert jurisdiction(size).counts() == EXPECTED[size]


def test_city_counts_and_nesting() -> None:
    city = generate_jurisdiction("city")
    assert city.counts() == EXPECTED["city"]
    _assert_exact_nesting(city)


def test_deterministic() -> None:
    assert _fingerprint(generate_jurisdiction("small", 2026)) == _fingerprint(jurisdiction("small"))
    assert _fingerprint(generate_jurisdiction("county", 2026)) == _fingerprint(jurisdiction("county"))
    assert _fingerprint(generate_jurisdiction("small", 7)) != _fingerprint(jurisdiction("small"))


def test_unknown_size() -> None:
    with pytest.raises(ValueError, match="unknown size"):
        generate_jurisdiction("province")


@pytest.mark.parametrize("size", ["small", "county"])
def test_codes_unique_and_prefixed(size: str) -> None:
    j = jurisdiction(size)
    units = j.units()
    by_code = {u.code: u for u in units}
    assert len(by_code) == len(units)
    for u in units:
        assert u.code.isdigit() and len(u.code) == CODE_LENGTHS[u.kind], u
        expected_parent_kind = PARENT_KIND[u.kind]
        if expected_parent_kind is None:
            assert u.parent_code is None
            assert u.code.endswith("000000")
            continue
        parent = by_code[u.parent_code or ""]
        assert parent.kind == expected_parent_kind
        assert u.code.startswith(significant_prefix(parent.code, parent.kind))
    assert j.bureau.code == "370724000000"
    assert j.bureau.name == "临朐县公安局"
    assert j.grids[0].code.startswith(j.districts[0].code)  # the district code itself is a prefix


def test_names() -> None:
    county = jurisdiction("county")
    station_names = [s.name for s in county.stations]
    assert station_names[0] == "城关派出所"
    assert set(station_names) == {
        f"{n}派出所"
        for n in (
            "城关",
            "南关",
            "北关",
            "城里",
            "东城",
            "五井",
            "冶源",
            "寺头",
            "九山",
            "辛寨",
            "龙岗",
            "柳山",
        )
    }
    by_code = {u.code: u for u in county.units()}
    for d in county.districts:
        short = by_code[d.parent_code or ""].name.removesuffix("派出所")
        assert d.name.startswith(f"{short}第") and d.name.endswith("警务区")
    for g in county.grids:
        assert g.name.startswith(by_code[g.parent_code or ""].name + "第") and g.name.endswith("网格")
    assert [t.name for t in county.townships][:3] == ["城关街道", "东城街道", "冶源镇"]
    assert len({t.name for t in county.townships}) == 10


def _assert_exact_nesting(j: Jurisdiction) -> None:
    by_code = {u.code: u for u in j.units()}
    groups: dict[tuple[str, str], list[UnitShape]] = defaultdict(list)
    for u in j.units():
        if u.parent_code:
            groups[(u.parent_code, u.kind)].append(u)
    for (parent_code, _kind), children in groups.items():
        parent = by_code[parent_code].polygon
        geoms = np.array([c.polygon for c in children], dtype=object)
        union = shapely.union_all(geoms)
        # union of the children equals the parent (1e-9 relative area tolerance; in practice exactly 0)
        assert shapely.symmetric_difference(union, parent).area <= 1e-9 * parent.area
        assert float(np.sum(shapely.area(geoms))) == pytest.approx(parent.area, rel=1e-9)
        # siblings form a valid coverage: no overlaps, shared edges vertex-identical
        assert shapely.coverage_is_valid(geoms)
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        pairs = left < right
        assert not shapely.relate_pattern(geoms[left[pairs]], geoms[right[pairs]], "T********").any()


@pytest.mark.parametrize("size", ["small", "county"])
def test_nesting_exact(size: str) -> None:
    _assert_exact_nesting(jurisdiction(size))


@pytest.mark.parametrize("size", ["small", "county"])
def test_geometry_is_clean(size: str) -> None:
    j = jurisdiction(size)
    geoms = np.array([u.polygon for u in j.units()], dtype=object)
    assert shapely.is_valid(geoms).all()
    # "single Polygon where possible": with the default seed every unit is one Polygon
    assert all(isinstance(g, Polygon) for g in geoms)
    coords = shapely.get_coordinates(geoms)
    scaled = coords / PRECISION
    assert np.max(np.abs(scaled - np.round(scaled))) < 1e-3  # every coordinate has <= 6 decimals
    for kind in KINDS:
        assert shapely.coverage_is_valid(np.array([u.polygon for u in j.by_kind(kind)], dtype=object))


def test_county_location_size_and_density() -> None:
    j = jurisdiction("county")
    bureau = j.bureau.polygon
    c = bureau.centroid
    assert abs(c.x - 118.54) < 0.1 and abs(c.y - 36.51) < 0.1
    minx, miny, maxx, maxy = bureau.bounds
    assert 0.4 < maxx - minx < 0.8 and 0.35 < maxy - miny < 0.7  # ~50 km across
    assert 1500 < area_km2(bureau) < 2600
    grids = np.array([g.polygon for g in j.grids], dtype=object)
    areas = area_m2(grids)
    reps = shapely.point_on_surface(grids)
    dist = np.hypot((shapely.get_x(reps) - 118.54) * 0.8, shapely.get_y(reps) - 36.51)
    urban = dist < np.quantile(dist, 0.2)
    rural = dist > np.quantile(dist, 0.6)
    assert np.median(areas[urban]) * 5 < np.median(areas[rural])  # urban grids are much smaller


def test_townships_do_not_follow_police_boundaries() -> None:
    j = jurisdiction("county")
    towns = np.array([t.polygon for t in j.townships], dtype=object)
    tree = shapely.STRtree(towns)
    split = 0
    for g in j.grids:
        hits = tree.query(g.polygon, predicate="intersects")
        inter = shapely.area(shapely.intersection(g.polygon, towns[hits]))
        split += int((inter > 1e-9 * g.polygon.area).sum() > 1)
    assert split > 20
