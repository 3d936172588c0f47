"""Vectorised point-in-cell lookup ("which grid is this lon/lat in?").

:class:`Locator` is built once from ``(cell_id, code, polygon)`` triples and answers
``locate(lons, lats) -> int64 cell ids`` for whole numpy arrays, ``-1`` for points outside every cell.

Tie rule (deterministic): a point counts as *in* a cell when it intersects the closed polygon (interior
or boundary, GEOS ``intersects``); a point on a shared edge or vertex belongs to the candidate with the
smallest ``code`` (string order; equal codes fall back to the smaller ``cell_id``).  Internally cells
are stored in that order, so "smallest rank" = "smallest code".

How it is fast.  Building:

1. an :class:`shapely.STRtree` of the (prepared) cells;
2. a uniform *tile index* over the cells' bounding box (about ``tiles_per_cell`` tiles per cell): each
   tile box is queried against the tree once (predicate ``intersects``).  A tile that intersects no cell
   is "outside"; a tile whose only candidate *covers* it is "pure" (every point of the closed tile lies
   in that cell and in no other); everything else is "mixed" and keeps its candidate list (CSR arrays,
   candidates in rank order).  Tile boxes are enlarged by a relative 1e-7 so rounding in the
   point → tile computation can never put a point outside the box that was checked.

Locating then is pure numpy: compute each point's tile; pure/outside tiles answer directly; points in
mixed tiles are expanded into (point, candidate) pairs and tested all at once with
``shapely.intersects_xy`` on the prepared polygons (no point objects are created); the first hit in rank
order is the smallest code.  No Python loop over points.  On the county demo (1,636 grids) this locates
1,000,000 points in ~0.15-0.25 s (build ~0.7 s, 209k tiles), against ~1.3-2.3 s for
``STRtree.query(shapely.points(...), predicate="intersects")`` (:meth:`Locator.locate_strtree`, kept as a
second implementation with identical results) on the same 2-core machine.  Memory: ~80 MB of
temporaries per million points; inputs larger than ``LOCATE_CHUNK`` are processed in batches.
Pass ``tiles_per_cell=0`` to skip the tile index (then :meth:`locate` uses the STRtree path).

:func:`brute_force_locate` is the obvious per-point loop with the same tie rule, used as the test oracle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Point

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Cell = tuple[int, str, Any]

DEFAULT_TILES_PER_CELL = 128
MAX_TILES = 1_500_000
LOCATE_CHUNK = 1 << 20  # points per internal batch of Locator.locate
_TILE_PAD = 1e-7  # relative enlargement of tile boxes
_TILE_CHUNK = 65_536

_OUTSIDE = -1
_MIXED = -2


def _sorted_cells(cells: Iterable[Cell]) -> list[Cell]:
    """Cells in tie-rule order: by code, then by cell_id."""
    out = [(int(cid), str(code), poly) for cid, code, poly in cells]
    out.sort(key=lambda c: (c[1], c[0]))
    return out


class Locator:
    """Point → cell lookup over a fixed set of polygons (see module docstring for the tie rule)."""

    def __init__(self, cells: Iterable[Cell], *, tiles_per_cell: int = DEFAULT_TILES_PER_CELL) -> None:
        ordered = _sorted_cells(cells)
        self.cell_ids: IntArray = np.array([c[0] for c in ordered], dtype=np.int64)
        self.codes: list[str] = [c[1] for c in ordered]
        self.polygons: npt.NDArray[np.object_] = np.empty(len(ordered), dtype=object)
        self.polygons[:] = [c[2] for c in ordered]
        if len(set(self.cell_ids.tolist())) != len(self.cell_ids):
            raise ValueError("cell ids must be unique")
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        self.code_of: dict[int, str] = dict(zip(self.cell_ids.tolist(), self.codes, strict=True))
        self.tiles_per_cell = tiles_per_cell
        self._build_tiles(tiles_per_cell)

    def __len__(self) -> int:
        return len(self.cell_ids)

    # ------------------------------------------------------------------ tile index

    def _build_tiles(self, tiles_per_cell: int) -> None:
        n_cells = len(self.polygons)
        self._nx = self._ny = 0
        if n_cells == 0 or tiles_per_cell <= 0:
            return
        x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(self.polygons))
        w, h = x1 - x0, y1 - y0
        if not (math.isfinite(w) and math.isfinite(h)) or w <= 0 or h <= 0:
            return
        target = min(MAX_TILES, tiles_per_cell * n_cells)
        nx = max(1, round(math.sqrt(target * w / h)))
        ny = max(1, round(target / nx))
        dx, dy = w / nx, h / ny
        n_tiles = nx * ny
        state = np.full(n_tiles, _MIXED, dtype=np.int32)
        counts = np.zeros(n_tiles, dtype=np.int64)
        cand_parts: list[IntArray] = []
        pad_x, pad_y = _TILE_PAD * dx, _TILE_PAD * dy
        # Chunked so the temporary tile boxes stay small (~10 MB) whatever the tile count.
        for start in range(0, n_tiles, _TILE_CHUNK):
            tiles = np.arange(start, min(start + _TILE_CHUNK, n_tiles), dtype=np.int64)
            iy, ix = np.divmod(tiles, nx)
            boxes = shapely.box(
                x0 + ix * dx - pad_x,
                y0 + iy * dy - pad_y,
                x0 + (ix + 1) * dx + pad_x,
                y0 + (iy + 1) * dy + pad_y,
            )
            local, cand = self.tree.query(boxes, predicate="intersects")
            order = np.lexsort((cand, local))
            local, cand = local[order], cand[order]
            chunk_counts = np.bincount(local, minlength=len(tiles))
            counts[tiles] = chunk_counts
            state[tiles[chunk_counts == 0]] = _OUTSIDE
            single = np.flatnonzero(chunk_counts == 1)
            if len(single):
                first = np.searchsorted(local, single)
                only = cand[first]
                covered = shapely.covers(self.polygons[only], boxes[single])
                state[tiles[single[covered]]] = only[covered]
            cand_parts.append(cand)
        ptr = np.zeros(n_tiles + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        cand = np.concatenate(cand_parts) if cand_parts else np.zeros(0, dtype=np.int64)
        self._x0, self._y0, self._x1, self._y1 = x0, y0, x1, y1
        self._dx, self._dy = dx, dy
        self._nx, self._ny = nx, ny
        self._state = state
        self._ptr = ptr
        self._cand = cand.astype(np.int32)

    def tile_stats(self) -> dict[str, Any]:
        """Size of the tile index and the share of pure/outside/mixed tiles (for diagnostics)."""
        if not self._nx:
            return {"tiles": 0}
        state = self._state
        return {
            "tiles": int(state.size),
            "nx": self._nx,
            "ny": self._ny,
            "outside": int((state == _OUTSIDE).sum()),
            "pure": int((state >= 0).sum()),
            "mixed": int((state == _MIXED).sum()),
            "candidates": int(self._cand.size),
        }

    # ------------------------------------------------------------------ queries

    def locate(self, lons: Any, lats: Any) -> IntArray:
        """Cell id for every (lon, lat) pair, -1 where the point is in no cell (NaN → -1)."""
        x = np.ascontiguousarray(lons, dtype=np.float64).ravel()
        y = np.ascontiguousarray(lats, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"lons and lats must have the same length, got {x.size} and {y.size}")
        find = self._locate_ranks if self._nx else self._strtree_ranks
        if x.size <= LOCATE_CHUNK:
            ranks = find(x, y)
        else:  # bounded temporary memory (~80 MB per million points) for very large inputs
            ranks = np.concatenate(
                [find(x[i : i + LOCATE_CHUNK], y[i : i + LOCATE_CHUNK]) for i in range(0, x.size, LOCATE_CHUNK)]
            )
        return self._ids_from_ranks(ranks).reshape(np.shape(lons))

    def _ids_from_ranks(self, ranks: IntArray) -> IntArray:
        out = np.full(ranks.shape, -1, dtype=np.int64)
        hit = ranks >= 0
        out[hit] = self.cell_ids[ranks[hit]]
        return out

    def _locate_ranks(self, x: FloatArray, y: FloatArray) -> IntArray:
        ranks = np.full(x.size, _OUTSIDE, dtype=np.int64)
        inside_box = (x >= self._x0) & (x <= self._x1) & (y >= self._y0) & (y <= self._y1)  # NaN → False
        pi = np.flatnonzero(inside_box)
        if not len(pi):
            return ranks
        px, py = x[pi], y[pi]
        tx = np.minimum(((px - self._x0) / self._dx).astype(np.int64), self._nx - 1)
        ty = np.minimum(((py - self._y0) / self._dy).astype(np.int64), self._ny - 1)
        tile = ty * self._nx + tx
        state = self._state[tile].astype(np.int64)
        ranks[pi] = state
        mixed = np.flatnonzero(state == _MIXED)
        if not len(mixed):
            return ranks
        mp = pi[mixed]
        mt = tile[mixed]
        counts = self._ptr[mt + 1] - self._ptr[mt]
        total = int(counts.sum())
        owner = np.repeat(np.arange(len(mp), dtype=np.int64), counts)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        cand = self._cand[np.repeat(self._ptr[mt], counts) + offsets].astype(np.int64)
        hits = np.flatnonzero(shapely.intersects_xy(self.polygons[cand], x[mp[owner]], y[mp[owner]]))
        result = np.full(len(mp), _OUTSIDE, dtype=np.int64)
        # candidates of one point are contiguous and in rank order, so the first hit is the smallest code
        first_owner, first_pos = np.unique(owner[hits], return_index=True)
        result[first_owner] = cand[hits[first_pos]]
        ranks[mp] = result
        return ranks

    def locate_strtree(self, lons: Any, lats: Any) -> IntArray:
        """Same answer as :meth:`locate`, via ``STRtree.query(points, predicate="intersects")`` only."""
        x = np.ascontiguousarray(lons, dtype=np.float64).ravel()
        y = np.ascontiguousarray(lats, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"lons and lats must have the same length, got {x.size} and {y.size}")
        return self._ids_from_ranks(self._strtree_ranks(x, y)).reshape(np.shape(lons))

    def _strtree_ranks(self, x: FloatArray, y: FloatArray) -> IntArray:
        ranks = np.full(x.size, np.iinfo(np.int64).max, dtype=np.int64)
        if len(self.polygons) and x.size:
            # rows: [input (point) index, tree (cell) index]; tree index == rank
            point_idx, cell_idx = self.tree.query(shapely.points(x, y), predicate="intersects")
            np.minimum.at(ranks, point_idx, cell_idx.astype(np.int64))
        ranks[ranks == np.iinfo(np.int64).max] = _OUTSIDE
        return ranks

    def locate_one(self, lon: float, lat: float) -> int:
        """Cell id of one point, -1 if outside every cell."""
        lon, lat = float(lon), float(lat)
        if self._nx:
            if not (self._x0 <= lon <= self._x1 and self._y0 <= lat <= self._y1):
                return -1
            tx = min(int((lon - self._x0) / self._dx), self._nx - 1)
            ty = min(int((lat - self._y0) / self._dy), self._ny - 1)
            tile = ty * self._nx + tx
            state = int(self._state[tile])
            if state != _MIXED:
                return -1 if state == _OUTSIDE else int(self.cell_ids[state])
            candidates = self._cand[self._ptr[tile] : self._ptr[tile + 1]]
        else:
            candidates = np.sort(self.tree.query(Point(lon, lat), predicate="intersects"))
        for rank in candidates:
            if shapely.intersects_xy(self.polygons[rank], lon, lat):
                return int(self.cell_ids[rank])
        return -1

    def locate_codes(self, lons: Any, lats: Any) -> list[str | None]:
        """Like :meth:`locate` but returns cell codes (None outside)."""
        return [self.code_of[i] if i >= 0 else None for i in self.locate(lons, lats).ravel().tolist()]


def brute_force_locate(cells: Sequence[Cell], lon: float, lat: float) -> int:
    """Reference implementation: test every polygon; on ties the smallest code (then cell id) wins."""
    point = Point(lon, lat)
    best: tuple[str, int] | None = None
    for cell_id, code, polygon in cells:
        if polygon.intersects(point):
            key = (str(code), int(cell_id))
            if best is None or key < best:
                best = key
    return -1 if best is None else best[1]
