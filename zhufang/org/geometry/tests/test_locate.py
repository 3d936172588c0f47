from __future__ import annotations

from functools import cache
from itertools import pairwise

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from zhufang.org.geometry.locate import Cell, Locator, brute_force_locate

from .helpers import jurisdiction

pytestmark = pytest.mark.sqlite


@cache
def small_cells() -> list[Cell]:
    """Small-county grids with ids in the OPPOSITE order of their codes, so "smallest code" and
    "smallest id" disagree and the tie rule is really exercised."""
    grids = jurisdiction("small").grids
    return [(10_000 - i, g.code, g.polygon) for i, g in enumerate(grids)]


@cache
def small_locator() -> Locator:
    return Locator(small_cells())


@cache
def shared_points() -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(vertices of grid polygons, midpoints of edges shared by two grids) from the snapped coordinates."""
    vertices: set[tuple[float, float]] = set()
    edge_owner: dict[tuple[tuple[float, float], tuple[float, float]], set[str]] = {}
    for _cid, code, poly in small_cells():
        rings = [poly.exterior, *poly.interiors]
        for ring in rings:
            coords = [tuple(c) for c in shapely.get_coordinates(ring).tolist()]
            vertices.update(coords)
            for a, b in pairwise(coords):
                key = (a, b) if a <= b else (b, a)
                edge_owner.setdefault(key, set()).add(code)
    midpoints = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for (a, b), owners in edge_owner.items() if len(owners) == 2]
    return sorted(vertices), sorted(midpoints)


def _check(points: list[tuple[float, float]]) -> None:
    loc = small_locator()
    cells = small_cells()
    lons = np.array([p[0] for p in points], dtype=np.float64)
    lats = np.array([p[1] for p in points], dtype=np.float64)
    got = loc.locate(lons, lats)
    assert got.dtype == np.int64
    via_tree = loc.locate_strtree(lons, lats)
    for i, (lon, lat) in enumerate(points):
        expected = brute_force_locate(cells, lon, lat)
        assert got[i] == expected, (lon, lat)
        assert via_tree[i] == expected
        assert loc.locate_one(lon, lat) == expected


def _bbox() -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = jurisdiction("small").bureau.polygon.bounds
    pad_x, pad_y = (maxx - minx) * 0.05, (maxy - miny) * 0.05
    return minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y


@st.composite
def bbox_points(draw: st.DrawFn) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = _bbox()
    n = draw(st.integers(min_value=1, max_value=40))
    return [
        (
            draw(st.floats(min_value=minx, max_value=maxx, allow_nan=False)),
            draw(st.floats(min_value=miny, max_value=maxy, allow_nan=False)),
        )
        for _ in range(n)
    ]


@settings(max_examples=150, deadline=None)
@given(points=bbox_points())
def test_random_points_agree_with_brute_force(points: list[tuple[float, float]]) -> None:
    _check(points)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_vertices_agree_and_take_smallest_code(data: st.DataObject) -> None:
    vertices, _ = shared_points()
    points = data.draw(st.lists(st.sampled_from(vertices), min_size=1, max_size=20))
    _check(points)
    # a vertex lies on the boundary of every grid having it, so the smallest of their codes wins
    loc = small_locator()
    for lon, lat in points:
        owners = [(code, cid) for cid, code, poly in small_cells() if (lon, lat) in set(poly.exterior.coords)]
        assert loc.locate_one(lon, lat) == min(owners)[1]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_shared_edge_midpoints_agree(data: st.DataObject) -> None:
    _, midpoints = shared_points()
    points = data.draw(st.lists(st.sampled_from(midpoints), min_size=1, max_size=20))
    _check(points)


def test_there_are_shared_boundary_points() -> None:
    vertices, midpoints = shared_points()
    assert len(vertices) > 100 and len(midpoints) > 50
    polys = [c[2] for c in small_cells()]

    def hits(p: tuple[float, float]) -> int:
        return sum(poly.intersects(shapely.Point(p)) for poly in polys)

    assert sum(hits(p) >= 3 for p in vertices) > 10  # vertices where three grids meet
    assert sum(hits(p) == 2 for p in midpoints) > 5  # midpoints exactly on a shared edge: real ties
    loc = small_locator()
    # several vertices are shared by three grids; each resolves to exactly one id
    lons = np.array([v[0] for v in vertices])
    lats = np.array([v[1] for v in vertices])
    assert (loc.locate(lons, lats) >= 0).all()


def test_all_vertices_and_midpoints_vectorised() -> None:
    vertices, midpoints = shared_points()
    _check(vertices[::3] + midpoints[::3])


def test_outside_nan_empty_and_shapes() -> None:
    loc = small_locator()
    minx, miny, maxx, _maxy = _bbox()
    out = loc.locate(np.array([minx - 1, np.nan, maxx + 1, 0.0]), np.array([miny, miny, np.nan, 0.0]))
    assert out.tolist() == [-1, -1, -1, -1]
    assert loc.locate(np.array([]), np.array([])).shape == (0,)
    grid = jurisdiction("small").grids[0].polygon.representative_point()
    two_d = loc.locate(np.full((2, 3), grid.x), np.full((2, 3), grid.y))
    assert two_d.shape == (2, 3) and (two_d == 10_000).all()
    assert loc.locate_one(grid.x, grid.y) == 10_000
    assert loc.locate_one(float("nan"), 0.0) == -1
    assert loc.locate_codes([grid.x, 0.0], [grid.y, 0.0]) == [jurisdiction("small").grids[0].code, None]
    with pytest.raises(ValueError, match="same length"):
        loc.locate(np.zeros(2), np.zeros(3))


def test_overlapping_cells_and_equal_codes() -> None:
    a = shapely.box(0, 0, 2, 2)
    b = shapely.box(1, 1, 3, 3)
    loc = Locator([(1, "B", a), (2, "A", b)], tiles_per_cell=16)
    assert loc.locate_one(1.5, 1.5) == 2  # inside both: code "A" wins
    assert loc.locate_one(0.5, 0.5) == 1
    assert loc.locate_one(2.0, 2.0) == 2  # corner of a, inside b
    assert loc.locate_one(3.0, 3.0) == 2
    assert loc.locate_one(3.1, 3.0) == -1
    assert loc.locate(np.array([1.5, 0.5, 2.0]), np.array([1.5, 0.5, 2.0])).tolist() == [2, 1, 2]
    same = Locator([(7, "X", a), (3, "X", b)])
    assert same.locate_one(1.5, 1.5) == 3  # equal codes: smaller id
    assert brute_force_locate([(7, "X", a), (3, "X", b)], 1.5, 1.5) == 3
    with pytest.raises(ValueError, match="unique"):
        Locator([(1, "A", a), (1, "B", b)])
    empty = Locator([])
    assert empty.locate(np.array([1.0]), np.array([1.0])).tolist() == [-1]
    assert empty.locate_one(1.0, 1.0) == -1


def test_tile_index_and_plain_strtree_agree_on_county() -> None:
    grids = jurisdiction("county").grids
    cells = [(i + 1, g.code, g.polygon) for i, g in enumerate(grids)]
    loc = Locator(cells)
    plain = Locator(cells, tiles_per_cell=0)
    stats = loc.tile_stats()
    assert stats["pure"] > stats["mixed"] > 0
    assert plain.tile_stats() == {"tiles": 0}
    minx, miny, maxx, maxy = jurisdiction("county").bureau.polygon.bounds
    rng = np.random.default_rng(11)
    x = rng.uniform(minx, maxx, 200_000)
    y = rng.uniform(miny, maxy, 200_000)
    fast = loc.locate(x, y)
    assert np.array_equal(fast, loc.locate_strtree(x, y))
    assert np.array_equal(fast, plain.locate(x, y))
    assert 0.6 < float(np.mean(fast >= 0)) < 0.9  # the county is a blob inside its bounding box
    for k in range(0, 300):
        assert fast[k] == brute_force_locate(cells, x[k], y[k])
    # every vertex of the county grids too (boundary points, tie rule)
    verts = np.unique(shapely.get_coordinates(np.array([g.polygon for g in grids], dtype=object)), axis=0)
    sample = verts[:: max(1, len(verts) // 400)]
    got = loc.locate(sample[:, 0], sample[:, 1])
    assert np.array_equal(got, loc.locate_strtree(sample[:, 0], sample[:, 1]))
    for (vx, vy), cid in zip(sample.tolist(), got.tolist(), strict=True):
        assert cid == brute_force_locate(cells, vx, vy)


def test_large_inputs_are_processed_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import zhufang.org.geometry.locate as locate_module

    loc = small_locator()
    minx, miny, maxx, maxy = _bbox()
    rng = np.random.default_rng(3)
    x, y = rng.uniform(minx, maxx, 5000), rng.uniform(miny, maxy, 5000)
    whole = loc.locate(x, y)
    monkeypatch.setattr(locate_module, "LOCATE_CHUNK", 777)
    assert np.array_equal(loc.locate(x, y), whole)


def test_benchmark_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from benchmarks.locate import main

    assert main(["--json", "--sizes", "3000", "--loop-sample", "20", "--repeat", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    result = json.loads(out[0])
    assert result["bench"] == "locate"
    cases = {r["case"] for r in result["rows"]}
    assert cases == {
        "locator_build",
        "locator",
        "locator_strtree",
        "sjoin_intersects",
        "sjoin_within",
        "python_loop",
    }
    for row in result["rows"]:
        assert {"case", "size", "seconds", "peak_mb", "points_per_s"} <= set(row)
    assert all(a["agree_fraction"] >= 0.9999 for a in result["agreement"])
