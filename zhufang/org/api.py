"""Organisation API: the tree, the map, locate, and the administrator's writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.api import principal_of
from zhufang.org import services
from zhufang.org.geometry.coords import gcj02_to_wgs84_arrays
from zhufang.org.geometry_import import import_geojson
from zhufang.org.locating import locate_many, locate_point
from zhufang.org.models import OrgKind, OrgUnit
from zhufang.org.queries import map_features, subtree_counts, visible_location

router = Router(tags=["org"])
CRS_CHOICES = ("wgs84", "gcj02")


def _require(request: HttpRequest, perm: str) -> Any:
    principal = principal_of(request)
    if not principal.has_permission(perm):
        raise HttpError(403, f"permission {perm} required")
    return principal


class UnitOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    parent_id: int | None
    depth: int
    head_name: str
    phone: str
    is_active: bool
    valid_from: dt.date | None
    valid_to: dt.date | None
    centroid_lon: float | None
    centroid_lat: float | None
    area_km2: float | None


class UnitDetailOut(UnitOut):
    counts: dict[str, int]
    ancestors: list[dict[str, Any]]


class UnitIn(Schema):
    kind: OrgKind
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=100)
    parent_id: int | None = None
    head_name: str = ""
    phone: str = ""
    polygon: dict[str, Any] | None = None


class UnitPatch(Schema):
    name: str | None = None
    code: str | None = None
    head_name: str | None = None
    phone: str | None = None
    polygon: dict[str, Any] | None = None


class LocatedOut(Schema):
    grid: UnitOut | None
    district: UnitOut | None
    station: UnitOut | None


class LocateBatchIn(Schema):
    lons: list[float] = Field(..., max_length=100_000)
    lats: list[float] = Field(..., max_length=100_000)
    crs: str = "wgs84"


class LocateBatchOut(Schema):
    grid_ids: list[int]
    district_ids: list[int]
    station_ids: list[int]


class MergerIn(Schema):
    target_id: int
    source_ids: list[int]
    effective_date: dt.date
    note: str = ""


class GeoJsonImportIn(Schema):
    geojson: str
    source_name: str = "upload.geojson"
    dry_run: bool = True


def _unit(request: HttpRequest, unit_id: int) -> OrgUnit:
    unit = get_visible_or_none(principal_of(request), OrgUnit.objects.all(), pk=unit_id)
    if unit is None:
        raise HttpError(404, "unit not found")
    return unit


@router.get("/units", response=list[UnitOut])
def list_units(
    request: HttpRequest,
    kind: str | None = None,
    parent_id: int | None = None,
    q: str | None = None,
    include_inactive: bool = False,
    limit: int = 500,
) -> Any:
    principal = _require(request, Perm.ORG_VIEW)
    units = OrgUnit.objects.visible_to(principal)
    if not include_inactive:
        units = units.active()
    if kind:
        units = units.filter(kind=kind)
    if parent_id is not None:
        units = units.filter(parent_id=parent_id)
    if q:
        units = units.filter(name__contains=q) | units.filter(code__startswith=q)
    return list(units.order_by("path")[: max(0, min(limit, 5000))])


@router.get("/units/{unit_id}", response=UnitDetailOut)
def unit_detail(request: HttpRequest, unit_id: int) -> Any:
    principal = _require(request, Perm.ORG_VIEW)
    unit = _unit(request, unit_id)
    unit.counts = subtree_counts(principal, unit)  # type: ignore[attr-defined]
    ancestors = OrgUnit.objects.filter(pk__in=unit.ancestor_ids()[:-1]).order_by("depth")
    unit.ancestors = [{"id": a.pk, "name": a.name, "kind": a.kind} for a in ancestors]  # type: ignore[attr-defined]
    return unit


@router.get("/map", response=dict[str, Any])
def map_layer(request: HttpRequest, kind: str = OrgKind.GRID, within_id: int | None = None) -> Any:
    principal = _require(request, Perm.ORG_VIEW)
    within = _unit(request, within_id) if within_id else None
    return map_features(principal, kind=kind, within=within)


@router.get("/locate", response=LocatedOut)
def locate(request: HttpRequest, lon: float, lat: float, crs: str = "wgs84") -> Any:
    principal = _require(request, Perm.ORG_VIEW)
    if crs not in CRS_CHOICES:
        raise HttpError(422, f"crs must be one of {', '.join(CRS_CHOICES)}")
    if crs == "gcj02":
        lons, lats = gcj02_to_wgs84_arrays(np.array([lon]), np.array([lat]))
        lon, lat = float(lons[0]), float(lats[0])
    return visible_location(principal, locate_point(lon, lat))


@router.post("/locate", response=LocateBatchOut)
def locate_batch(request: HttpRequest, payload: LocateBatchIn) -> Any:
    """Many points at once; like the single locate, units outside the caller's scope come back as -1."""
    principal = _require(request, Perm.ORG_VIEW)
    if len(payload.lons) != len(payload.lats):
        raise HttpError(422, "lons and lats must have the same length")
    if payload.crs not in CRS_CHOICES:
        raise HttpError(422, f"crs must be one of {', '.join(CRS_CHOICES)}")
    lons, lats = np.array(payload.lons, dtype=float), np.array(payload.lats, dtype=float)
    if payload.crs == "gcj02":
        lons, lats = gcj02_to_wgs84_arrays(lons, lats)
    result = locate_many(lons, lats)
    found = np.unique(np.concatenate([result.grid_ids, result.district_ids, result.station_ids]))
    found = found[found >= 0]
    visible = np.array(
        sorted(OrgUnit.objects.visible_to(principal).filter(pk__in=found.tolist()).values_list("pk", flat=True)),
        dtype=np.int64,
    )

    def masked(ids: np.ndarray) -> list[int]:
        return np.where(np.isin(ids, visible), ids, -1).tolist()

    return {
        "grid_ids": masked(result.grid_ids),
        "district_ids": masked(result.district_ids),
        "station_ids": masked(result.station_ids),
    }


