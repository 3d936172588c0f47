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
from django.core.exceptions import ValidationError
from django.db import transaction

from zhufang.org import services
from zhufang.org.geometry.demo_polygons import UnitShape
from zhufang.org.geometry.shapes import KIND_ZH
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
            "source_name": self.source_name,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "created": self.created,
            "updated": self.updated,
            "moved": self.moved,
            "unchanged": self.unchanged,
            "errors": [_issue_dict(i) for i in self.errors],
            "warnings": [_issue_dict(i) for i in self.warnings],
        }


def _issue_dict(issue: Issue) -> dict[str, Any]:
    return {
        "level": issue.level,
        "code": issue.code,
        "unit_code": issue.unit_code,
        "other_code": issue.other_code,
        "message": issue.message_zh,
        "area_m2": issue.area_m2,
    }


def _current_shapes() -> dict[str, UnitShape]:
    rows = OrgUnit.objects.active().filter(kind__in=KIND_ORDER, polygon__isnull=False).select_related("parent")
    shapes = {}
    for unit in rows.iterator(chunk_size=2000):
        shapes[unit.code] = UnitShape(
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
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
    report.issues.extend(_conflicts_with_existing(units, source_name))
    if report.errors:
        _count_changes(report, units)
        return report
    combined = _current_shapes()
    for unit in units:
        combined[unit.code] = unit
    report.issues.extend(
        validate_units(
            list(combined.values()),
            overlap_tolerance_m2=settings.ZHUFANG_OVERLAP_TOLERANCE_M2,
            gap_tolerance_m2=settings.ZHUFANG_GAP_TOLERANCE_M2,
        )
    )
    if report.errors or dry_run:
        _count_changes(report, units)
        return report
    try:
        with transaction.atomic():
            _apply(actor, report, units)
    except ValidationError as exc:  # a service refused a unit: the whole import is rolled back
        report.created = report.updated = report.moved = report.unchanged = 0
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        detail = "；".join(f"{key}: {' '.join(msgs)}" for key, msgs in messages.items())
        report.issues.append(
            Issue("error", "rejected", None, None, f"{source_name}: 导入被拒绝，未写入任何数据（{detail}）")
        )
        _count_changes(report, units)
        return report
    report.applied = True
    return report


def _conflicts_with_existing(units: list[UnitShape], source_name: str) -> list[Issue]:
    """A code that already belongs to a unit of another kind, or to a closed (merged) unit, cannot be
    imported: the file would silently re-purpose or revive it."""
    kinds = {**KIND_ZH, OrgKind.CENTRE.value: "基础管控中心", OrgKind.DEPARTMENT.value: "警种部门"}
    issues = []
    existing = OrgUnit.objects.filter(code__in=[u.code for u in units]).values_list("code", "kind", "valid_to")
    by_code = {code: (kind, valid_to) for code, kind, valid_to in existing}
    for unit in units:
        if unit.code not in by_code:
            continue
        kind, valid_to = by_code[unit.code]
        if kind != unit.kind:
            issues.append(
                Issue(
                    "error",
                    "kind_changed",
                    unit.code,
                    None,
                    f"{source_name}: 单位代码{unit.code}已被{kinds.get(kind, kind)}使用，不能导入为"
                    f"{kinds.get(unit.kind, unit.kind)}",
                )
            )
        elif valid_to is not None:
            issues.append(
                Issue(
                    "error",
                    "unit_closed",
                    unit.code,
                    None,
                    f"{source_name}: 单位{unit.code}已于{valid_to.isoformat()}撤销（或合并），不能再导入",
                )
            )
    return issues


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
            services.create_unit(
                actor=actor, kind=shape.kind, code=shape.code, name=shape.name, parent=parent, polygon=geojson
            )
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
