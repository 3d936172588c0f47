"""Read-side helpers for the organisation tree: counts per unit, map features. All take the
principal and read through the data-scope mechanism."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count

from zhufang.accounts.models import User
from zhufang.org.locating import Located
from zhufang.org.models import OrgKind, OrgUnit


def subtree_counts(principal: Any, unit: OrgUnit) -> dict[str, int]:
    """How many active units of each kind, and users, lie in ``unit``'s subtree (within scope)."""
    units = OrgUnit.objects.visible_to(principal).active().subtree(unit).exclude(pk=unit.pk)
    by_kind = Counter(dict(units.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")))
    users = (
        User.objects.visible_to(principal)
        .filter(unit__in=OrgUnit.objects.subtree(unit).values("pk"), is_active=True)
        .count()
    )
    return {
        "stations": by_kind.get(OrgKind.STATION, 0),
        "districts": by_kind.get(OrgKind.DISTRICT, 0),
        "grids": by_kind.get(OrgKind.GRID, 0),
        "users": users,
    }


def map_features(principal: Any, *, kind: str, within: OrgUnit | None = None, limit: int = 20000) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the visible active units of ``kind`` (optionally in a subtree)."""
    units = OrgUnit.objects.visible_to(principal).active().filter(kind=kind, polygon__isnull=False)
    if within is not None:
        units = units.subtree(within)
    rows = units.values("pk", "code", "name", "kind", "parent_id", "polygon", "head_name")[:limit]
    features = [
        {
            "type": "Feature",
            "id": row["pk"],
            "properties": {
                "id": row["pk"],
                "code": row["code"],
                "name": row["name"],
                "kind": row["kind"],
                "parent_id": row["parent_id"],
                "head": row["head_name"],
            },
            "geometry": row["polygon"],
        }
        for row in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def visible_location(principal: Any, located: Located) -> dict[str, OrgUnit | None]:
    """The grid, district and station a point fell in, each hidden (None) when outside scope."""
    found = [u for u in (located.grid, located.district, located.station) if u is not None]
    visible = set(
        OrgUnit.objects.visible_to(principal).filter(pk__in=[u.pk for u in found]).values_list("pk", flat=True)
    )
    return {
        key: (unit if unit is not None and unit.pk in visible else None)
        for key, unit in (("grid", located.grid), ("district", located.district), ("station", located.station))
    }
