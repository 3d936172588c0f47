from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.affinity import translate
from shapely.geometry import mapping

from zhufang.org.geometry.coords import wgs84_to_gcj02_arrays
from zhufang.org.geometry.demo_polygons import Jurisdiction, UnitShape
from zhufang.org.geometry.validation import (
    ERROR,
    WARNING,
    Issue,
    format_issues,
    issues_ok,
    parse_geojson_units,
    validate_units,
)

from .helpers import jurisdiction

pytestmark = pytest.mark.sqlite


def _replace(units: list[UnitShape], code: str, **changes: Any) -> list[UnitShape]:
    return [dataclasses.replace(u, **changes) if u.code == code else u for u in units]


def _by_code(issues: list[Issue], code: str) -> list[Issue]:
    return [i for i in issues if i.code == code]


def _neighbours(j: Jurisdiction) -> tuple[UnitShape, UnitShape]:
    """Two grids of the same district sharing an edge."""
    for a in j.grids:
        for b in j.grids:
            if a.code < b.code and a.parent_code == b.parent_code:
                shared = a.polygon.boundary.intersection(b.polygon.boundary)
                if shared.length > 0:
                    return a, b
    raise AssertionError("no neighbours")


@pytest.mark.parametrize("size", ["small", "county"])
def test_demo_data_is_clean(size: str) -> None:
    assert validate_units(jurisdiction(size).units(), 0.0, 0.0) == []


def test_planted_overlap_is_an_error_naming_both_grids() -> None:
    j = jurisdiction("small")
    a, b = _neighbours(j)
    grown = shapely.set_precision(a.polygon.union(b.polygon.buffer(-0.001)), 1e-6)
    issues = validate_units(_replace(j.units(), a.code, polygon=grown), 100.0, 100.0)
    overlaps = _by_code(issues, "overlap")
    assert overlaps and all(i.level == ERROR for i in overlaps)
    pair = next(i for i in overlaps if {i.unit_code, i.other_code} == {a.code, b.code})
    assert pair.area_m2 is not None and pair.area_m2 > 100
    assert re.fullmatch(rf"网格{a.code}与网格{b.code}重叠，重叠面积\d+平方米", pair.message_zh)
    assert not issues_ok(issues)
    # the grown grid also sticks out of... nothing: b is in the same district, so no outside_parent
    assert not _by_code(issues, "outside_parent")


def test_small_overlap_is_a_warning() -> None:
    j = jurisdiction("small")
    a, _b = _neighbours(j)
    slightly = a.polygon.buffer(2e-6, join_style="mitre")  # ~20 cm all round
    issues = validate_units(_replace(j.units(), a.code, polygon=slightly), 1e6, 1e6)
    assert _by_code(issues, "overlap")
    assert all(i.level == WARNING for i in issues)
    assert all("在容差" in i.message_zh for i in issues)
    assert issues_ok(issues)


def test_planted_gap() -> None:
    j = jurisdiction("small")
    grid = j.grids[3]
    shrunk = grid.polygon.buffer(-0.001)
    issues = validate_units(_replace(j.units(), grid.code, polygon=shrunk), 10.0, 10.0)
    gaps = _by_code(issues, "gap")
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.level == ERROR and gap.unit_code == grid.parent_code
    assert gap.message_zh.startswith(f"警务区{grid.parent_code}内有1处未被网格覆盖的空隙，合计")
    assert "经度" in gap.message_zh and "纬度" in gap.message_zh
    assert gap.area_m2 is not None and gap.area_m2 > 10
    # a tiny gap under the tolerance is only a warning
    nibbled = grid.polygon.buffer(-1e-6, join_style="mitre")
    small_gap = validate_units(_replace(j.units(), grid.code, polygon=nibbled), 10.0, 1e6)
    assert [i.level for i in small_gap] == [WARNING] and small_gap[0].code == "gap"


