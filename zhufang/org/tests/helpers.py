"""Small helpers shared by the org tests (no fixtures here: those live in ``zhufang/conftest.py``)."""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from zhufang.audit.models import AuditEntry
from zhufang.org.models import OrgUnit, ParentLink, StationMerger


def geom(unit: OrgUnit) -> BaseGeometry:
    """The unit's stored polygon as a shapely geometry."""
    assert unit.polygon is not None, unit.code
    return shapely.from_geojson(json.dumps(unit.polygon))


def as_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(geometry))


def square(lon: float, lat: float, size: float = 0.001) -> dict[str, Any]:
    """A small square polygon (GeoJSON) with its south-west corner at (lon, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]],
    }


def tree_state() -> dict[int, tuple[Any, ...]]:
    """Everything about the tree that a failed write must leave untouched."""
    return {
        row[0]: row[1:]
        for row in OrgUnit.objects.values_list(
            "pk", "code", "name", "parent_id", "path", "depth", "valid_to", "merged_into_id", "polygon"
        )
    }


def write_counts() -> dict[str, int]:
    """Row counts of every table an org write touches."""
    from zhufang.events.models import DomainEvent

    return {
        "units": OrgUnit.objects.count(),
        "links": ParentLink.objects.count(),
        "mergers": StationMerger.objects.count(),
        "audit": AuditEntry.objects.count(),
        "events": DomainEvent.objects.count(),
    }


def audit_rows(obj: OrgUnit | StationMerger, action: str | None = None) -> list[AuditEntry]:
    rows = AuditEntry.objects.filter(object_type=f"org.{obj._meta.model_name}", object_id=str(obj.pk))
    if action:
        rows = rows.filter(action=action)
    return list(rows.order_by("id"))


def parent_of(unit: OrgUnit) -> OrgUnit:
    """The unit's parent (asserting it has one)."""
    assert unit.parent_id is not None, unit.code
    return OrgUnit.objects.get(pk=unit.parent_id)


def params(**values: object) -> dict[str, str]:
    """Query parameters as the test client's type hints want them (text)."""
    return {key: str(value) for key, value in values.items()}
