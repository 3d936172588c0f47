"""Exporting the registry (登记数据导出): people, houses or establishments of the user's data scope —
or of a search, or of one unit's subtree within it — as CSV (UTF-8 with BOM, or GBK) or Excel.

Identifiers (document numbers, phones) are masked by default; a holder of ``pii.reveal`` may ask for
them in plaintext, which the audit row records. Without ``pii.view`` names are masked too. Every
export needs ``data.export`` and a reason and is audited with its row count and filters, through
the shared mechanism of ``zhufang.privacy.exporting`` (the roster export uses the same)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from zhufang.accounts.permissions import Perm
from zhufang.org.models import OrgUnit
from zhufang.privacy.exporting import authorise_export, record_export, table_format, write_table
from zhufang.privacy.masking import mask_id_number, mask_phone
from zhufang.registry.masked import name_for
from zhufang.registry.models import Establishment, House, HouseUse, IdType, Person, PersonCategory
from zhufang.registry.queries import looks_like_document_number, search_establishments, search_houses, search_people

KINDS = ("people", "houses", "establishments")
OBJECT_TYPES = {"people": "registry.person", "houses": "registry.house", "establishments": "registry.establishment"}
ID_TYPE_TEXT: dict[str, str] = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.PASSPORT: "护照",
    IdType.HK_MACAO: "港澳居民来往内地通行证",
    IdType.TAIWAN: "台湾居民来往大陆通行证",
    IdType.FOREIGN_PERMANENT: "外国人永久居留身份证",
    IdType.OTHER: "其他证件",
}
CATEGORY_TEXT: dict[str, str] = {
    PersonCategory.REGISTERED: "户籍人口",
    PersonCategory.FLOATING: "流动人口",
    PersonCategory.OVERSEAS: "境外人员",
    PersonCategory.LODGER: "寄住人口",
    PersonCategory.UNREGISTERED: "未落户人员",
}
USE_TEXT: dict[str, str] = {
    HouseUse.SELF_OCCUPIED: "自住",
    HouseUse.RENTAL: "出租",
    HouseUse.VACANT: "空置",
    HouseUse.INSTITUTIONAL: "单位用房",
    HouseUse.BUSINESS: "经营",
    HouseUse.UNKNOWN: "",
}
SEX_TEXT = {"1": "男", "2": "女"}
MASKED = "（脱敏）"


@dataclass
class ExportRequest:
    """What to export: ``kind`` of the scope, narrowed by a search ``q`` and/or a unit's subtree."""

    kind: str
    reason: str
    q: str = ""
    unit_id: int | None = None
    key_only: bool = False  # establishments: key venues only
    format: str = "csv"
    unmasked: bool = False
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportResult:
    rows: int
    file_name: str
    content_type: str


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def _within_unit(principal: Any, queryset: models.QuerySet[Any], unit_id: int | None) -> models.QuerySet[Any]:
    if not unit_id:
        return queryset
    unit = OrgUnit.objects.visible_to(principal).filter(pk=unit_id).first()
    if unit is None:
        return queryset.none()
    return queryset.filter(owner_unit__in=OrgUnit.objects.subtree(unit).values("pk"))


def people_in(principal: Any, request: ExportRequest) -> models.QuerySet[Person]:
    people = (
        search_people(principal, request.q)
        if request.q.strip()
        else Person.objects.visible_to(principal).filter(is_active=True)
    )
    people = _within_unit(principal, people, request.unit_id)
    return people.select_related("house__address", "owner_unit").order_by("owner_unit_id", "pk")


def houses_in(principal: Any, request: ExportRequest) -> models.QuerySet[House]:
    houses = search_houses(principal, request.q) if request.q.strip() else House.objects.visible_to(principal)
    houses = _within_unit(principal, houses, request.unit_id)
    return (
        houses.select_related("address", "owner_unit")
        .annotate(resident_count=Count("residents", filter=Q(residents__is_active=True)))
        .order_by("owner_unit_id", "address__code")
    )


def establishments_in(principal: Any, request: ExportRequest) -> models.QuerySet[Establishment]:
    units = search_establishments(principal, request.q, key_only=request.key_only)
    units = _within_unit(principal, units, request.unit_id)
    return units.select_related("address", "owner_unit").order_by("owner_unit_id", "name", "pk")