def test_grid_moved_outside_its_district() -> None:
    j = jurisdiction("small")
    grid = j.grids[5]
    moved = translate(grid.polygon, 0.05, 0.0)
    issues = validate_units(_replace(j.units(), grid.code, polygon=moved), 10.0, 10.0)
    outside = _by_code(issues, "outside_parent")
    assert len(outside) == 1
    issue = outside[0]
    assert issue.level == ERROR and issue.unit_code == grid.code and issue.other_code == grid.parent_code
    assert re.fullmatch(rf"网格{grid.code}不在其警务区{grid.parent_code}内，超出面积\d+平方米", issue.message_zh)
    assert _by_code(issues, "gap")  # the hole it left behind


def test_unknown_parent_missing_parent_and_wrong_kind() -> None:
    j = jurisdiction("small")
    grid, district, station = j.grids[0], j.districts[0], j.stations[0]
    units = _replace(j.units(), grid.code, parent_code="370724999900")
    units = _replace(units, district.code, parent_code=None)
    units = _replace(units, j.grids[1].code, parent_code=station.code)
    issues = validate_units(units, 10.0, 10.0)
    unknown = _by_code(issues, "unknown_parent")
    assert len(unknown) == 1 and unknown[0].unit_code == grid.code
    assert unknown[0].message_zh == f"网格{grid.code}的上级警务区370724999900不存在"
    missing = _by_code(issues, "missing_parent")
    assert len(missing) == 1 and missing[0].message_zh == f"警务区{district.code}缺少上级代码"
    wrong = _by_code(issues, "parent_kind_mismatch")
    assert len(wrong) == 1 and "是派出所，应为警务区" in wrong[0].message_zh


def test_invalid_geometry_duplicate_code_and_unknown_kind() -> None:
    j = jurisdiction("small")
    grid = j.grids[0]
    minx, miny, maxx, maxy = grid.polygon.bounds
    bowtie = shapely.Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])
    units = _replace(j.units(), grid.code, polygon=bowtie)
    units.append(dataclasses.replace(j.grids[1]))
    units.append(dataclasses.replace(j.grids[2], code="X1", kind="village"))
    issues = validate_units(units, 10.0, 10.0)
    invalid = _by_code(issues, "invalid_geometry")
    assert len(invalid) == 1 and invalid[0].message_zh.startswith(f"网格{grid.code}的几何图形无效：自相交")
    assert _by_code(issues, "duplicate_code")[0].unit_code == j.grids[1].code
    assert _by_code(issues, "unknown_kind")[0].unit_code == "X1"
    assert "错误：网格" in format_issues(issues)


def test_overlap_candidates_come_from_the_tree_not_all_pairs() -> None:
    # county: 1,636 grids; an O(n^2) pairwise loop would take minutes — the check must be quick
    import time

    units = jurisdiction("county").units()
    start = time.perf_counter()
    assert validate_units(units, 0.0, 0.0) == []
    assert time.perf_counter() - start < 10


# ------------------------------------------------------------------------------------ GeoJSON


def _feature_collection(units: list[UnitShape], **extra: Any) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        **extra,
        "features": [
            {
                "type": "Feature",
                "properties": {"code": u.code, "name": u.name, "kind": u.kind, "parent_code": u.parent_code},
                "geometry": mapping(u.polygon),
            }
            for u in units
        ],
    }


def test_geojson_round_trip() -> None:
    j = jurisdiction("small")
    text = json.dumps(_feature_collection(j.units()), ensure_ascii=False)
    units, issues = parse_geojson_units(text, "demo.geojson")
    assert issues == []
    assert [(u.code, u.name, u.kind, u.parent_code) for u in units] == [
        (u.code, u.name, u.kind, u.parent_code) for u in j.units()
    ]
    assert all(a.polygon.equals_exact(b.polygon, 0) for a, b in zip(units, j.units(), strict=True))
    assert validate_units(units, 0.0, 0.0) == []


