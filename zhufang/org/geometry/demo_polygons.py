"""Deterministic generator of nested demo jurisdiction polygons.

``generate_jurisdiction(size, seed)`` builds, for one county (or ten counties for ``"city"``):

* an irregular county outline (a noisy blob, ~50 km across for ``"county"``) around Linqu county,
  Shandong (town centre lon 118.54, lat 36.51);
* **grids** (网格): Voronoi cells of seeded points that are dense around the county town and a few
  township seats (urban grids are small, rural grids large), relaxed twice (Lloyd) so no cell is a sliver;
* **districts** (警务区): unions of whole grids (k-means clusters of grid representative points, so each
  district has a similar number of grids and urban districts are small);
* **stations** (派出所): unions of whole districts, the same way;
* **bureau** (公安局): the union of its stations;
* **townships** (镇街): a *separate* Voronoi partition of the county whose boundaries cut across grids.

Exact tiling.  All boundaries (grid Voronoi edges, township edges, county borders) are noded together
in ONE snap-rounding operation on a 1e-6 degree grid (``shapely.union_all(..., grid_size=1e-6)``) and
polygonised into faces; every unit is a union of those faces (``shapely.coverage_union_all``, which
only dissolves shared edges and so introduces no new coordinates).  Shared edges are therefore identical
vertex-for-vertex: grids tile their district, districts their station, stations the bureau, townships
the bureau — no slivers, gaps or overlaps, and every coordinate has at most 6 decimals.  A unit whose
union comes out as a MultiPolygon (a stray face/grid/district) has the stray part reassigned to the
neighbouring unit (same county) it shares the longest border with, so units are single Polygons
wherever possible (possibly with holes when one unit encloses another).

Codes (all strings of digits; the *significant prefix* of a parent code is a prefix of its children's):

================  ==========================  ==================  ===================
kind              code                        example             significant prefix
================  ==========================  ==================  ===================
bureau            county(6) + "000000"        ``370724000000``    ``370724``
station           county(6) + SS + "0000"     ``370724010000``    ``37072401``
district          station[:8] + DD + "00"     ``370724010100``    ``3707240101``
grid              district(12) + GGG          ``370724010100001`` (leaf, 15 digits)
township          county(6) + TTT             ``370724001``       (leaf; the 9-digit GB/T 10114
                                                                      township code, so it can never
                                                                      collide with a 12-digit police
                                                                      code)
================  ==========================  ==================  ===================

so a district's full 12-digit code is a prefix of its grids' codes, and ``significant_prefix`` gives
the prefix for the other levels.  Within a county, stations are numbered by distance of their seed from
the county town (01 = 城关派出所 at the centre), districts and grids by distance of their representative
point from the county town.

Sizes: ``small`` 1 bureau / 3 stations / 8 districts / 40 grids / 4 townships (a ~10 km town);
``county`` 1 / 12 / 104 / 1,636 / 10 (~50 km); ``city`` = ten counties tiling a ~160 km city outline
(ten bureaus with Weifang's county codes, 120 / 1,040 / 16,360 / 100).  Station and township names run
through the Linqu lists and continue as "第N派出所" / "第N镇" (N counted across the whole city).

Everything is derived from ``numpy.random.default_rng(seed)`` and deterministic GEOS operations, so the
same ``(size, seed)`` gives identical output.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Polygon

from .shapes import KIND_ZH, KINDS, PARENT_KIND, Geom, UnitShape

__all__ = [
    "KINDS",
    "KIND_ZH",
    "PARENT_KIND",
    "PRECISION",
    "SIZES",
    "Jurisdiction",
    "UnitShape",
    "generate_jurisdiction",
    "significant_prefix",
]

PRECISION = 1e-6  # degrees; every output coordinate is a multiple of this (6 decimals)

STATION_SHORT_NAMES = (
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
TOWNSHIP_NAMES = (
    "城关街道",
    "东城街道",
    "冶源镇",
    "五井镇",
    "寺头镇",
    "九山镇",
    "辛寨镇",
    "龙岗镇",
    "柳山镇",
    "蒋峪镇",
)

# Linqu is the county of the "small" and "county" sizes; "city" uses ten of Weifang's county codes.
LINQU = ("370724", "临朐县")
CITY_COUNTIES = (
    ("370702", "潍城区"),
    ("370703", "寒亭区"),
    ("370704", "坊子区"),
    ("370705", "奎文区"),
    ("370724", "临朐县"),
    ("370725", "昌乐县"),
    ("370781", "青州市"),
    ("370782", "诸城市"),
    ("370783", "寿光市"),
    ("370784", "安丘市"),
)

TOWN_CENTRE = (118.54, 36.51)  # Linqu county town
COUNTY_CENTRE = (118.535, 36.475)  # centre of the county outline (the town lies in the north)

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQ = 111_320.0

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class Jurisdiction:
    """The generated units, one list per kind (each list sorted by code)."""

    size: str
    seed: int
    bureaus: list[UnitShape] = field(default_factory=list)
    stations: list[UnitShape] = field(default_factory=list)
    districts: list[UnitShape] = field(default_factory=list)
    grids: list[UnitShape] = field(default_factory=list)
    townships: list[UnitShape] = field(default_factory=list)

    @property
    def bureau(self) -> UnitShape:
        """The first (for "small"/"county" the only) bureau."""
        return self.bureaus[0]

    def by_kind(self, kind: str) -> list[UnitShape]:
        return {
            "bureau": self.bureaus,
            "station": self.stations,
            "district": self.districts,
            "grid": self.grids,
            "township": self.townships,
        }[kind]

    def units(self) -> list[UnitShape]:
        """All units, parents before children (bureaus, stations, districts, grids, townships)."""
        return [*self.bureaus, *self.stations, *self.districts, *self.grids, *self.townships]

    def __iter__(self) -> Iterator[UnitShape]:
        return iter(self.units())

    def counts(self) -> dict[str, int]:
        return {kind: len(self.by_kind(kind)) for kind in KINDS}


def significant_prefix(code: str, kind: str) -> str:
    """The part of ``code`` that is a prefix of all descendants' codes (see the module table)."""
    return {"bureau": code[:6], "station": code[:8], "district": code, "grid": code, "township": code}[kind]