def _people_table(
    principal: Any, people: models.QuerySet[Person], plain: bool
) -> tuple[list[str], Iterator[list[Any]]]:
    tag = "" if plain else MASKED
    header = [
        "人员编号",
        "姓名",
        "证件类型",
        f"证件号码{tag}",
        "性别",
        "出生日期" if plain else "出生年份",
        f"联系电话{tag}",
        "人员类别",
        "居住地址",
        "标准地址编码",
        "所属网格",
        "居住起始日期",
        "居住登记日期",
        "居住证有效期至",
        "更新日期",
        "标签",
    ]

    def rows() -> Iterator[list[Any]]:
        for p in people.iterator(chunk_size=2000):
            address = p.house.address if p.house_id and p.house else None
            birth = (_date(p.birth_date) if plain else str(p.birth_date.year)) if p.birth_date else ""
            yield [
                p.legacy_number,
                name_for(principal, p.name),
                ID_TYPE_TEXT.get(p.id_type, p.id_type),
                (p.id_number if plain else mask_id_number(p.id_number)) or "",
                SEX_TEXT.get(p.sex, ""),
                birth,
                (p.phone if plain else mask_phone(p.phone)) or "",
                CATEGORY_TEXT.get(p.category, p.category),
                address.full_text if address else "",
                address.code if address else "",
                p.owner_unit.name if p.owner_unit else "",
                _date(p.residence_since),
                _date(p.registered_at),
                _date(p.permit_expires),
                _date(p.source_updated_at),
                "、".join(p.labels),
            ]

    return header, rows()


def _houses_table(principal: Any, houses: models.QuerySet[House], plain: bool) -> tuple[list[str], Iterator[list[Any]]]:
    tag = "" if plain else MASKED
    header = [
        "房屋编号",
        "地址编码",
        "房屋地址",
        "房屋用途",
        "房屋类型",
        "建筑面积",
        "间数",
        "房主姓名",
        f"房主证件号码{tag}",
        f"房主电话{tag}",
        "标签",
        "所属网格",
        "居住人数",
    ]

    def rows() -> Iterator[list[Any]]:
        for h in houses.iterator(chunk_size=2000):
            yield [
                h.legacy_number,
                h.address.code,
                h.address.full_text,
                USE_TEXT.get(h.use, h.use),
                h.house_type,
                h.area_m2 if h.area_m2 is not None else "",
                h.rooms if h.rooms is not None else "",
                name_for(principal, h.owner_name),
                (h.owner_id_number if plain else mask_id_number(h.owner_id_number)) or "",
                (h.owner_phone if plain else mask_phone(h.owner_phone)) or "",
                "、".join(h.labels),
                h.owner_unit.name if h.owner_unit else "",
                h.resident_count,  # type: ignore[attr-defined]
            ]

    return header, rows()


def _establishments_table(
    principal: Any, units: models.QuerySet[Establishment], plain: bool
) -> tuple[list[str], Iterator[list[Any]]]:
    tag = "" if plain else MASKED
    header = [
        "单位编号",
        "单位名称",
        "统一社会信用代码",
        "单位类别",
        "行业类别",
        "重点行业",
        "单位地址",
        "法定代表人",
        f"法定代表人证件号码{tag}",
        "治保负责人",
        f"治保负责人电话{tag}",
        "从业人员数",
        "所属网格",
    ]

    def rows() -> Iterator[list[Any]]:
        for u in units.iterator(chunk_size=2000):
            yield [
                u.legacy_number,
                u.name,
                u.uscc,
                u.category,
                u.industry,
                u.trade,
                u.address.full_text if u.address_id and u.address else "",
                name_for(principal, u.legal_rep_name),
                (u.legal_rep_id_number if plain else mask_id_number(u.legal_rep_id_number)) or "",
                name_for(principal, u.security_contact),
                (u.security_contact_phone if plain else mask_phone(u.security_contact_phone)) or "",
                u.staff_count if u.staff_count is not None else "",
                u.owner_unit.name if u.owner_unit else "",
            ]

    return header, rows()


def export_registry(principal: Any, request: ExportRequest, handle: IO[bytes]) -> ExportResult:
    """Write the export to ``handle`` and audit it; ``PermissionDenied`` without ``data.export`` (or
    without ``pii.reveal`` for plaintext identifiers), ``ValidationError`` for a missing reason, an
    unknown kind or format."""
    reason = authorise_export(principal, request.reason)
    if request.kind not in KINDS:
        raise ValidationError({"kind": _("Choose what to export: people, houses or establishments")})
    fmt = table_format(request.format)
    if request.unmasked and not principal.has_permission(Perm.PERSONAL_DATA_REVEAL):
        raise PermissionDenied(_("You do not have the permission to export identifiers unmasked"))
    if request.kind == "people":
        header, rows = _people_table(principal, people_in(principal, request), request.unmasked)
    elif request.kind == "houses":
        header, rows = _houses_table(principal, houses_in(principal, request), request.unmasked)
    else:
        header, rows = _establishments_table(principal, establishments_in(principal, request), request.unmasked)
    count = write_table(handle, header, rows, fmt)
    q = request.q.strip()
    filters = {
        **request.filters,
        "kind": request.kind,
        "q": mask_id_number(q) if looks_like_document_number(q) else q,
        "unit": request.unit_id,
        "key_only": request.key_only,
        "format": fmt.code,
        "masked": not request.unmasked,
    }
    record_export(principal, object_type=OBJECT_TYPES[request.kind], reason=reason, rows=count, filters=filters)
    return ExportResult(rows=count, file_name=f"{request.kind}.{fmt.extension}", content_type=fmt.content_type)