@router.post("/units", response={201: UnitOut})
def create_unit(request: HttpRequest, payload: UnitIn) -> Any:
    principal = _require(request, Perm.ORG_MANAGE)
    parent = _unit(request, payload.parent_id) if payload.parent_id else None
    unit = services.create_unit(
        actor=principal,
        kind=payload.kind,
        code=payload.code,
        name=payload.name,
        parent=parent,
        polygon=payload.polygon,
        head_name=payload.head_name,
        phone=payload.phone,
    )
    return Status(201, unit)


@router.patch("/units/{unit_id}", response=UnitOut)
def update_unit(request: HttpRequest, unit_id: int, payload: UnitPatch) -> Any:
    principal = _require(request, Perm.ORG_MANAGE)
    unit = _unit(request, unit_id)
    fields = payload.dict(exclude_unset=True, exclude_none=True)
    polygon = fields.pop("polygon", None)
    return services.update_unit(actor=principal, unit=unit, polygon=polygon, **fields)


@router.post("/mergers", response={201: dict[str, Any]})
def merge_stations(request: HttpRequest, payload: MergerIn) -> Any:
    principal = _require(request, Perm.ORG_MANAGE)
    target = _unit(request, payload.target_id)
    sources = [_unit(request, pk) for pk in payload.source_ids]
    merger = services.plan_station_merger(
        actor=principal, target=target, sources=sources, effective_date=payload.effective_date, note=payload.note
    )
    return Status(201, {"id": merger.pk, "status": merger.status})


@router.post("/geojson-import", response=dict[str, Any])
def geojson_import(request: HttpRequest, payload: GeoJsonImportIn) -> Any:
    principal = _require(request, Perm.ORG_MANAGE)
    report = import_geojson(
        actor=principal, text=payload.geojson, source_name=payload.source_name, dry_run=payload.dry_run
    )
    return report.as_dict()
