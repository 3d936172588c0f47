"""Benchmark: locating points in the county's 1,636 grids.

Cases (per point count ``size``):

* ``locator`` — :meth:`zhufang.org.geometry.locate.Locator.locate` (tile index + vectorised
  ``shapely.intersects_xy``; input = two float64 arrays, nothing else prepared);
* ``locator_strtree`` — :meth:`Locator.locate_strtree`, the plain ``STRtree.query(shapely.points(...),
  predicate="intersects")`` path (point creation included in the timing);
* ``sjoin_intersects`` / ``sjoin_within`` — ``geopandas.sjoin(points_gdf, grids_gdf, predicate=...)``.
  The GeoDataFrames (including the point geometries) are built OUTSIDE the timing and the grids'
  spatial index is warmed first, so only the join itself is timed — this flatters sjoin;
* ``python_loop`` — the obvious loop: for each point, test all 1,636 prepared polygons in code order
  (first hit = smallest code, the same tie rule).  Timed on a sample of ``loop_sample`` points and
  EXTRAPOLATED linearly to ``size`` (the row says so).

``locator_build`` times building the Locator (STRtree + tile index) once.  The locator and sjoin cases
are run ``repeat`` times (default 3) and the best time is reported; build and loop run once.

``peak_mb`` is the growth of the resident set during the case: the Linux peak-RSS mark (VmHWM) is reset
through ``/proc/self/clear_refs`` before each case and compared with the RSS at its start, so GEOS and
numpy allocations are included (tracemalloc would miss GEOS).  Where that is unavailable it falls back to
``resource.getrusage`` max RSS growth (monotonic, so later cases may show 0).

Agreement: Locator vs sjoin(intersects) with the same tie rule applied to sjoin's duplicate matches, and
Locator vs sjoin(within), must agree on ≥ 99.99 % of points (points on a boundary may differ for
"within", which excludes boundaries).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from benchmarks.measure import measure
from zhufang.org.geometry.demo_polygons import generate_jurisdiction
from zhufang.org.geometry.locate import Locator

DEFAULT_SIZES = (100_000, 1_000_000)
LOOP_SAMPLE = 2_000
AGREEMENT_MIN = 0.9999


# ----------------------------------------------------------------------------------------- cases


def _loop_locate(polys: npt.NDArray[np.object_], ids: npt.NDArray[np.int64], x: Any, y: Any) -> npt.NDArray[np.int64]:
    """Per-point Python loop over all prepared polygons (in code order → first hit = smallest code)."""
    out = np.full(len(x), -1, dtype=np.int64)
    poly_list = list(polys)
    for i, (px, py) in enumerate(zip(x.tolist(), y.tolist(), strict=True)):
        point = shapely.Point(px, py)
        for k, poly in enumerate(poly_list):
            if poly.intersects(point):
                out[i] = ids[k]
                break
    return out


def _sjoin_ids(joined: Any, n: int, ids_by_rank: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per point the matched cell with the smallest code (sjoin may return several for boundary points)."""
    best = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    left = joined.index.to_numpy(dtype=np.int64)
    right_ids = joined["cell_id"].to_numpy(dtype=np.int64)
    sorter = np.argsort(ids_by_rank)
    right_ranks = sorter[np.searchsorted(ids_by_rank, right_ids, sorter=sorter)].astype(np.int64)
    np.minimum.at(best, left, right_ranks)
    result = np.full(n, -1, dtype=np.int64)
    hit = best != np.iinfo(np.int64).max
    result[hit] = ids_by_rank[best[hit]]
    return result


