"""Jurisdiction conflicts (管辖冲突, seed 004: 东庄村 registered by 南关所, policed by 城里所): addresses whose
responsible station recorded in the old data differs from the station their point falls in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zhufang.org.models import OrgKind, OrgUnit
from zhufang.registry.models import StandardAddress


@dataclass(frozen=True)
class ConflictGroup:
    recorded_station: str
    located_station: str
    community: str
    street: str
    addresses: int
    example: str


def jurisdiction_conflicts(principal: Any, *, limit: int = 500) -> list[ConflictGroup]:
    """Conflicting addresses within scope, grouped by (recorded, located station, community, street)."""
    stations = {u.pk: u for u in OrgUnit.objects.filter(kind=OrgKind.STATION)}
    by_code = {u.code: u for u in stations.values()}
    station_of_grid: dict[int, OrgUnit] = {}
    for pk, path in OrgUnit.objects.filter(kind=OrgKind.GRID).values_list("pk", "path"):
        parts = [int(p) for p in path.strip("/").split("/")]
        station = next((stations[p] for p in parts if p in stations), None)
        if station is not None:
            station_of_grid[pk] = station
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    rows = (
        StandardAddress.objects.visible_to(principal)
        .exclude(recorded_station_code="")
        .filter(owner_unit__isnull=False)
        .values_list("recorded_station_code", "owner_unit_id", "community", "street", "full_text")
    )
    for recorded_code, grid_id, community, street, text in rows.iterator(chunk_size=20000):
        located = station_of_grid.get(grid_id)
        if located is None or located.code == recorded_code:
            continue
        recorded = by_code.get(recorded_code)
        key = (recorded.name if recorded else recorded_code, located.name, community, street)
        groups.setdefault(key, []).append(text)
    result = [ConflictGroup(*key, addresses=len(texts), example=texts[0]) for key, texts in groups.items()]
    result.sort(key=lambda g: (-g.addresses, g.recorded_station, g.community, g.street))
    return result[:limit]
