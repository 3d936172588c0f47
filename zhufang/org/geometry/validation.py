"""Validation of jurisdiction polygons, e.g. when an administrator imports GeoJSON.

:func:`validate_units` checks a set of units (anything with ``code, name, kind, parent_code, polygon``):

* ``duplicate_code`` / ``unknown_kind`` — bookkeeping errors;
* ``empty_geometry`` / ``geometry_type`` / ``invalid_geometry`` (with the GEOS reason, translated) —
  invalid polygons are repaired with ``shapely.make_valid`` for the remaining checks;
* ``missing_parent`` / ``unknown_parent`` / ``parent_kind_mismatch`` — the tree itself (a bureau may have
  no parent or a parent outside the import, e.g. a city code);
* ``overlap`` — two units of the same kind whose interiors overlap (siblings, and also cousins: two grids
  of different districts can overlap too).  Candidate pairs come from an STRtree query, then DE-9IM
  ``T********`` (interiors intersect) filters out neighbours that merely share an edge;
* ``gap`` — the part of a parent not covered by its children of one kind (checked for every child kind
  present in the import: a bureau is checked against its stations and, separately, its townships);
* ``outside_parent`` — the part of a child outside its parent.

Areas are square metres on the WGS-84 ellipsoid (:func:`.coords.area_m2`, equal-area projection).  An
area above its tolerance is an ``error``; a positive area up to the tolerance is a ``warning``; areas of
at most ``noise_m2`` (default 0.01 m², i.e. floating-point residue) are not reported.

:func:`parse_geojson_units` reads a FeatureCollection into :class:`.shapes.UnitShape` objects and
reports malformed input as issues naming the file and the 1-based feature index
("demo.geojson 第3个要素: 缺少code属性").
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from .coords import area_m2, convert_geometry, normalize_crs
from .shapes import KIND_ZH, KINDS, PARENT_KIND, UnitLike, UnitShape

ERROR = "error"
WARNING = "warning"
DEFAULT_NOISE_M2 = 0.01

KIND_ALIASES = {
    **{kind: kind for kind in KINDS},
    "公安局": "bureau",
    "分局": "bureau",
    "派出所": "station",
    "警务区": "district",
    "网格": "grid",
    "镇街": "township",
    "乡镇": "township",
    "街道": "township",
    "镇": "township",
}

_GEOS_REASON_ZH = (
    ("Ring Self-intersection", "环自相交"),
    ("Self-intersection", "自相交"),
    ("Too few points", "点数过少"),
    ("Hole lies outside shell", "内环位于外环之外"),
    ("Nested holes", "内环嵌套"),
    ("Interior is disconnected", "内部不连通"),
    ("Nested shells", "外环嵌套"),
    ("Duplicate Rings", "环重复"),
    ("Invalid Coordinate", "坐标无效"),
    ("Ring is not closed", "环未闭合"),
)


@dataclass(frozen=True)
class Issue:
    """One validation finding.  ``code`` is machine-readable, ``message_zh`` is for the administrator."""

    level: str  # "error" | "warning"
    code: str
    unit_code: str | None
    other_code: str | None
    message_zh: str
    area_m2: float | None = None
    feature_index: int | None = None  # 1-based feature number for GeoJSON parse issues


def _fmt_area(area: float) -> str:
    return f"{area:.0f}" if area >= 10 else f"{area:.2f}"


def _kind_zh(kind: str) -> str:
    return KIND_ZH.get(kind, kind)


def _reason_zh(reason: str) -> str:
    for en, zh in _GEOS_REASON_ZH:
        if reason.startswith(en):
            return zh + reason[len(en) :]
    return reason


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Polygonal part of a (repaired) geometry."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon | MultiPolygon)]
    return shapely.union_all(parts) if parts else Polygon()


def _level(area: float, tolerance: float) -> str:
    return ERROR if area > tolerance else WARNING


def validate_units(
    units: Sequence[UnitLike],
    overlap_tolerance_m2: float,
    gap_tolerance_m2: float,
    *,
    noise_m2: float = DEFAULT_NOISE_M2,
) -> list[Issue]:
    """Validate a set of jurisdiction units; returns issues (errors first, then warnings)."""
    issues: list[Issue] = []

    # --- bookkeeping: codes and kinds
    by_code: dict[str, UnitLike] = {}
    usable: list[UnitLike] = []
    for unit in units:
        if unit.code in by_code:
            issues.append(Issue(ERROR, "duplicate_code", unit.code, None, f"{_kind_zh(unit.kind)}代码{unit.code}重复"))
            continue
        by_code[unit.code] = unit
        if unit.kind not in PARENT_KIND:
            issues.append(Issue(ERROR, "unknown_kind", unit.code, None, f"单位{unit.code}的类型{unit.kind!r}未知"))
            continue
        usable.append(unit)

    # --- geometry validity; repaired copies are used below
    geoms: dict[str, BaseGeometry] = {}
    for unit in usable:
        label = f"{_kind_zh(unit.kind)}{unit.code}"
        geom = unit.polygon
        if geom is None or not isinstance(geom, BaseGeometry) or geom.is_empty:
            issues.append(Issue(ERROR, "empty_geometry", unit.code, None, f"{label}没有几何图形"))
            continue
        if not isinstance(geom, Polygon | MultiPolygon):
            issues.append(
                Issue(
                    ERROR,
                    "geometry_type",
                    unit.code,
                    None,
                    f"{label}的几何类型为{geom.geom_type}，应为Polygon或MultiPolygon",
                )
            )
            continue
        reason = shapely.is_valid_reason(geom)
        if reason != "Valid Geometry":
            issues.append(
                Issue(ERROR, "invalid_geometry", unit.code, None, f"{label}的几何图形无效：{_reason_zh(reason)}")
            )
            geom = _polygonal(shapely.make_valid(geom))
            if geom.is_empty:
                continue
        geoms[unit.code] = geom

    # --- the tree
    for unit in usable:
        expected = PARENT_KIND[unit.kind]
        label = f"{_kind_zh(unit.kind)}{unit.code}"
        if expected is None:
            continue  # a bureau's parent (if any) lies outside the import
        if not unit.parent_code:
            issues.append(Issue(ERROR, "missing_parent", unit.code, None, f"{label}缺少上级代码"))
            continue
        parent = by_code.get(unit.parent_code)
        if parent is None:
            issues.append(
                Issue(
                    ERROR,
                    "unknown_parent",
                    unit.code,
                    unit.parent_code,
                    f"{label}的上级{_kind_zh(expected)}{unit.parent_code}不存在",
                )
            )
        elif parent.kind != expected:
            issues.append(
                Issue(
                    ERROR,
                    "parent_kind_mismatch",
                    unit.code,
                    parent.code,
                    f"{label}的上级{parent.code}是{_kind_zh(parent.kind)}，应为{_kind_zh(expected)}",
                )
            )

    issues.extend(_overlaps(usable, geoms, overlap_tolerance_m2, noise_m2))
    issues.extend(_outside_parent(usable, by_code, geoms, overlap_tolerance_m2, noise_m2))
    issues.extend(_gaps(usable, geoms, gap_tolerance_m2, noise_m2))
    issues.sort(key=lambda i: (i.level != ERROR))
    return issues


def _overlaps(units: Sequence[UnitLike], geoms: dict[str, BaseGeometry], tolerance: float, noise: float) -> list[Issue]:
    issues: list[Issue] = []
    by_kind: dict[str, list[UnitLike]] = defaultdict(list)
    for unit in units:
        if unit.code in geoms:
            by_kind[unit.kind].append(unit)
    for kind, members in by_kind.items():
        if len(members) < 2:
            continue
        arr = np.empty(len(members), dtype=object)
        arr[:] = [geoms[u.code] for u in members]
        tree = shapely.STRtree(arr)
        left, right = tree.query(arr, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        if not len(left):
            continue
        interiors = shapely.relate_pattern(arr[left], arr[right], "T********")
        left, right = left[interiors], right[interiors]
        if not len(left):
            continue
        inter = shapely.intersection(arr[left], arr[right])
        areas = area_m2(inter)
        kz = _kind_zh(kind)
        for i, j, area in zip(left.tolist(), right.tolist(), areas.tolist(), strict=True):
            if area <= noise:
                continue
            a, b = sorted((members[i].code, members[j].code))
            level = _level(area, tolerance)
            note = "" if level == ERROR else f"（在容差{_fmt_area(tolerance)}平方米以内）"
            issues.append(
                Issue(
                    level,
                    "overlap",
                    a,
                    b,
                    f"{kz}{a}与{kz}{b}重叠，重叠面积{_fmt_area(area)}平方米{note}",
                    area,
                )
            )
    return issues


def _outside_parent(
    units: Sequence[UnitLike],
    by_code: dict[str, UnitLike],
    geoms: dict[str, BaseGeometry],
    tolerance: float,
    noise: float,
) -> list[Issue]:
    pairs = [
        (u, by_code[u.parent_code])
        for u in units
        if u.parent_code
        and u.code in geoms
        and u.parent_code in geoms
        and PARENT_KIND.get(u.kind) is not None
        and by_code[u.parent_code].kind == PARENT_KIND[u.kind]
    ]
    if not pairs:
        return []
    children = np.empty(len(pairs), dtype=object)
    children[:] = [geoms[c.code] for c, _ in pairs]
    parents = np.empty(len(pairs), dtype=object)
    parents[:] = [geoms[p.code] for _, p in pairs]
    shapely.prepare(parents)
    not_covered = np.flatnonzero(~shapely.covers(parents, children))
    if not len(not_covered):
        return []
    outside = shapely.difference(children[not_covered], parents[not_covered])
    areas = area_m2(outside)
    issues: list[Issue] = []
    for k, area in zip(not_covered.tolist(), areas.tolist(), strict=True):
        if area <= noise:
            continue
        child, parent = pairs[k]
        level = _level(area, tolerance)
        note = "" if level == ERROR else f"（在容差{_fmt_area(tolerance)}平方米以内）"
        issues.append(
            Issue(
                level,
                "outside_parent",
                child.code,
                parent.code,
                f"{_kind_zh(child.kind)}{child.code}不在其{_kind_zh(parent.kind)}{parent.code}内，"
                f"超出面积{_fmt_area(area)}平方米{note}",
                area,
            )
        )
    return issues


def _gaps(units: Sequence[UnitLike], geoms: dict[str, BaseGeometry], tolerance: float, noise: float) -> list[Issue]:
    present_kinds = {u.kind for u in units}
    children: dict[tuple[str, str], list[BaseGeometry]] = defaultdict(list)
    for unit in units:
        if unit.parent_code and unit.code in geoms:
            children[(unit.parent_code, unit.kind)].append(geoms[unit.code])
    issues: list[Issue] = []
    for parent in units:
        if parent.code not in geoms:
            continue
        for child_kind in KINDS:
            if PARENT_KIND[child_kind] != parent.kind or child_kind not in present_kinds:
                continue
            kids = children.get((parent.code, child_kind), [])
            parent_geom = geoms[parent.code]
            gap = shapely.difference(parent_geom, shapely.union_all(kids)) if kids else parent_geom
            if gap.is_empty:
                continue
            parts = np.asarray(shapely.get_parts(_polygonal(gap)), dtype=object)
            if not len(parts):
                continue
            part_areas = area_m2(parts)
            real = part_areas > noise
            if not real.any():
                continue
            total = float(part_areas[real].sum())
            biggest = parts[int(np.argmax(part_areas))]
            where = shapely.point_on_surface(biggest)
            level = _level(total, tolerance)
            note = "" if level == ERROR else f"（在容差{_fmt_area(tolerance)}平方米以内）"
            pz, cz = _kind_zh(parent.kind), _kind_zh(child_kind)
            if not kids:
                msg = f"{pz}{parent.code}内没有任何{cz}，未覆盖面积{_fmt_area(total)}平方米{note}"
            else:
                msg = (
                    f"{pz}{parent.code}内有{int(real.sum())}处未被{cz}覆盖的空隙，合计{_fmt_area(total)}平方米"
                    f"（最大一处在经度{where.x:.6f}、纬度{where.y:.6f}附近）{note}"
                )
            issues.append(Issue(level, "gap", parent.code, None, msg, total))
    return issues


# --------------------------------------------------------------------------------------------------
# GeoJSON
# --------------------------------------------------------------------------------------------------


def _crs_of(collection: dict[str, Any]) -> str | None:
    """The CRS declared on a FeatureCollection ("crs" member or properties.crs), raw; None if absent."""
    raw = collection.get("crs")
    if raw is None and isinstance(collection.get("properties"), dict):
        raw = collection["properties"].get("crs")
    if raw is None:
        return None
    if isinstance(raw, dict):  # legacy GeoJSON 2008: {"type": "name", "properties": {"name": "..."}}
        props = raw.get("properties")
        name = props.get("name") if isinstance(props, dict) else None
        return str(name) if name is not None else str(raw)
    return str(raw)


def _coords_in_range(geom: BaseGeometry) -> tuple[float, float] | None:
    """The first coordinate that is non-finite or outside lon ±180 / lat ±90, else None."""
    coords = shapely.get_coordinates(geom)
    if not len(coords):
        return None
    bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0)
    if bad.any():
        x, y = coords[int(np.argmax(bad))]
        return float(x), float(y)
    return None


def _text_property(value: Any) -> str | None:
    """A code-like property as a string (JSON numbers that are integers are accepted)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def parse_geojson_units(text: str, source_name: str) -> tuple[list[UnitShape], list[Issue]]:
    """Parse a GeoJSON FeatureCollection of units.

    Each feature needs ``properties.code``, ``name``, ``kind`` (English kind or its Chinese name, e.g.
    "网格") and — except for bureaus — ``parent_code``, plus a Polygon/MultiPolygon geometry.  An optional
    ``crs`` on the FeatureCollection (``"gcj02"``/``"wgs84"``, also as ``properties.crs`` or the legacy
    ``{"type": "name", ...}`` object) selects the input datum; GCJ-02 is converted to WGS-84.  Features
    with errors are left out of the returned units.
    """
    issues: list[Issue] = []

    def file_error(code: str, msg: str) -> tuple[list[UnitShape], list[Issue]]:
        issues.append(Issue(ERROR, code, None, None, f"{source_name}: {msg}"))
        return [], issues

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return file_error("invalid_json", f"不是有效的JSON（第{exc.lineno}行第{exc.colno}列：{exc.msg}）")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return file_error("not_feature_collection", "顶层对象必须是GeoJSON FeatureCollection")
    crs_raw = _crs_of(data)
    crs = "wgs84"
    if crs_raw is not None:
        try:
            crs = normalize_crs(crs_raw)
        except ValueError:
            return file_error("unsupported_crs", f"不支持的坐标系{crs_raw!r}，应为wgs84或gcj02")
    features = data.get("features")
    if not isinstance(features, list):
        return file_error("missing_features", "缺少features数组")

    units: list[UnitShape] = []
    first_index: dict[str, int] = {}
    for index, feature in enumerate(features, start=1):
        where = f"{source_name} 第{index}个要素"

        def error(code: str, msg: str, unit_code: str | None = None, *, _where: str = where, _i: int = index) -> None:
            issues.append(Issue(ERROR, code, unit_code, None, f"{_where}: {msg}", feature_index=_i))

        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            error("invalid_feature", "不是GeoJSON Feature对象")
            continue
        props = feature.get("properties")
        if not isinstance(props, dict):
            error("missing_property", "缺少properties")
            continue
        ok = True
        code = _text_property(props.get("code"))
        if code is None:
            error(
                "missing_property",
                "缺少code属性" if props.get("code") in (None, "") else "code属性必须是字符串",
            )
            ok = False
        name = props.get("name")
        if not isinstance(name, str) or not name.strip():
            error("missing_property", "缺少name属性", code)
            ok = False
        kind_raw = props.get("kind")
        kind = KIND_ALIASES.get(kind_raw.strip()) if isinstance(kind_raw, str) else None
        if kind_raw in (None, ""):
            error("missing_property", "缺少kind属性", code)
            ok = False
        elif kind is None:
            error("unknown_kind", f"未知的类型kind={kind_raw!r}，应为{'、'.join(KINDS)}之一", code)
            ok = False
        parent_code = _text_property(props.get("parent_code"))
        if kind is not None and PARENT_KIND[kind] is not None and parent_code is None:
            error("missing_property", "缺少parent_code属性", code)
            ok = False
        if code is not None:
            if code in first_index:
                error("duplicate_code", f"代码{code}与第{first_index[code]}个要素重复", code)
                ok = False
            else:
                first_index[code] = index

        geometry_json = feature.get("geometry")
        geom: BaseGeometry | None = None
        if not isinstance(geometry_json, dict):
            error("missing_geometry", "缺少几何图形(geometry)", code)
            ok = False
        elif geometry_json.get("type") not in ("Polygon", "MultiPolygon"):
            error("geometry_type", f"几何类型为{geometry_json.get('type')}，应为Polygon或MultiPolygon", code)
            ok = False
        else:
            try:
                geom = shapely.force_2d(shape(geometry_json))
            except Exception as exc:  # shapely raises assorted errors for malformed coordinate arrays
                error("malformed_coordinates", f"坐标格式错误（{exc}）", code)
                ok = False
            else:
                bad = _coords_in_range(geom)
                if bad is not None:
                    error(
                        "coordinates_out_of_range",
                        f"坐标({bad[0]}, {bad[1]})超出经纬度范围（经度-180~180，纬度-90~90），"
                        "请使用WGS-84或GCJ-02经纬度",
                        code,
                    )
                    ok = False
                elif geom.is_empty:
                    error("missing_geometry", "几何图形为空", code)
                    ok = False
        if not ok or geom is None or code is None or kind is None or not isinstance(name, str):
            continue
        if crs != "wgs84":
            geom = convert_geometry(geom, crs)
        units.append(UnitShape(code, name.strip(), kind, parent_code, geom))
    return units, issues


def issues_ok(issues: Sequence[Issue]) -> bool:
    """True when there is no error-level issue."""
    return not any(i.level == ERROR for i in issues)


def format_issues(issues: Sequence[Issue]) -> str:
    """One line per issue, "错误"/"警告" prefixed, for logs and command output."""
    return "\n".join(("错误" if i.level == ERROR else "警告") + f"：{i.message_zh}" for i in issues)
