"""Writes to the organisation tree: units, moves, station mergers. Each runs in a transaction and
writes its own audit rows and domain events."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from zhufang.audit.models import AuditAction
from zhufang.audit.services import diff, record, snapshot
from zhufang.events.services import record_event
from zhufang.org.geometry.coords import area_km2
from zhufang.org.models import ALLOWED_PARENT_KINDS, OrgKind, OrgUnit, ParentLink, StationMerger

logger = logging.getLogger(__name__)

AUDITED_FIELDS = ("kind", "code", "name", "parent", "head_name", "phone", "valid_from", "valid_to", "merged_into")


def geometry_from_geojson(value: Any, *, field: str = "polygon") -> shapely.Geometry:
    """Parse and check a GeoJSON Polygon/MultiPolygon; a clear error naming the field otherwise."""
    try:
        geom = shapely.from_geojson(value if isinstance(value, str) else json.dumps(value))
    except Exception as exc:
        raise ValidationError({field: _("Not valid GeoJSON geometry: %(error)s") % {"error": exc}}) from exc
    if geom.geom_type not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(
            {field: _("Geometry must be a Polygon or MultiPolygon, not %(type)s") % {"type": geom.geom_type}}
        )
    if geom.is_empty:
        raise ValidationError({field: _("The polygon is empty")})
    coords = shapely.get_coordinates(geom)
    if not (np.isfinite(coords).all() and (np.abs(coords[:, 0]) <= 180).all() and (np.abs(coords[:, 1]) <= 90).all()):
        raise ValidationError({field: _("Coordinates must be longitude −180…180 and latitude −90…90 (WGS-84)")})
    if not geom.is_valid:
        raise ValidationError({field: _("Invalid polygon: %(reason)s") % {"reason": shapely.is_valid_reason(geom)}})
    return geom


def set_geometry(unit: OrgUnit, geom: shapely.Geometry | None) -> None:
    """Store a polygon with its derived centroid and area."""
    if geom is None:
        unit.polygon = unit.centroid_lon = unit.centroid_lat = unit.area_km2 = None
        return
    unit.polygon = json.loads(shapely.to_geojson(geom))
    point = geom.representative_point()
    unit.centroid_lon, unit.centroid_lat = round(point.x, 6), round(point.y, 6)
    unit.area_km2 = round(area_km2(geom), 4)


def check_parent(kind: str, parent: OrgUnit | None) -> None:
    allowed = ALLOWED_PARENT_KINDS.get(kind)
    if allowed is None:
        raise ValidationError({"kind": _("Unknown unit kind %(kind)s") % {"kind": kind}})
    if not allowed:
        if parent is not None:
            raise ValidationError({"parent": _("A bureau has no parent unit")})
        return
    if parent is None or parent.kind not in allowed:
        raise ValidationError(
            {
                "parent": _("A %(kind)s must sit under a %(parents)s")
                % {"kind": OrgKind(kind).label, "parents": "/".join(str(OrgKind(k).label) for k in allowed)}
            }
        )
    if not parent.is_active:
        raise ValidationError({"parent": _("The parent unit %(unit)s is no longer active") % {"unit": parent}})


def _check_text(fields: dict[str, str]) -> None:
    """Required code and name, and every text within its column's length (PostgreSQL would refuse it)."""
    errors: dict[str, str] = {}
    for key, value in fields.items():
        if key == "code" and not value:
            errors[key] = _("A unit code is required")
        elif key == "name" and not value:
            errors[key] = _("A unit name is required")
        elif (limit := getattr(OrgUnit._meta.get_field(key), "max_length", None)) and len(value) > limit:
            errors[key] = _("At most %(limit)d characters") % {"limit": limit}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_unit(
    *,
    actor: Any,
    kind: str,
    code: str,
    name: str,
    parent: OrgUnit | None,
    polygon: Any = None,
    head_name: str = "",
    phone: str = "",
    valid_from: dt.date | None = None,
) -> OrgUnit:
    code, name, head_name, phone = code.strip(), name.strip(), head_name.strip(), phone.strip()
    _check_text({"code": code, "name": name, "head_name": head_name, "phone": phone})
    if OrgUnit.objects.filter(code=code).exists():
        raise ValidationError({"code": _("Unit code %(code)s already exists") % {"code": code}})
    check_parent(kind, parent)
    unit = OrgUnit(
        kind=kind,
        code=code,
        name=name,
        parent=parent,
        head_name=head_name,
        phone=phone,
        valid_from=valid_from or timezone.localdate(),
    )
    set_geometry(unit, geometry_from_geojson(polygon) if polygon else None)
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    if parent is not None:
        ParentLink.objects.create(unit=unit, parent=parent, valid_from=unit.valid_from)
    record(action=AuditAction.CREATE, actor=actor, obj=unit, changes=diff({}, snapshot(unit, AUDITED_FIELDS)))
    return unit