@dataclass(frozen=True)
class _Spec:
    stations: int
    districts: int
    grids: int
    townships: int
    radius_m: float
    urban_fraction: float
    urban_sigma: float  # as a fraction of radius
    seat_fraction: float  # per secondary township seat
    seat_sigma: float


_SMALL = _Spec(3, 8, 40, 4, 5_000.0, 0.35, 0.18, 0.05, 0.08)
_COUNTY = _Spec(12, 104, 1636, 10, 25_000.0, 0.30, 0.09, 0.025, 0.03)
SIZES = ("small", "county", "city")
_CITY_COUNTIES = 10


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


class _Frame:
    """Local equirectangular frame (metres) around a reference point, for distances and shapes."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0 = lon0
        self.lat0 = lat0
        self.m_per_deg_lon = _M_PER_DEG_LON_EQ * math.cos(math.radians(lat0))

    def to_lonlat(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self.lon0 + x / self.m_per_deg_lon, self.lat0 + y / _M_PER_DEG_LAT

    def to_xy(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        return np.column_stack([(lon - self.lon0) * self.m_per_deg_lon, (lat - self.lat0) * _M_PER_DEG_LAT])


def _blob(rng: np.random.Generator, frame: _Frame, radius_m: float, n_vertices: int = 360) -> Polygon:
    """An irregular star-shaped outline: a circle with low-frequency radial noise and a slight stretch."""
    theta = np.linspace(0.0, 2.0 * math.pi, n_vertices, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 9):
        r += rng.uniform(0.0, 0.10 / k) * np.cos(k * theta + rng.uniform(0.0, 2.0 * math.pi))
    r += 0.004 * rng.standard_normal(n_vertices)  # a little ragged, like a real boundary
    stretch = rng.uniform(0.85, 1.15)
    x = radius_m * r * np.cos(theta) * stretch
    y = radius_m * r * np.sin(theta) / stretch
    lon, lat = frame.to_lonlat(x, y)
    return Polygon(np.column_stack([lon, lat]))


def _sample_inside(
    rng: np.random.Generator,
    region: Geom,
    n: int,
    centres: list[tuple[float, float, float, float]],
    frame: _Frame,
) -> FloatArray:
    """``n`` lon/lat points inside ``region``: Gaussian clusters (lon, lat, weight, sigma_m) + uniform."""
    minx, miny, maxx, maxy = region.bounds
    shapely.prepare(region)
    out: list[FloatArray] = []
    have = 0
    weights = np.array([c[2] for c in centres], dtype=np.float64)
    uniform_weight = max(0.0, 1.0 - float(weights.sum()))
    probs = np.append(weights, uniform_weight)
    probs = probs / probs.sum()
    while have < n:
        batch = max(64, 2 * (n - have))
        which = rng.choice(len(probs), size=batch, p=probs)
        lon = rng.uniform(minx, maxx, batch)
        lat = rng.uniform(miny, maxy, batch)
        for i, (clon, clat, _w, sigma_m) in enumerate(centres):
            sel = which == i
            k = int(sel.sum())
            if k:
                dx = rng.normal(0.0, sigma_m, k) / frame.m_per_deg_lon
                dy = rng.normal(0.0, sigma_m, k) / _M_PER_DEG_LAT
                lon[sel] = clon + dx
                lat[sel] = clat + dy
        ok = shapely.contains_xy(region, lon, lat)
        pts = np.column_stack([lon[ok], lat[ok]])
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def _voronoi(points: FloatArray, region: Geom) -> npt.NDArray[np.object_]:
    """Voronoi cells of ``points`` (in input order) clipped to ``region`` (full precision)."""
    if len(points) == 1:
        return np.array([region], dtype=object)
    bx = shapely.box(*region.bounds).buffer(1.0)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=bx, ordered=True))
    if len(cells) != len(points):  # pragma: no cover - only with duplicate points
        raise RuntimeError("duplicate Voronoi seeds")
    return np.asarray(shapely.intersection(cells, region), dtype=object)


def _lloyd(points: FloatArray, region: Geom, iterations: int) -> FloatArray:
    """Move each point to the centroid of its (clipped) Voronoi cell, keeping points inside region."""
    shapely.prepare(region)
    for _ in range(iterations):
        cells = _voronoi(points, region)
        cent = shapely.centroid(cells)
        cx, cy = shapely.get_x(cent), shapely.get_y(cent)
        ok = shapely.contains_xy(region, cx, cy)
        points = np.where(ok[:, None], np.column_stack([cx, cy]), points)
    return points


def _kmeans(xy: FloatArray, k: int, rng: np.random.Generator, iterations: int = 8) -> IntArray:
    """Deterministic k-means labels in 0..k-1, every label non-empty (requires len(xy) >= k)."""
    n = len(xy)
    centres = xy[np.sort(rng.choice(n, size=k, replace=False))].copy()
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(iterations + 1):
        d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels = np.argmin(d2, axis=1).astype(np.int64)
        counts = np.bincount(labels, minlength=k)
        # Refill empty clusters with the point farthest from its centre among clusters of size > 1.
        for j in np.flatnonzero(counts == 0):
            dist = d2[np.arange(n), labels]
            dist = np.where(counts[labels] > 1, dist, -1.0)
            i = int(np.argmax(dist))
            counts[labels[i]] -= 1
            labels[i] = j
            counts[j] = 1
        for j in range(k):
            centres[j] = xy[labels == j].mean(axis=0)
    return labels


def _dissolve(pieces: npt.NDArray[np.object_], labels: IntArray, n_labels: int) -> npt.NDArray[np.object_]:
    """Union of the pieces of each label (on the precision grid); index = label."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_labels + 1))
    out = np.empty(n_labels, dtype=object)
    for lab in range(n_labels):
        members = pieces[order[bounds[lab] : bounds[lab + 1]]]
        if len(members) == 1:
            out[lab] = members[0]
        elif len(members) == 0:
            out[lab] = Polygon()
        else:
            out[lab] = shapely.coverage_union_all(members)
    return out


