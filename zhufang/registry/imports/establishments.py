"""Importing establishments (实有单位): 统一社会信用代码 validated by GB 32100 (may be empty: old records
and duplicates lack it), 单位类别 → category, 行业类别 → industry, 重点行业 → the key-venue trade (with the
usual spellings normalised) and the key-industry flag, the unit's address (单位地址) matched to a
standard address with the address index (below the confidence threshold the row is rejected, naming
row and field), the legal representative's document encrypted with a blind index, the security
contact's phone encrypted, staff.

Natural key: 单位编号 (the old system's record number) when present — falling back to an unnumbered
record with the same code — else the 统一社会信用代码, else name + address. Rows are compared by
plaintext and blind index, so an unchanged row is neither rewritten nor audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.masking import mask_id_number, mask_phone
from zhufang.registry.imports.chunk_audit import audit_chunk
from zhufang.registry.imports.columns import ColumnMap, header_of
from zhufang.registry.imports.documents import check_document, check_uscc_cell
from zhufang.registry.imports.errors import RowError
from zhufang.registry.imports.quantities import parse_count
from zhufang.registry.imports.values import ID_TYPES, CellError, parse_choice, parse_phone
from zhufang.registry.models import Establishment, ImportRun, StandardAddress
from zhufang.sql_writes import insert_rows, update_rows

KIND = "establishments"
#: 重点行业 (key-venue trades, DOMAIN §1.4) as bureaus spell them → the trade stored
KEY_TRADE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "旅馆": ("旅馆业", "旅店", "旅店业"),
    "网吧": ("互联网上网服务营业场所", "上网服务营业场所", "网吧业"),
    "娱乐场所": ("娱乐业", "歌舞娱乐场所", "游艺娱乐场所"),
    "典当": ("典当业", "典当行"),
    "开锁": ("开锁业", "开锁服务"),
    "废旧金属收购": ("废旧金属收购业", "生产性废旧金属收购", "生产性废旧金属收购业"),
    "寄递物流": ("寄递", "寄递业", "物流寄递", "快递物流"),
    "机动车维修": ("机动车维修业", "汽车维修"),
    "公章刻制": ("公章刻制业", "印章刻制", "印章刻制业"),
    "洗浴按摩": ("洗浴", "足浴", "按摩", "洗浴足浴按摩"),
    "在建工地": ("建筑工地", "施工工地", "在建项目", "建设工地"),
}
TRADE_OF = {spelling: trade for trade, spellings in KEY_TRADE_SPELLINGS.items() for spelling in (trade, *spellings)}
NOT_A_KEY_TRADE = frozenset({"", "无", "否", "非重点行业", "/", "—", "-"})
COMPARED = (
    "name",
    "uscc",
    "category",
    "industry",
    "trade",
    "is_key_industry",
    "address_id",
    "legal_rep_name",
    "legal_rep_id_index",
    "security_contact",
    "security_contact_phone",
    "staff_count",
    "legacy_number",
    "owner_unit_id",
)
SECRET = frozenset({"legal_rep_id_index", "security_contact_phone"})
CREATE_FIELDS = ("legal_rep_id_number", "is_active", "created_at", "updated_at", *COMPARED)
#: a re-import rewrites these by primary key (one prepared UPDATE per row, not bulk_update's CASE WHEN)
UPDATE_FIELDS = (*COMPARED, "legal_rep_id_number", "updated_at")


def normalise_trade(text: str) -> str:
    """The key-venue trade of a 重点行业 cell ("" for an ordinary unit); unknown trades are kept as
    written (a bureau may name key trades of its own)."""
    value = text.strip().replace(" ", "")
    if value in NOT_A_KEY_TRADE:
        return ""
    return TRADE_OF.get(value, value)


@dataclass
class EstablishmentRow:
    """One valid row, ready to upsert."""

    row: int
    legacy_number: str
    name: str
    uscc: str
    category: str
    industry: str
    trade: str
    address_text: str
    legal_rep_name: str
    legal_rep_id_number: str | None
    legal_rep_id_index: str | None
    security_contact: str
    security_contact_phone: str | None
    staff_count: int | None


def validate_establishment_row(
    row: int, cells: list[str], columns: ColumnMap, *, today: dt.date
) -> tuple[EstablishmentRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(field: str, message: str, value: str = "") -> None:
        errors.append(RowError(row, header_of(KIND, field), value, message))

    name = columns.cell(cells, "name")
    if not name:
        fail("name", "单位名称不能为空")
    elif len(name) > 100:
        fail("name", "单位名称过长（最多100个字）", name[:20])
    raw_uscc = columns.cell(cells, "uscc")
    uscc = ""
    if raw_uscc:
        try:
            uscc = check_uscc_cell(raw_uscc)
        except CellError as exc:
            fail("uscc", str(exc), raw_uscc)
    texts: dict[str, str] = {}
    for field, limit in (("category", 30), ("industry", 30), ("legal_rep_name", 50), ("security_contact", 50)):
        texts[field] = columns.cell(cells, field)
        if len(texts[field]) > limit:
            fail(field, f"内容过长（最多{limit}个字）", texts[field][:20])
    trade = normalise_trade(columns.cell(cells, "trade"))
    if len(trade) > 30:
        fail("trade", "重点行业过长（最多30个字）", trade[:20])
    address = columns.cell(cells, "address")
    if not address:
        fail("address", "单位地址不能为空")
    elif len(address) > 255:
        fail("address", "单位地址过长（最多255个字）", address[:20])
    type_text = columns.cell(cells, "legal_rep_id_type")
    try:
        id_type = parse_choice(type_text, ID_TYPES, "法定代表人证件类型")
    except CellError as exc:
        fail("legal_rep_id_type", str(exc), type_text)
        id_type = ""
    raw_id = columns.cell(cells, "legal_rep_id_number")
    rep_id: str | None = None
    if raw_id and id_type:
        try:
            rep_id = check_document(id_type, raw_id, today=today)
        except CellError as exc:
            fail("legal_rep_id_number", str(exc), mask_id_number(raw_id))
    raw_phone = columns.cell(cells, "security_contact_phone")
    try:
        phone = parse_phone(raw_phone)
    except CellError as exc:
        fail("security_contact_phone", str(exc), mask_phone(raw_phone))
        phone = None
    staff: int | None = None
    try:
        staff = parse_count(columns.cell(cells, "staff_count"), "从业人员数", maximum=1_000_000)
    except CellError as exc:
        fail("staff_count", str(exc), columns.cell(cells, "staff_count"))
    if errors:
        return None, errors
    return (
        EstablishmentRow(
            row=row,
            legacy_number=columns.cell(cells, "legacy_number")[:30],
            name=name,
            uscc=uscc,
            category=texts["category"],
            industry=texts["industry"],
            trade=trade,
            address_text=address,
            legal_rep_name=texts["legal_rep_name"],
            legal_rep_id_number=rep_id,
            legal_rep_id_index=blind_index(rep_id, kind="id_number") if rep_id else None,
            security_contact=texts["security_contact"],
            security_contact_phone=phone,
            staff_count=staff,
        ),
        [],
    )


def _natural_key(row: EstablishmentRow, address_id: int) -> tuple[str, ...]:
    if row.legacy_number:
        return ("legacy", row.legacy_number)
    if row.uscc:
        return ("uscc", row.uscc)
    return ("name", row.name, str(address_id))


def _key_field(key: tuple[str, ...]) -> str:
    return {"legacy": "legacy_number", "uscc": "uscc", "name": "name"}[key[0]]


def _existing(rows: list[tuple[EstablishmentRow, int]]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Stored establishments by the natural keys of ``rows`` (a numbered row also finds an unnumbered
    record with its code: the same unit, now with its record number). Lowest id first."""
    legacy = {r.legacy_number for r, _a in rows if r.legacy_number}
    codes = {r.uscc for r, _a in rows if r.uscc}
    names = {r.name for r, _a in rows if not r.legacy_number and not r.uscc}
    found: dict[tuple[str, ...], dict[str, Any]] = {}
    fields = ("pk", *COMPARED)
    if legacy:
        for values in Establishment.objects.filter(legacy_number__in=legacy).order_by("pk").values(*fields):
            found.setdefault(("legacy", values["legacy_number"]), values)
    if codes:
        for values in Establishment.objects.filter(uscc__in=codes).order_by("pk").values(*fields):
            found.setdefault(("uscc", values["uscc"]), values)
            if not values["legacy_number"]:
                found.setdefault(("unnumbered", values["uscc"]), values)
    if names:
        addresses = {a for r, a in rows if r.name in names}
        for values in (
            Establishment.objects.filter(name__in=names, address_id__in=addresses).order_by("pk").values(*fields)
        ):
            found.setdefault(("name", values["name"], str(values["address_id"])), values)
    return found


