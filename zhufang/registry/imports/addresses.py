"""Importing standard addresses (标准地址): structured columns, a point located to its grid by the
vectorised locate service, upsert by the address code."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from zhufang.org.locating import locate_many
from zhufang.registry.addressing.structure import LEVELS, AddressParts
from zhufang.registry.imports.chunk_audit import audit_chunk
from zhufang.registry.imports.columns import ColumnMap, header_of
from zhufang.registry.imports.errors import RowError
from zhufang.registry.models import ImportRun, StandardAddress

#: the suffix each numbered level may carry in a spreadsheet ("18号", "3栋", "2单元", "5层", "501室")
SUFFIXES = {
    "house_number": ("号",),
    "building": ("栋", "幢", "座", "号楼"),
    "unit_no": ("单元",),
    "floor": ("层", "楼"),
    "room": ("室", "户", "号房"),
}
STORED = ("admin_code", *LEVELS, "full_text", "lon", "lat", "owner_unit_id", "recorded_station_code")


def normalise_level(name: str, value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    for suffix in SUFFIXES.get(name, ()):
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


@dataclass
class AddressRow:
    row: int
    code: str
    admin_code: str
    parts: AddressParts
    lon: float
    lat: float
    recorded_station_code: str


def validate_address_row(
    row: int, cells: list[str], columns: ColumnMap, *, today: dt.date
) -> tuple[AddressRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(field: str, message: str, value: str = "") -> None:
        errors.append(RowError(row, header_of("addresses", field), value, message))

    code = columns.cell(cells, "code")
    if not code:
        fail("code", "标准地址编码不能为空")
    elif len(code) > 40:
        fail("code", "标准地址编码过长（最多40位）", code[:40])
    levels = {name: normalise_level(name, columns.cell(cells, name)) for name in LEVELS}
    if not levels["street"] and not levels["community"]:
        fail("street", "街路巷/小区与社区/村不能同时为空")
    for name, value in levels.items():
        if len(value) > (60 if name == "street" else 40):
            fail(name, "内容过长", value[:20])
    coordinates: dict[str, float] = {}
    for field, low, high in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        raw = columns.cell(cells, field)
        try:
            number = float(raw)
            if not (low <= number <= high) or math.isnan(number):
                raise ValueError
            coordinates[field] = number
        except ValueError:
            fail(field, f"{'经度' if field == 'lon' else '纬度'}无效：应为 {low:g}…{high:g} 之间的数字", raw)
    if errors:
        return None, errors
    return (
        AddressRow(
            row=row,
            code=code,
            admin_code=columns.cell(cells, "admin_code")[:12],
            parts=AddressParts(**levels),
            lon=coordinates["lon"],
            lat=coordinates["lat"],
            recorded_station_code=columns.cell(cells, "recorded_station")[:32],
        ),
        [],
    )


def upsert_addresses(
    rows: list[AddressRow], *, run: ImportRun, index: Any, actor: Any, dry_run: bool
) -> list[RowError]:
    located = locate_many(np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
    existing = {
        values["code"]: values
        for values in StandardAddress.objects.filter(code__in=[r.code for r in rows]).values("pk", "code", *STORED)
    }
    code_of_canonical = dict(
        StandardAddress.objects.filter(canonical__in=[r.parts.canonical() for r in rows]).values_list(
            "canonical", "code"
        )
    )
    errors: list[RowError] = []
    now = timezone.now()
    creates: list[StandardAddress] = []
    updates: list[StandardAddress] = []
    diffs: dict[str, Any] = {}
    seen: set[str] = set()
    for row, grid_id in zip(rows, located.grid_ids.tolist(), strict=True):
        if row.code in seen:
            run.unchanged += 1
            continue
        seen.add(row.code)
        canonical = row.parts.canonical()
        holder = code_of_canonical.setdefault(canonical, row.code)
        if holder != row.code:
            run.rejected += 1
            errors.append(
                RowError(
                    row.row,
                    header_of("addresses", "code"),
                    row.code,
                    f"与标准地址编码 {holder} 的地址相同（{row.parts.display()}）",
                )
            )
            continue
        values = {
            "admin_code": row.admin_code,
            **{n: getattr(row.parts, n) for n in LEVELS},
            "full_text": row.parts.display()[:255],
            "lon": round(row.lon, 7),
            "lat": round(row.lat, 7),
            "owner_unit_id": grid_id if grid_id >= 0 else None,
            "recorded_station_code": row.recorded_station_code,
        }
        old = existing.get(row.code)
        if old is None:
            creates.append(
                StandardAddress(
                    code=row.code, canonical=row.parts.canonical(), created_at=now, updated_at=now, **values
                )
            )
            continue
        changed = {k: [old[k], v] for k, v in values.items() if old[k] != v}
        if not changed:
            run.unchanged += 1
            continue
        updates.append(
            StandardAddress(pk=old["pk"], code=row.code, canonical=row.parts.canonical(), updated_at=now, **values)
        )
        diffs[str(old["pk"])] = changed
    run.created += len(creates)
    run.updated += len(updates)
    if dry_run:
        return errors
    with transaction.atomic():
        StandardAddress.objects.bulk_create(creates, batch_size=2000)
        if updates:
            StandardAddress.objects.bulk_update(
                updates,
                [*[f for f in STORED if f != "owner_unit_id"], "owner_unit", "canonical", "updated_at"],
                batch_size=1000,
            )
        audit_chunk(
            run=run,
            first_row=rows[0].row,
            last_row=rows[-1].row,
            object_type="registry.standardaddress",
            created=len(creates),
            diffs=diffs,
            actor=actor,
        )
    return errors