def test_geojson_gcj02_is_converted() -> None:
    j = jurisdiction("small")
    originals = j.units()[:5]

    def to_gcj(u: UnitShape) -> UnitShape:
        def conv(coords: np.ndarray) -> np.ndarray:
            lon, lat = wgs84_to_gcj02_arrays(coords[:, 0], coords[:, 1])
            return np.column_stack([lon, lat])

        return dataclasses.replace(u, polygon=shapely.transform(u.polygon, conv))

    gcj_units = [to_gcj(u) for u in originals]
    for crs in ({"crs": "gcj02"}, {"properties": {"crs": "GCJ-02"}}):
        units, issues = parse_geojson_units(json.dumps(_feature_collection(gcj_units, **crs)), "gcj.geojson")
        assert issues == []
        for got, want in zip(units, originals, strict=True):
            diff = shapely.get_coordinates(got.polygon) - shapely.get_coordinates(want.polygon)
            assert np.abs(diff).max() < 1e-8  # ≈ 1 mm
    _, issues = parse_geojson_units(json.dumps(_feature_collection(gcj_units, crs="bd09")), "bd.geojson")
    assert issues[0].code == "unsupported_crs" and issues[0].message_zh.startswith("bd.geojson: 不支持的坐标系")


def test_malformed_json() -> None:
    units, issues = parse_geojson_units('{"type": "FeatureCollection", "features": [', "demo.geojson")
    assert units == []
    assert len(issues) == 1 and issues[0].code == "invalid_json"
    assert issues[0].message_zh.startswith("demo.geojson: 不是有效的JSON（第1行")
    _, issues = parse_geojson_units('{"type": "Feature"}', "demo.geojson")
    assert issues[0].message_zh == "demo.geojson: 顶层对象必须是GeoJSON FeatureCollection"
    _, issues = parse_geojson_units('{"type": "FeatureCollection"}', "demo.geojson")
    assert issues[0].message_zh == "demo.geojson: 缺少features数组"


def test_bad_features_are_reported_by_index() -> None:
    j = jurisdiction("small")
    fc = json.loads(json.dumps(_feature_collection(j.units()[:12])))  # tuples → lists
    features = fc["features"]
    del features[2]["properties"]["code"]  # 第3个要素
    features[3]["geometry"] = None  # 第4个
    features[4]["properties"]["kind"] = "village"  # 第5个
    features[5]["properties"]["code"] = features[1]["properties"]["code"]  # 第6个 duplicates 第2个
    features[6]["geometry"]["coordinates"][0][0] = [13_196_000.0, 4_370_000.0]  # 第7个: metres, not degrees
    features[7]["geometry"] = {"type": "Point", "coordinates": [118.5, 36.5]}  # 第8个
    features[8]["geometry"] = {"type": "Polygon", "coordinates": [[[118.5, 36.5], [118.6, 36.5]]]}  # 第9个
    del features[9]["properties"]["parent_code"]  # 第10个
    features[10]["properties"]["kind"] = "网格"  # 第11个: a Chinese kind name is fine
    features.append("not a feature")  # 第13个
    units, issues = parse_geojson_units(json.dumps(fc, ensure_ascii=False), "demo.geojson")
    messages = {i.feature_index: i.message_zh for i in issues}
    assert all(i.level == ERROR for i in issues)
    assert messages[3] == "demo.geojson 第3个要素: 缺少code属性"
    assert messages[4] == "demo.geojson 第4个要素: 缺少几何图形(geometry)"
    assert messages[5].startswith("demo.geojson 第5个要素: 未知的类型kind='village'")
    assert messages[6] == f"demo.geojson 第6个要素: 代码{features[1]['properties']['code']}与第2个要素重复"
    assert messages[7].startswith("demo.geojson 第7个要素: 坐标(13196000.0, 4370000.0)超出经纬度范围")
    assert messages[8] == "demo.geojson 第8个要素: 几何类型为Point，应为Polygon或MultiPolygon"
    assert messages[9].startswith("demo.geojson 第9个要素: 坐标格式错误")
    assert messages[10] == "demo.geojson 第10个要素: 缺少parent_code属性"
    assert messages[13] == "demo.geojson 第13个要素: 不是GeoJSON Feature对象"
    assert set(messages) == {3, 4, 5, 6, 7, 8, 9, 10, 13}
    kept = {u.code for u in units}
    assert len(units) == 4  # features 1, 2, 11 and 12
    assert features[10]["properties"]["code"] in kept
    assert next(u for u in units if u.code == features[10]["properties"]["code"]).kind == "grid"