def upsert_establishments(
    rows: list[EstablishmentRow], *, run: ImportRun, index: Any, actor: Any, dry_run: bool
) -> list[RowError]:
    errors: list[RowError] = []
    matches = index.matcher.match_many([r.address_text for r in rows])
    hints = dict(
        StandardAddress.objects.filter(
            pk__in={m.address_id for m in matches if m.needs_review and m.address_id is not None}
        ).values_list("pk", "full_text")
    )
    located: list[tuple[EstablishmentRow, int]] = []
    for row, match in zip(rows, matches, strict=True):
        if not match.needs_review:
            assert match.address_id is not None
            located.append((row, match.address_id))
            continue
        run.rejected += 1
        if match.address_id is None:
            message = "单位地址未匹配到任何标准地址，请核对地址"
        else:
            message = (
                f"单位地址未能可靠匹配标准地址（最接近：{hints.get(match.address_id, '')}，"
                f"置信度{match.confidence:.2f}），请核对地址"
            )
        errors.append(RowError(row.row, header_of(KIND, "address"), row.address_text[:60], message))
    existing = _existing(located)
    now = timezone.now()
    creates: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    diffs: dict[str, Any] = {}
    first_row: dict[tuple[str, ...], int] = {}
    for row, address_id in located:
        key = _natural_key(row, address_id)
        earlier = first_row.setdefault(key, row.row)
        if earlier != row.row:
            run.rejected += 1
            field = _key_field(key)
            errors.append(
                RowError(
                    row.row,
                    header_of(KIND, field),
                    getattr(row, field),
                    f"与第{earlier}行是同一单位（{header_of(KIND, field)}相同），本行未导入",
                )
            )
            continue
        old = existing.get(key)
        if old is None and row.legacy_number and row.uscc:
            old = existing.get(("unnumbered", row.uscc))
        values: dict[str, Any] = {
            "name": row.name,
            "uscc": row.uscc,
            "category": row.category,
            "industry": row.industry,
            "trade": row.trade,
            "is_key_industry": bool(row.trade),
            "address_id": address_id,
            "legal_rep_name": row.legal_rep_name,
            "legal_rep_id_index": row.legal_rep_id_index,
            "security_contact": row.security_contact,
            "security_contact_phone": row.security_contact_phone,
            "staff_count": row.staff_count,
            "legacy_number": row.legacy_number or (old["legacy_number"] if old else ""),
            "owner_unit_id": index.owner_unit_of.get(address_id),
        }
        if old is None:
            creates.append((row.legal_rep_id_number, True, now, now, *(values[n] for n in COMPARED)))
            continue
        changed = {k: (["…", "…"] if k in SECRET else [old[k], v]) for k, v in values.items() if old[k] != v}
        if not changed:
            run.unchanged += 1
            continue
        updates.append((*(values[n] for n in COMPARED), row.legal_rep_id_number, now, old["pk"]))
        diffs[str(old["pk"])] = changed
    run.created += len(creates)
    run.updated += len(updates)
    if dry_run:
        return errors
    with transaction.atomic():
        insert_rows(Establishment, CREATE_FIELDS, creates)
        update_rows(Establishment, UPDATE_FIELDS, updates)
        audit_chunk(
            run=run,
            first_row=rows[0].row,
            last_row=rows[-1].row,
            object_type="registry.establishment",
            created=len(creates),
            diffs=diffs,
            actor=actor,
        )
    return errors
