"""The registry's result map (结果地图): the houses a search found, or the establishments a filter
found, as points on the bureau's own polygons (the organisation map's ``registerMap`` layer; no
tiles), and one house's location.

Points come only from the scoped search result — the same ``search_houses`` / ``search_people`` /
``search_establishments`` the page lists, for the same principal — so the map never shows a point the
list could not show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from zhufang.org.models import OrgKind, OrgUnit
from zhufang.registry.models import Establishment, House, StandardAddress
from zhufang.registry.quality import CHILD_KIND, default_level
from zhufang.registry.queries import looks_like_document_number, search_establishments, search_houses

#: at most this many points on the search map (the list shows fewer; the map shows the spread)
MAP_POINT_LIMIT = 2000


@dataclass
class ResultMap:
    """What the map panel draws: the polygons of ``kind`` units (within ``within_id``) and points."""

    kind: str
    within_id: int | None
    points: list[dict[str, Any]] = field(default_factory=list)


def _point(pk: int, name: str, address: StandardAddress | None, url: str) -> dict[str, Any] | None:
    if address is None or address.lon is None or address.lat is None:
        return None
    return {"id": pk, "name": name, "value": [round(address.lon, 6), round(address.lat, 6)], "url": url}


def house_points(houses: Iterable[House]) -> list[dict[str, Any]]:
    """One point per house with a located address: id, address text, [lon, lat], its page."""
    points = (_point(h.pk, h.address.full_text, h.address, reverse("registry:house", args=[h.pk])) for h in houses)
    return [p for p in points if p is not None]


def establishment_points(units: Iterable[Establishment]) -> list[dict[str, Any]]:
    """One point per establishment with a located address: id, name (and key trade), [lon, lat], its page."""
    points = (
        _point(
            u.pk,
            f"{u.name}（{u.trade}）" if u.trade else u.name,
            u.address,
            reverse("registry:establishment", args=[u.pk]),
        )
        for u in units
    )
    return [p for p in points if p is not None]


def establishments_map(principal: Any, q: str, *, key_only: bool) -> ResultMap:
    """The establishments the list page finds for ``q`` (key venues only on request), within scope."""
    kind, within = _region(principal)
    units = search_establishments(principal, q, key_only=key_only).filter(address__lon__isnull=False)
    return ResultMap(kind=kind, within_id=within, points=establishment_points(units[:MAP_POINT_LIMIT]))


def _region(principal: Any) -> tuple[str, int | None]:
    level = default_level(principal)
    if level is None:
        return OrgKind.STATION, None
    return CHILD_KIND.get(OrgKind(level.kind), OrgKind.GRID), level.pk


def search_map(principal: Any, q: str, people_house_ids: Sequence[int]) -> ResultMap:
    """The houses matching ``q`` by address and the houses of the people found, within scope.

    ``q`` is the query as the page shows it: a document number arrives masked and finds no address."""
    kind, within = _region(principal)
    result = ResultMap(kind=kind, within_id=within)
    q = q.strip()
    found: dict[int, House] = {}
    if q and "*" not in q and not looks_like_document_number(q):
        for house in search_houses(principal, q).filter(address__lon__isnull=False)[:MAP_POINT_LIMIT]:
            found[house.pk] = house
    wanted = [pk for pk in dict.fromkeys(people_house_ids) if pk and pk not in found]
    if wanted:
        residences = House.objects.visible_to(principal).select_related("address").filter(pk__in=wanted)
        for house in residences[: max(0, MAP_POINT_LIMIT - len(found))]:
            found[house.pk] = house
    result.points = house_points(found.values())
    return result


def house_map(principal: Any, house: House) -> ResultMap:
    """One house on the grids of its police district (the district the principal may see)."""
    district_id = None
    grid = house.owner_unit
    if grid is not None and grid.kind == OrgKind.GRID and grid.parent_id is not None:
        visible = OrgUnit.objects.visible_to(principal).filter(pk=grid.parent_id)
        district_id = grid.parent_id if visible.exists() else None
    if district_id is None:
        kind, within = _region(principal)
        return ResultMap(kind=kind, within_id=within, points=house_points([house]))
    return ResultMap(kind=OrgKind.GRID, within_id=district_id, points=house_points([house]))