def _enforce_connected(
    pieces: npt.NDArray[np.object_],
    labels: IntArray,
    n_labels: int,
    label_group: IntArray,
    max_rounds: int = 6,
) -> IntArray:
    """Reassign stray parts of multi-part labels to the same-group neighbour with the longest shared border.

    The largest part of each label is kept, so no label ever becomes empty.
    """
    labels = labels.copy()
    tree = shapely.STRtree(pieces)
    reps = shapely.point_on_surface(pieces)
    for _ in range(max_rounds):
        merged = _dissolve(pieces, labels, n_labels)
        multi = np.flatnonzero(shapely.get_num_geometries(merged) > 1)
        changed = False
        for lab in multi:
            parts = shapely.get_parts(merged[lab])
            areas = shapely.area(parts)
            keep = int(np.argmax(areas))
            members = np.flatnonzero(labels == lab)
            for p_idx, part in enumerate(parts):
                if p_idx == keep:
                    continue
                inside = members[shapely.intersects(part, reps[members])]
                if len(inside) == 0:
                    continue
                cand = tree.query(part, predicate="intersects")
                cand = cand[(labels[cand] != lab) & (label_group[labels[cand]] == label_group[lab])]
                if len(cand) == 0:
                    continue
                shared = shapely.length(shapely.intersection(part.boundary, shapely.boundary(pieces[cand])))
                if not (shared > 0).any():
                    continue
                cand_labels = labels[cand]
                uniq = np.unique(cand_labels)
                totals = np.array([shared[cand_labels == u].sum() for u in uniq])
                best = int(uniq[int(np.argmax(totals))])  # ties → smallest label (np.unique is sorted)
                labels[inside] = best
                members = np.flatnonzero(labels == lab)
                changed = True
        if not changed:
            break
    return labels


