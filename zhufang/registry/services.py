"""Writes to the registry by officers and grid workers (collection on a phone or at a desk).
Each checks permission and scope, validates in Chinese, runs in a transaction and audits itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.audit.models import AuditAction
from zhufang.audit.services import diff, record, snapshot
from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.validators import IdNumberError, check_id_number
from zhufang.registry.imports.values import CellError, parse_phone
from zhufang.registry.models import House, HouseUse, IdType, Person, PersonCategory

PERSON_AUDITED = (
    "name",
    "id_type",
    "sex",
    "birth_date",
    "category",
    "house",
    "residence_since",
    "registered_at",
    "permit_expires",
    "labels",
    "is_active",
)


def _require(actor: Any, permission: str) -> None:
    if not actor.has_permission(permission):
        raise PermissionDenied("没有登记采集的权限")


def _visible_house(actor: Any, house: House) -> House:
    found = visible_to(actor, House.objects.filter(pk=house.pk)).select_related("address").first()
    if found is None:
        raise PermissionDenied("该房屋不在您的数据权限范围内")
    return found


@transaction.atomic
def register_person(
    *,
    actor: Any,
    house: House,
    name: str,
    id_type: str = IdType.RESIDENT_ID,
    id_number: str,
    category: str,
    phone: str = "",
    residence_since: dt.date | None = None,
    labels: list[str] | None = None,
) -> Person:
    """登记实有人口: a newly arrived resident at a house (e.g. a tenant), validated and audited.
    A document already registered is refused with the existing record named (no duplicates)."""
    _require(actor, Perm.REGISTRY_EDIT)
    house = _visible_house(actor, house)
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "姓名不能为空"
    sex, birth = "", None
    number = id_number.strip().upper()
    if id_type == IdType.RESIDENT_ID:
        try:
            info = check_id_number(number)
            number, sex, birth = info.normalised, info.sex_code, info.birth_date
        except IdNumberError as exc:
            errors["id_number"] = exc.message
    elif not (5 <= len(number) <= 30 and number.isalnum()):
        errors["id_number"] = f"证件号码格式无效：{id_number}"
    if category not in PersonCategory.values:
        errors["category"] = "请选择人员类别"
    try:
        phone_digits = parse_phone(phone) if phone else None
    except CellError as exc:
        errors["phone"] = str(exc)
        phone_digits = None
    if errors:
        raise ValidationError(errors)
    index = blind_index(number, kind="id_number")
    existing = Person.objects.filter(id_index=index, is_active=True).select_related("house__address").first()
    if existing is not None:
        where = existing.house.address.full_text if existing.house else "（无住址）"
        raise ValidationError({"id_number": f"该证件已登记：{existing.name}，住址 {where}"})
    person = Person.objects.create(
        name=name,
        id_type=id_type,
        id_number=number,
        id_index=index,
        sex=sex,
        birth_date=birth,
        phone=phone_digits,
        phone_index=blind_index(phone_digits, kind="phone") if phone_digits else None,
        category=category,
        house=house,
        residence_since=residence_since or timezone.localdate(),
        labels=labels or [],
        owner_unit_id=house.owner_unit_id,
    )
    record(action=AuditAction.CREATE, actor=actor, obj=person, changes=diff({}, snapshot(person, PERSON_AUDITED)))
    return person


@transaction.atomic
def set_house_use(*, actor: Any, house: House, use: str) -> House:
    """标注房屋用途: rental / self-occupied / vacant …"""
    _require(actor, Perm.REGISTRY_EDIT)
    house = _visible_house(actor, house)
    if use not in HouseUse.values:
        raise ValidationError({"use": "请选择房屋用途"})
    if house.use != use:
        before = house.use
        House.objects.filter(pk=house.pk).update(use=use, updated_at=timezone.now())
        house.use = use
        record(action=AuditAction.UPDATE, actor=actor, obj=house, changes={"use": [before, use]})
    return house
