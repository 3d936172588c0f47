"""Locate (定位): which grid, police district and station a point falls in.

One process-wide ``GridLocator`` over the active grids, rebuilt when the grids change (checked with
one cheap aggregate query). ``locate_many`` is vectorised for the registry's million addresses.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db.models import Count, Max

from zhufang.org.geometry.locate import Locator
from zhufang.org.models import OrgKind, OrgUnit


@dataclass(frozen=True)
class LocatedArrays:
    grid_ids: np.ndarray
    district_ids: np.ndarray
    station_ids: np.ndarray


@dataclass(frozen=True)
class Located:
    grid: OrgUnit | None
    district: OrgUnit | None
    station: OrgUnit | None


class GridLocator:
    def __init__(self, grids: Sequence[tuple[int, str, str | None, Any]]) -> None:
        cells = [(pk, code, shapely.from_geojson(_dumps(polygon))) for pk, code, _path, polygon in grids]
        self.locator = Locator(cells)
        # parent chain read off the materialised path: /bureau/station/district/grid/
        chains = sorted((pk, [int(p) for p in (path or "").strip("/").split("/")]) for pk, _c, path, _p in grids)
        self._keys = np.array([pk for pk, _chain in chains], dtype=np.int64)
        self._districts = np.array([chain[-2] for _pk, chain in chains], dtype=np.int64)
        self._stations = np.array([chain[-3] for _pk, chain in chains], dtype=np.int64)

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> LocatedArrays:
        grid_ids = self.locator.locate(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        found = grid_ids >= 0
        if not len(self._keys):
            missing = np.full(len(grid_ids), -1, dtype=np.int64)
            return LocatedArrays(grid_ids, missing, missing.copy())
        positions = np.where(found, np.searchsorted(self._keys, grid_ids), 0)
        district_ids = np.where(found, self._districts[positions], -1)
        station_ids = np.where(found, self._stations[positions], -1)
        return LocatedArrays(grid_ids, district_ids, station_ids)


def _dumps(polygon: Any) -> str:
    return json.dumps(polygon)


_lock = threading.Lock()
_cached: dict[str, object] = {}


def _grid_state() -> tuple[int, object]:
    agg = OrgUnit.objects.filter(kind=OrgKind.GRID, valid_to__isnull=True).aggregate(n=Count("id"), t=Max("updated_at"))
    return int(agg["n"]), agg["t"]


def current_locator() -> GridLocator:
    """The locator for the current active grids (rebuilt only when they changed)."""
    state = _grid_state()
    with _lock:
        if _cached.get("state") != state:
            grids = list(
                OrgUnit.objects.filter(kind=OrgKind.GRID, valid_to__isnull=True, polygon__isnull=False).values_list(
                    "pk", "code", "path", "polygon"
                )
            )
            _cached["locator"] = GridLocator(grids)
            _cached["state"] = state
        locator = _cached["locator"]
    assert isinstance(locator, GridLocator)
    return locator


def locate_many(lons: np.ndarray, lats: np.ndarray) -> LocatedArrays:
    return current_locator().locate_many(lons, lats)


def locate_point(lon: float, lat: float) -> Located:
    arrays = locate_many(np.array([lon]), np.array([lat]))
    ids = [int(arrays.grid_ids[0]), int(arrays.district_ids[0]), int(arrays.station_ids[0])]
    units = OrgUnit.objects.in_bulk([i for i in ids if i >= 0])
    return Located(units.get(ids[0]), units.get(ids[1]), units.get(ids[2]))