def _label_faces(faces: npt.NDArray[np.object_], cells: npt.NDArray[np.object_]) -> IntArray:
    """Index of the (full-precision) cell containing each face's interior point."""
    reps = shapely.point_on_surface(faces)
    tree = shapely.STRtree(cells)
    inp, idx = tree.query(reps, predicate="intersects")
    labels = np.full(len(faces), -1, dtype=np.int64)
    # several hits only for points on a cell edge: keep the smallest cell index (assign in reverse)
    order = np.lexsort((-idx, inp))
    labels[inp[order]] = idx[order]
    missing = np.flatnonzero(labels < 0)
    if len(missing):
        near_inp, near_idx = tree.query_nearest(reps[missing], all_matches=False)
        labels[missing[near_inp]] = near_idx
    return labels


def _dist_order(xy: FloatArray, origin: FloatArray) -> IntArray:
    """Indices sorted by distance from ``origin`` (ties by index)."""
    d = np.hypot(xy[:, 0] - origin[0], xy[:, 1] - origin[1])
    return np.lexsort((np.arange(len(xy)), np.round(d, 6))).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------------


@dataclass
class _CountyPlan:
    code: str
    name: str
    region: Geom
    town: tuple[float, float]
    grid_cells: npt.NDArray[np.object_] = field(default_factory=lambda: np.empty(0, dtype=object))
    township_cells: npt.NDArray[np.object_] = field(default_factory=lambda: np.empty(0, dtype=object))


