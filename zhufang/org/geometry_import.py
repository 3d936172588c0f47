"""Importing or replacing jurisdiction polygons from GeoJSON (辖区边界导入) with a validation report.

The file's units are laid over the current tree (matched by code) and the resulting whole is
validated: overlaps, gaps, grids outside their district, districts outside their station. Errors stop
the import (nothing is written); warnings (below the configured tolerance) are reported and the import
goes on. A dry run only reports. Applying runs in one transaction through the unit services, so every
change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import shapely
from django.conf import settings
from django.db import transaction

from zhufang.org import services
from zhufang.org.geometry.demo_polygons import UnitShape
from zhufang.org.geometry.validation import Issue, parse_geojson_units, validate_units
from zhufang.org.models import OrgKind, OrgUnit

KIND_ORDER = [OrgKind.BUREAU, OrgKind.TOWNSHIP, OrgKind.STATION, OrgKind.DISTRICT, OrgKind.GRID]


@dataclass
class ImportReport:
    source_name: str
    dry_run: bool
    applied: bool = False
    created: int = 0
    updated: int = 0
    moved: int = 0
    unchanged: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_name": self.source_name, "dry_run": self.dry_run, "applied": self.applied,
            "created": self.created, "updated": self.updated, "moved": self.moved, "unchanged": self.unchanged,
            "errors": [_issue_dict(i) for i in self.errors], "warnings": [_issue_dict(i) for i in self.warnings],
        }


def _issue_dict(issue: Issue) -> dict[str, Any]:
    return {"level": issue.level, "code": issue.code, "unit_code": issue.unit_code,
            "other_code": issue.other_code, "message": issue.message_zh, "area_m2": issue.area_m2}


def _current_shapes() -> dict[str, UnitShape]:
    rows = OrgUnit.objects.active().filter(kind__in=KIND_ORDER, polygon__isnull=False).select_related("parent")
    shapes = {}
    for unit in rows.iterator(chunk_size=2000):
        shapes[unit.code] = UnitShape(
            code=unit.code, name=unit.name, kind=unit.kind,
            parent_code=unit.parent.code if unit.parent else None,
            polygon=services.geometry_from_geojson(unit.polygon),
        )
    return shapes


def import_geojson(*, actor: Any, text: str, source_name: str, dry_run: bool = True) -> ImportReport:
    report = ImportReport(source_name=source_name, dry_run=dry_run)
    units, parse_issues = parse_geojson_units(text, source_name)
    report.issues.extend(parse_issues)
    if any(i.level == "error" for i in parse_issues):
        return report
    combined = _current_shapes()
    for unit in units:
        combined[unit.code] = unit
    report.issues.extend(validate_units(
        list(combined.values()),
        overlap_tolerance_m2=settings.ZHUFANG_OVERLAP_TOLERANCE_M2,
        gap_tolerance_m2=settings.ZHUFANG_GAP_TOLERANCE_M2,
    ))
    if report.errors or dry_run:
        _count_changes(report, units)
        return report
    with transaction.atomic():
        _apply(actor, report, units)
    report.applied = True
    return report


def _count_changes(report: ImportReport, units: list[UnitShape]) -> None:
    existing = {u.code: u for u in OrgUnit.objects.filter(code__in=[u.code for u in units]).select_related("parent")}
    for shape in units:
        unit = existing.get(shape.code)
        if unit is None:
            report.created += 1
        elif (unit.parent.code if unit.parent else None) != shape.parent_code:
            report.moved += 1
        elif unit.name != shape.name or not _same_geometry(unit, shape):
            report.updated += 1
        else:
            report.unchanged += 1


def _same_geometry(unit: OrgUnit, shape: UnitShape) -> bool:
    if not unit.polygon:
        return False
    return bool(shapely.equals_exact(services.geometry_from_geojson(unit.polygon), shape.polygon, tolerance=1e-9))


def _apply(actor: Any, report: ImportReport, units: list[UnitShape]) -> None:
    ordered = sorted(units, key=lambda u: KIND_ORDER.index(OrgKind(u.kind)) if u.kind in KIND_ORDER else 99)
    for shape in ordered:
        geojson = shapely.geometry.mapping(shape.polygon)
        unit = OrgUnit.objects.filter(code=shape.code).select_related("parent").first()
        parent = OrgUnit.objects.filter(code=shape.parent_code).first() if shape.parent_code else None
        if unit is None:
            services.create_unit(actor=actor, kind=shape.kind, code=shape.code, name=shape.name,
                                 parent=parent, polygon=geojson)
            report.created += 1
            continue
        moved = parent is not None and unit.parent_id != parent.pk
        if moved:
            assert parent is not None
            services.move_unit(actor=actor, unit=unit, new_parent=parent)
            report.moved += 1
        if unit.name != shape.name or not _same_geometry(unit, shape):
            services.update_unit(actor=actor, unit=unit, name=shape.name, polygon=geojson)
            report.updated += 0 if moved else 1
        elif not moved:
            report.unchanged += 1