@transaction.atomic
def update_unit(*, actor: Any, unit: OrgUnit, polygon: Any = None, **fields: Any) -> OrgUnit:
    """Change name, head, phone, code or polygon (moving a unit is ``move_unit``)."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    before = snapshot(unit, AUDITED_FIELDS)
    allowed = {"name", "code", "head_name", "phone"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here")})
    fields = {key: str(value or "").strip() for key, value in fields.items()}
    _check_text(fields)
    if "code" in fields and fields["code"] != unit.code and OrgUnit.objects.filter(code=fields["code"]).exists():
        raise ValidationError({"code": _("Unit code %(code)s already exists") % {"code": fields["code"]}})
    for key, value in fields.items():
        setattr(unit, key, value)
    changes = diff(before, snapshot(unit, AUDITED_FIELDS))
    if polygon is not None:
        new_geom = geometry_from_geojson(polygon)
        if not unit.polygon or not shapely.equals_exact(geometry_from_geojson(unit.polygon), new_geom, tolerance=1e-9):
            set_geometry(unit, new_geom)
            changes["polygon"] = ["…", "replaced"]
    if not changes:
        return unit
    unit.save()
    record(action=AuditAction.UPDATE, actor=actor, obj=unit, changes=changes)
    return unit


def _rewrite_subtree_paths(unit: OrgUnit, new_parent: OrgUnit) -> None:
    old_path = unit.path
    new_path = f"{new_parent.path}{unit.pk}/"
    depth_delta = new_parent.depth + 1 - unit.depth
    # updated_at too: the grid locator notices a changed tree by the grids' latest update
    OrgUnit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
        updated_at=timezone.now(),
    )


@transaction.atomic
def move_unit(*, actor: Any, unit: OrgUnit, new_parent: OrgUnit, effective: dt.date | None = None) -> OrgUnit:
    """Re-parent a unit and its whole subtree, keeping the old link in the history."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    new_parent = OrgUnit.objects.get(pk=new_parent.pk)  # its path as stored now, not as the caller saw it
    if new_parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot move under itself or its own descendants")})
    check_parent(unit.kind, new_parent)
    if unit.parent_id == new_parent.pk:
        return unit  # already there: no new history link, nothing to audit
    effective = effective or timezone.localdate()
    current = ParentLink.objects.filter(unit=unit, valid_to__isnull=True)
    started = max([d for d in current.values_list("valid_from", flat=True) if d] + [unit.valid_from or effective])
    if effective < started:
        raise ValidationError(
            {
                "effective": _("The move cannot take effect before %(date)s, when %(unit)s's current assignment began")
                % {"date": started, "unit": unit}
            }
        )
    old_parent_id = unit.parent_id
    current.update(valid_to=effective)
    ParentLink.objects.create(unit=unit, parent=new_parent, valid_from=effective)
    _rewrite_subtree_paths(unit, new_parent)
    OrgUnit.objects.filter(pk=unit.pk).update(parent=new_parent, updated_at=timezone.now())
    unit.refresh_from_db()
    record(
        action=AuditAction.UPDATE,
        actor=actor,
        obj=unit,
        changes={"parent": [old_parent_id, new_parent.pk], "effective": [None, effective.isoformat()]},
    )
    return unit


