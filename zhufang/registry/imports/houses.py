"""Importing houses (实有房屋): the natural key is the standard address — by its code (地址编码), or,
when the code is missing or unknown, by matching the address text (房屋地址) with the address index;
a text that matches no standard address with enough confidence is rejected, naming the row and the
field, with the closest address as a hint. The owner's document (居民身份证 by GB 11643, a unit's
统一社会信用代码 by GB 32100) is stored encrypted with a blind index, the phone encrypted.

A house the people import created with use "unknown" is updated in place; rows are compared by
plaintext and blind index (never by ciphertext), so an unchanged row is neither rewritten nor audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.masking import mask_id_number, mask_phone
from zhufang.registry.address_index import current_index
from zhufang.registry.imports.chunk_audit import audit_chunk
from zhufang.registry.imports.columns import ColumnMap, header_of
from zhufang.registry.imports.documents import OWNER_DOCUMENT_TYPES, check_document
from zhufang.registry.imports.errors import RowError
from zhufang.registry.imports.quantities import parse_area, parse_count
from zhufang.registry.imports.values import HOUSE_USES, CellError, parse_choice, parse_labels, parse_phone
from zhufang.registry.models import House, ImportRun, StandardAddress
from zhufang.sql_writes import insert_rows, update_rows

KIND = "houses"
#: compared with the stored house; owner_id_index and owner_phone stand for the encrypted values
COMPARED = (
    "use",
    "house_type",
    "area_m2",
    "rooms",
    "owner_name",
    "owner_id_type",
    "owner_id_index",
    "owner_phone",
    "labels",
    "legacy_number",
    "owner_unit_id",
)
SECRET = frozenset({"owner_id_index", "owner_phone"})
CREATE_FIELDS = ("address_id", "owner_id_number", "created_at", "updated_at", *COMPARED)
#: a re-import rewrites these by primary key (one prepared UPDATE per row, not bulk_update's CASE WHEN)
UPDATE_FIELDS = (*COMPARED, "owner_id_number", "updated_at")


@dataclass
class HouseRow:
    """One valid row, ready to upsert."""

    row: int
    address_code: str
    address_text: str
    use: str
    house_type: str
    area_m2: float | None
    rooms: int | None
    owner_name: str
    owner_id_number: str | None
    owner_id_index: str | None
    owner_phone: str | None
    labels: list[str]
    legacy_number: str
    owner_id_type: str = ""  # an IdType value or "uscc", when a document is given


def validate_house_row(
    row: int, cells: list[str], columns: ColumnMap, *, today: dt.date
) -> tuple[HouseRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(field: str, message: str, value: str = "") -> None:
        errors.append(RowError(row, header_of(KIND, field), value, message))

    code = columns.cell(cells, "address_code")
    text = columns.cell(cells, "address_text")
    if not code and not text:
        fail("address_text", "地址编码与房屋地址不能同时为空")
    if len(code) > 40:
        fail("address_code", "地址编码过长（最多40位）", code[:40])
    if len(text) > 255:
        fail("address_text", "房屋地址过长（最多255个字）", text[:20])
    try:
        use = parse_choice(columns.cell(cells, "use"), HOUSE_USES, "房屋用途")
    except CellError as exc:
        fail("use", str(exc), columns.cell(cells, "use"))
        use = ""
    house_type = columns.cell(cells, "house_type")
    if len(house_type) > 20:
        fail("house_type", "房屋类型过长（最多20个字）", house_type[:20])
    area: float | None = None
    rooms: int | None = None
    try:
        area = parse_area(columns.cell(cells, "area_m2"))
    except CellError as exc:
        fail("area_m2", str(exc), columns.cell(cells, "area_m2"))
    try:
        rooms = parse_count(columns.cell(cells, "rooms"), "间数", maximum=999)
    except CellError as exc:
        fail("rooms", str(exc), columns.cell(cells, "rooms"))
    owner_name = columns.cell(cells, "owner_name")
    if len(owner_name) > 50:
        fail("owner_name", "房主姓名过长（最多50个字）", owner_name[:20])
    type_text = columns.cell(cells, "owner_id_type")
    try:
        document_type = parse_choice(type_text, OWNER_DOCUMENT_TYPES, "房主证件类型")
    except CellError as exc:
        fail("owner_id_type", str(exc), type_text)
        document_type = ""
    raw_id = columns.cell(cells, "owner_id_number")
    owner_id: str | None = None
    if raw_id and document_type:
        try:
            owner_id = check_document(document_type, raw_id, today=today, type_given=bool(type_text))
        except CellError as exc:
            fail("owner_id_number", str(exc), mask_id_number(raw_id))
    raw_phone = columns.cell(cells, "owner_phone")
    try:
        phone = parse_phone(raw_phone)
    except CellError as exc:
        fail("owner_phone", str(exc), mask_phone(raw_phone))
        phone = None
    if errors:
        return None, errors
    return (
        HouseRow(
            row=row,
            address_code=code,
            address_text=text,
            use=use,
            house_type=house_type,
            area_m2=area,
            rooms=rooms,
            owner_name=owner_name,
            owner_id_number=owner_id,
            owner_id_index=blind_index(owner_id, kind="id_number") if owner_id else None,
            owner_phone=phone,
            labels=parse_labels(columns.cell(cells, "labels")),
            legacy_number=columns.cell(cells, "legacy_number")[:30],
            owner_id_type=str(document_type) if owner_id else "",
        ),
        [],
    )


@dataclass
class _Resolved:
    address_id: int
    owner_unit_id: int | None
    field: str  # the column the address came from, for errors about it


def _resolve_addresses(rows: list[HouseRow], index: Any, run: ImportRun) -> tuple[dict[int, _Resolved], list[RowError]]:
    """Row number → its standard address: by code, else by matching the text. Unresolvable rows
    are rejected (``run.rejected``) with an error naming the field."""
    by_code = {
        code: (pk, unit)
        for code, pk, unit in StandardAddress.objects.filter(
            code__in={r.address_code for r in rows if r.address_code}
        ).values_list("code", "pk", "owner_unit_id")
    }
    resolved: dict[int, _Resolved] = {}
    errors: list[RowError] = []
    by_text: list[HouseRow] = []
    for row in rows:
        found = by_code.get(row.address_code) if row.address_code else None
        if found is not None:
            resolved[row.row] = _Resolved(found[0], found[1], "address_code")
        elif row.address_text:
            by_text.append(row)
        else:
            run.rejected += 1
            errors.append(
                RowError(
                    row.row,
                    header_of(KIND, "address_code"),
                    row.address_code,
                    f"地址编码 {row.address_code} 不是已知的标准地址（请先导入标准地址，或填写房屋地址）",
                )
            )
    if not by_text:
        return resolved, errors
    index = index or current_index()
    matches = index.matcher.match_many([r.address_text for r in by_text])
    hints = dict(
        StandardAddress.objects.filter(
            pk__in={m.address_id for m in matches if m.needs_review and m.address_id is not None}
        ).values_list("pk", "full_text")
    )
    for row, match in zip(by_text, matches, strict=True):
        if not match.needs_review:
            assert match.address_id is not None
            resolved[row.row] = _Resolved(match.address_id, index.owner_unit_of.get(match.address_id), "address_text")
            continue
        run.rejected += 1
        unknown = f"地址编码 {row.address_code} 未知；" if row.address_code else ""
        if match.address_id is None:
            message = f"{unknown}房屋地址未匹配到任何标准地址，请核对地址或填写地址编码"
        else:
            message = (
                f"{unknown}房屋地址未能可靠匹配标准地址（最接近：{hints.get(match.address_id, '')}，"
                f"置信度{match.confidence:.2f}），请核对地址或填写地址编码"
            )
        errors.append(RowError(row.row, header_of(KIND, "address_text"), row.address_text[:60], message))
    return resolved, errors


def upsert_houses(rows: list[HouseRow], *, run: ImportRun, index: Any, actor: Any, dry_run: bool) -> list[RowError]:
    resolved, errors = _resolve_addresses(rows, index, run)
    existing = {
        values["address_id"]: values
        for values in House.objects.filter(address_id__in={r.address_id for r in resolved.values()}).values(
            "pk", "address_id", *COMPARED
        )
    }
    now = timezone.now()
    creates: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    diffs: dict[str, Any] = {}
    first_row: dict[int, int] = {}
    for row in rows:
        where = resolved.get(row.row)
        if where is None:
            continue
        earlier = first_row.setdefault(where.address_id, row.row)
        if earlier != row.row:
            run.rejected += 1
            errors.append(
                RowError(
                    row.row,
                    header_of(KIND, where.field),
                    row.address_code if where.field == "address_code" else row.address_text[:60],
                    f"与第{earlier}行是同一地址的房屋，本行未导入",
                )
            )
            continue
        values: dict[str, Any] = {
            "use": row.use,
            "house_type": row.house_type,
            "area_m2": row.area_m2,
            "rooms": row.rooms,
            "owner_name": row.owner_name,
            "owner_id_type": row.owner_id_type,
            "owner_id_index": row.owner_id_index,
            "owner_phone": row.owner_phone,
            "labels": row.labels,
            "legacy_number": row.legacy_number,
            "owner_unit_id": where.owner_unit_id,
        }
        old = existing.get(where.address_id)
        if old is None:
            creates.append((where.address_id, row.owner_id_number, now, now, *(values[n] for n in COMPARED)))
            continue
        changed = {k: (["…", "…"] if k in SECRET else [old[k], v]) for k, v in values.items() if old[k] != v}
        if not changed:
            run.unchanged += 1
            continue
        updates.append((*(values[n] for n in COMPARED), row.owner_id_number, now, old["pk"]))
        diffs[str(old["pk"])] = changed
    run.created += len(creates)
    run.updated += len(updates)
    if dry_run:
        return errors
    with transaction.atomic():
        insert_rows(House, CREATE_FIELDS, creates)
        update_rows(House, UPDATE_FIELDS, updates)
        audit_chunk(
            run=run,
            first_row=rows[0].row,
            last_row=rows[-1].row,
            object_type="registry.house",
            created=len(creates),
            diffs=diffs,
            actor=actor,
        )
    return errors