def _plan_county(rng: np.random.Generator, plan: _CountyPlan, spec: _Spec, frame: _Frame) -> None:
    region = plan.region
    shapely.prepare(region)
    town_lon, town_lat = plan.town
    # Township seats: the town, a second seat ~3 km east, the rest spread over the county.
    seats: list[tuple[float, float]] = [plan.town]
    east = (town_lon + 0.12 * spec.radius_m / frame.m_per_deg_lon, town_lat)
    if spec.townships > 1:
        seats.append(east if shapely.contains_xy(region, *east) else (town_lon, town_lat + 0.001))
    region_area_m2 = region.area * frame.m_per_deg_lon * _M_PER_DEG_LAT
    min_d = 0.6 * math.sqrt(region_area_m2 / spec.townships)
    attempts = 0
    while len(seats) < spec.townships:
        cand = _sample_inside(rng, region, 1, [], frame)[0]
        d = min(math.hypot((cand[0] - s[0]) * frame.m_per_deg_lon, (cand[1] - s[1]) * _M_PER_DEG_LAT) for s in seats)
        attempts += 1
        if d >= min_d or attempts > 2000:
            seats.append((float(cand[0]), float(cand[1])))
            attempts = 0
    seat_xy = np.array(seats, dtype=np.float64)
    plan.township_cells = _voronoi(seat_xy, region)

    centres = [(town_lon, town_lat, spec.urban_fraction, spec.urban_sigma * spec.radius_m)]
    centres += [(s[0], s[1], spec.seat_fraction, spec.seat_sigma * spec.radius_m) for s in seats[2:]]
    pts = _sample_inside(rng, region, spec.grids, centres, frame)
    pts = _lloyd(pts, region, 2)
    plan.grid_cells = _voronoi(pts, region)


def _county_plans(size: str, rng: np.random.Generator) -> tuple[list[_CountyPlan], _Spec, _Frame]:
    if size == "small":
        frame = _Frame(*TOWN_CENTRE)
        region = _blob(rng, frame, _SMALL.radius_m)
        return [_CountyPlan(LINQU[0], LINQU[1], region, TOWN_CENTRE)], _SMALL, frame
    if size == "county":
        frame = _Frame(*COUNTY_CENTRE)
        region = _blob(rng, frame, _COUNTY.radius_m)
        return [_CountyPlan(LINQU[0], LINQU[1], region, TOWN_CENTRE)], _COUNTY, frame
    if size == "city":
        frame = _Frame(*COUNTY_CENTRE)
        city = _blob(rng, frame, _COUNTY.radius_m * math.sqrt(_CITY_COUNTIES) * 1.05, n_vertices=720)
        seeds = _sample_inside(rng, city, _CITY_COUNTIES, [], frame)
        seeds = _lloyd(seeds, city, 12)
        cells = _voronoi(seeds, city)
        order = _dist_order(frame.to_xy(seeds[:, 0], seeds[:, 1]), np.zeros(2))
        plans = []
        for (code, name), i in zip(CITY_COUNTIES, order, strict=True):
            cell = cells[i]
            if not isinstance(cell, Polygon):  # keep the main part; a clipped Voronoi cell of a blob
                cell = max(shapely.get_parts(cell), key=lambda g: g.area)
            plans.append(_CountyPlan(code, name, cell, (float(seeds[i, 0]), float(seeds[i, 1]))))
        return plans, _COUNTY, frame
    raise ValueError(f"unknown size {size!r}; expected one of {', '.join(SIZES)}")


def _station_name(global_index: int) -> tuple[str, str]:
    """(full name, short name) of the station with 0-based global index."""
    if global_index < len(STATION_SHORT_NAMES):
        short = STATION_SHORT_NAMES[global_index]
        return f"{short}派出所", short
    n = global_index + 1
    return f"第{n}派出所", f"第{n}所"


def _township_name(global_index: int) -> str:
    if global_index < len(TOWNSHIP_NAMES):
        return TOWNSHIP_NAMES[global_index]
    return f"第{global_index + 1}镇"


def _bureau_name(county_name: str) -> str:
    return f"{county_name}公安分局" if county_name.endswith("区") else f"{county_name}公安局"