@transaction.atomic
def plan_station_merger(
    *,
    actor: Any,
    target: OrgUnit,
    sources: list[OrgUnit],
    effective_date: dt.date,
    note: str = "",
    today: dt.date | None = None,
) -> StationMerger:
    """Merge ``sources`` into ``target`` on ``effective_date`` (applied now if the date has come)."""
    errors: dict[str, str] = {}
    if target.kind != OrgKind.STATION or not target.is_active:
        errors["target"] = _("The target must be an active police station")
    if not sources:
        errors["sources"] = _("Choose at least one station to merge")
    pending = StationMerger.objects.filter(status=StationMerger.Status.PLANNED)
    leaving = set(pending.values_list("sources", flat=True))  # stations already due to be merged away
    receiving = set(pending.values_list("target", flat=True))
    if "target" not in errors and target.pk in leaving:
        errors["target"] = _("%(unit)s is already planned to be merged into another station") % {"unit": target}
    for source in sources:
        if source.pk == target.pk:
            errors["sources"] = _("A station cannot be merged into itself")
        elif source.kind != OrgKind.STATION or not source.is_active:
            errors["sources"] = _("%(unit)s is not an active police station") % {"unit": source}
        elif source.pk in leaving:
            errors["sources"] = _("%(unit)s is already planned to be merged into another station") % {"unit": source}
        elif source.pk in receiving:
            errors["sources"] = _("%(unit)s receives a planned merger that has not taken effect") % {"unit": source}
    started = [u.valid_from for u in [target, *sources] if u.valid_from]
    started += [
        d
        for d in ParentLink.objects.filter(
            parent__in=sources, valid_to__isnull=True, unit__valid_to__isnull=True
        ).values_list("valid_from", flat=True)
        if d
    ]
    if not errors and started and effective_date < max(started):
        errors["effective_date"] = _(
            "The merger cannot take effect before %(date)s, when the stations' current records begin"
        ) % {"date": max(started)}
    if errors:
        raise ValidationError(errors)
    merger = StationMerger.objects.create(
        target=target,
        effective_date=effective_date,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    merger.sources.set(sources)
    record(
        action=AuditAction.CREATE,
        actor=actor,
        obj=merger,
        changes={
            "target": [None, target.code],
            "sources": [None, [s.code for s in sources]],
            "effective_date": [None, effective_date.isoformat()],
        },
    )
    if effective_date <= (today or timezone.localdate()):
        apply_merger(actor=actor, merger=merger)
    return merger


@transaction.atomic
def apply_merger(*, actor: Any, merger: StationMerger) -> StationMerger:
    merger = StationMerger.objects.select_for_update().get(pk=merger.pk)
    if merger.status == StationMerger.Status.APPLIED:
        return merger
    target = OrgUnit.objects.select_for_update().get(pk=merger.target_id)
    if not target.is_active:
        raise ValidationError({"target": _("The target %(unit)s is no longer active") % {"unit": target}})
    geoms = [geometry_from_geojson(target.polygon)] if target.polygon else []
    for source in merger.sources.all():
        for district in OrgUnit.objects.filter(parent=source, valid_to__isnull=True):
            move_unit(actor=actor, unit=district, new_parent=target, effective=merger.effective_date)
        if source.polygon:
            geoms.append(geometry_from_geojson(source.polygon))
        OrgUnit.objects.filter(pk=source.pk).update(
            valid_to=merger.effective_date, merged_into=target, updated_at=timezone.now()
        )
        record(
            action=AuditAction.UPDATE,
            actor=actor,
            obj=source,
            changes={"valid_to": [None, merger.effective_date.isoformat()], "merged_into": [None, target.pk]},
        )
        record_event(
            kind="org.station_merged",
            obj=source,
            actor=actor,
            owner_unit_id=target.pk,
            data={"into": target.code, "effective_date": merger.effective_date},
        )
    if geoms:
        target.refresh_from_db()
        old_area = target.area_km2
        set_geometry(target, shapely.union_all(geoms))
        target.save(update_fields=["polygon", "centroid_lon", "centroid_lat", "area_km2", "updated_at"])
        record(
            action=AuditAction.UPDATE,
            actor=actor,
            obj=target,
            changes={"polygon": ["…", "merged"], "area_km2": [old_area, target.area_km2]},
            reason=_("Station merger %(id)s") % {"id": merger.pk},
        )
    merger.status, merger.applied_at = StationMerger.Status.APPLIED, timezone.now()
    merger.save(update_fields=["status", "applied_at"])
    return merger


def apply_due_mergers(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    due = StationMerger.objects.filter(status=StationMerger.Status.PLANNED, effective_date__lte=today)
    count = 0
    for merger in due.order_by("effective_date", "pk"):
        try:
            apply_merger(actor=None, merger=merger)
        except ValidationError:
            logger.exception("station merger %s could not be applied", merger.pk)
            continue
        count += 1
    return count