def run(
    sizes: Sequence[int] = DEFAULT_SIZES,
    json_output: bool = False,
    *,
    seed: int = 2026,
    loop_sample: int = LOOP_SAMPLE,
    repeat: int = 3,
) -> dict[str, Any]:
    """Run the benchmark, print a table (or one JSON object) and return the result dict."""
    import geopandas as gpd  # imported lazily: only the benchmark needs geopandas

    jur = generate_jurisdiction("county", seed=seed)
    cells = [(i + 1, g.code, g.polygon) for i, g in enumerate(jur.grids)]
    rows: list[dict[str, Any]] = []

    locator, build_s, build_mb = measure(lambda: Locator(cells))
    rows.append(
        {
            "case": "locator_build",
            "size": len(cells),
            "seconds": round(build_s, 4),
            "points_per_s": None,
            "peak_mb": round(build_mb, 1),
            "note": f"STRtree + tile index ({locator.tile_stats()['tiles']} tiles), {len(cells)} grids",
        }
    )

    grids_gdf = gpd.GeoDataFrame(
        {"cell_id": [c[0] for c in cells], "code": [c[1] for c in cells]},
        geometry=[c[2] for c in cells],
        crs="EPSG:4326",
    )
    _ = grids_gdf.sindex  # warm the spatial index: sjoin timings exclude building it
    polys_in_code_order = locator.polygons
    minx, miny, maxx, maxy = jur.bureau.polygon.bounds
    rng = np.random.default_rng(seed)
    agreement: list[dict[str, Any]] = []
    ratios: list[dict[str, Any]] = []

    for size in sizes:
        x = rng.uniform(minx, maxx, size)
        y = rng.uniform(miny, maxy, size)
        by_case: dict[str, float] = {}

        def row(
            case: str,
            seconds: float,
            peak_mb: float | None,
            note: str = "",
            size: int = size,
            by_case: dict[str, float] = by_case,
        ) -> None:
            by_case[case] = seconds
            rows.append(
                {
                    "case": case,
                    "size": size,
                    "seconds": round(seconds, 4),
                    "points_per_s": round(size / seconds) if seconds > 0 else None,
                    "peak_mb": None if peak_mb is None else round(peak_mb, 1),
                    "note": note,
                }
            )

        loc_ids, s, mb = measure(partial(locator.locate, x, y), repeat)
        row("locator", s, mb, "Locator.locate: tile index + vectorised intersects_xy")
        tree_ids, s, mb = measure(partial(locator.locate_strtree, x, y), repeat)
        row("locator_strtree", s, mb, "STRtree.query(points, 'intersects'), point creation included")

        points_gdf = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs="EPSG:4326")
        joined_i, s, mb = measure(
            partial(gpd.sjoin, points_gdf, grids_gdf, how="inner", predicate="intersects"), repeat
        )
        row("sjoin_intersects", s, mb, "sjoin call only (GeoDataFrames + sindex built outside timing)")
        joined_w, s, mb = measure(partial(gpd.sjoin, points_gdf, grids_gdf, how="inner", predicate="within"), repeat)
        row("sjoin_within", s, mb, "sjoin call only (GeoDataFrames + sindex built outside timing)")
        del points_gdf

        sample = min(loop_sample, size)
        loop_ids, s, mb = measure(partial(_loop_locate, polys_in_code_order, locator.cell_ids, x[:sample], y[:sample]))
        row(
            "python_loop",
            s * size / sample,
            mb,
            f"EXTRAPOLATED from {sample} points x {len(cells)} prepared polygons ({s:.2f} s measured)",
        )

        sj_i = _sjoin_ids(joined_i, size, locator.cell_ids)
        sj_w = _sjoin_ids(joined_w, size, locator.cell_ids)
        for other, ids, n_cmp in (
            ("locator_strtree", tree_ids, size),
            ("sjoin_intersects", sj_i, size),
            ("sjoin_within", sj_w, size),
            ("python_loop", loop_ids, sample),
        ):
            same = float(np.mean(loc_ids[:n_cmp] == ids[:n_cmp])) if n_cmp else 1.0
            agreement.append(
                {
                    "size": size,
                    "locator_vs": other,
                    "agree_fraction": same,
                    "differing_points": int(np.sum(loc_ids[:n_cmp] != ids[:n_cmp])),
                    "ok": same >= AGREEMENT_MIN,
                }
            )
        ratios.append(
            {
                "size": size,
                "sjoin_intersects_over_locator": round(by_case["sjoin_intersects"] / by_case["locator"], 1),
                "sjoin_within_over_locator": round(by_case["sjoin_within"] / by_case["locator"], 1),
                "strtree_over_locator": round(by_case["locator_strtree"] / by_case["locator"], 1),
                "loop_over_locator": round(by_case["python_loop"] / by_case["locator"], 1),
                "points_inside_county": round(float(np.mean(loc_ids >= 0)), 4),
            }
        )
        for r in rows:
            if r["case"] == "locator" and r["size"] == size:
                r["speedup_vs_sjoin"] = ratios[-1]["sjoin_intersects_over_locator"]
                r["speedup_vs_loop"] = ratios[-1]["loop_over_locator"]

    result: dict[str, Any] = {
        "bench": "locate",
        "rows": rows,
        "agreement": agreement,
        "ratios": ratios,
        "meta": {
            "grids": len(cells),
            "seed": seed,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "geopandas": gpd.__version__,
            "points": "uniform in the county bounding box (seeded)",
            "repeat": repeat,
            "timing": "best of `repeat` runs for locator/sjoin cases; one run for build and python_loop",
        },
    }
    if json_output:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(format_table(result))
    return result


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"locate benchmark — {result['meta']['grids']} county grids, seed {result['meta']['seed']}, "
        f"{result['meta']['cpus']} CPUs, shapely {result['meta']['shapely']} / GEOS {result['meta']['geos']}",
        "",
        f"{'case':<18} {'size':>9} {'seconds':>9} {'points/s':>12} {'peak MB':>8}  note",
        "-" * 100,
    ]
    for r in result["rows"]:
        pps = f"{r['points_per_s']:,}" if r["points_per_s"] else "-"
        mb = f"{r['peak_mb']:.1f}" if r["peak_mb"] is not None else "-"
        lines.append(f"{r['case']:<18} {r['size']:>9,} {r['seconds']:>9.3f} {pps:>12} {mb:>8}  {r['note']}")
    lines += ["", "ratios (seconds of the other case / seconds of locator):"]
    for q in result["ratios"]:
        lines.append(
            f"  size {q['size']:>9,}: sjoin(intersects) {q['sjoin_intersects_over_locator']}x, "
            f"sjoin(within) {q['sjoin_within_over_locator']}x, strtree-only {q['strtree_over_locator']}x, "
            f"python loop {q['loop_over_locator']}x"
        )
    lines += ["", "agreement with Locator (must be >= 99.99 %):"]
    for a in result["agreement"]:
        flag = "ok" if a["ok"] else "MISMATCH"
        lines.append(
            f"  size {a['size']:>9,} vs {a['locator_vs']:<17} {a['agree_fraction'] * 100:8.4f} %  "
            f"({a['differing_points']} differ) {flag}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhufang bench locate", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated point counts (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--loop-sample", type=int, default=LOOP_SAMPLE, help="points timed in the Python loop")
    parser.add_argument("--repeat", type=int, default=3, help="runs per fast case; the best time is reported")
    args = parser.parse_args(argv)
    sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    result = run(sizes, json_output=args.json, seed=args.seed, loop_sample=args.loop_sample, repeat=args.repeat)
    return 0 if all(a["ok"] for a in result["agreement"]) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