def generate_jurisdiction(size: str, seed: int = 2026) -> Jurisdiction:
    """Generate the nested demo jurisdiction for ``size`` in {"small", "county", "city"} (deterministic)."""
    rng = np.random.default_rng(seed)
    plans, spec, frame = _county_plans(size, rng)
    for plan in plans:
        _plan_county(rng, plan, spec, frame)

    n_counties = len(plans)
    grid_cells = np.concatenate([p.grid_cells for p in plans])
    grid_county = np.repeat(np.arange(n_counties), [len(p.grid_cells) for p in plans]).astype(np.int64)
    town_cells = np.concatenate([p.township_cells for p in plans])
    town_county = np.repeat(np.arange(n_counties), [len(p.township_cells) for p in plans]).astype(np.int64)

    # One snap-rounded noding of every boundary → faces shared by all levels.
    linework = shapely.union_all(
        np.concatenate([shapely.boundary(grid_cells), shapely.boundary(town_cells)]), grid_size=PRECISION
    )
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(linework))), dtype=object)
    faces = faces[shapely.area(faces) > 0]

    face_grid = _label_faces(faces, grid_cells)
    face_grid = _enforce_connected(faces, face_grid, len(grid_cells), grid_county)
    grids = _dissolve(faces, face_grid, len(grid_cells))

    face_town = _label_faces(faces, town_cells)
    face_town = _enforce_connected(faces, face_town, len(town_cells), town_county)
    townships = _dissolve(faces, face_town, len(town_cells))

    grid_reps = shapely.point_on_surface(grids)
    grid_xy = frame.to_xy(shapely.get_x(grid_reps), shapely.get_y(grid_reps))

    result = Jurisdiction(size=size, seed=seed)
    station_counter = 0
    township_counter = 0
    for c, plan in enumerate(plans):
        town_xy = frame.to_xy(np.array([plan.town[0]]), np.array([plan.town[1]]))[0]
        g_idx = np.flatnonzero(grid_county == c)
        c_grids = grids[g_idx]
        c_xy = grid_xy[g_idx]
        zero_group = np.zeros(spec.districts, dtype=np.int64)

        dist_of_grid = _kmeans(c_xy, spec.districts, rng)
        dist_of_grid = _enforce_connected(c_grids, dist_of_grid, spec.districts, zero_group)
        districts = _dissolve(c_grids, dist_of_grid, spec.districts)
        d_reps = shapely.point_on_surface(districts)
        d_xy = frame.to_xy(shapely.get_x(d_reps), shapely.get_y(d_reps))

        stat_of_dist = _kmeans(d_xy, spec.stations, rng)
        stat_of_dist = _enforce_connected(
            districts, stat_of_dist, spec.stations, np.zeros(spec.stations, dtype=np.int64)
        )
        stations = _dissolve(districts, stat_of_dist, spec.stations)
        bureau_geom = shapely.coverage_union_all(stations)

        bureau_code = f"{plan.code}000000"
        result.bureaus.append(UnitShape(bureau_code, _bureau_name(plan.name), "bureau", None, bureau_geom))

        s_reps = shapely.point_on_surface(stations)
        s_xy = frame.to_xy(shapely.get_x(s_reps), shapely.get_y(s_reps))
        for s_no, s in enumerate(_dist_order(s_xy, town_xy), start=1):
            s_name, s_short = _station_name(station_counter)
            station_counter += 1
            s_code = f"{plan.code}{s_no:02d}0000"
            result.stations.append(UnitShape(s_code, s_name, "station", bureau_code, stations[s]))
            d_members = np.flatnonzero(stat_of_dist == s)
            for d_no, d in enumerate(d_members[_dist_order(d_xy[d_members], town_xy)], start=1):
                d_code = f"{s_code[:8]}{d_no:02d}00"
                d_name = f"{s_short}第{d_no}警务区"
                result.districts.append(UnitShape(d_code, d_name, "district", s_code, districts[d]))
                g_members = np.flatnonzero(dist_of_grid == d)
                for g_no, g in enumerate(g_members[_dist_order(c_xy[g_members], town_xy)], start=1):
                    result.grids.append(
                        UnitShape(f"{d_code}{g_no:03d}", f"{d_name}第{g_no}网格", "grid", d_code, c_grids[g])
                    )
        t_idx = np.flatnonzero(town_county == c)
        for t_no, t in enumerate(t_idx, start=1):
            result.townships.append(
                UnitShape(
                    f"{plan.code}{t_no:03d}",
                    _township_name(township_counter),
                    "township",
                    bureau_code,
                    townships[t],
                )
            )
            township_counter += 1

    for kind in KINDS:
        result.by_kind(kind).sort(key=lambda u: u.code)
    return result
