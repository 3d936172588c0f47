"""Importing people (实有人口): validate every row, match the residence address, upsert by the
document's blind index (never by ciphertext), one transaction per chunk, audit in bulk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhufang.audit.models import AuditAction
from zhufang.audit.services import AuditDraft, record_many
from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.masking import mask_id_number, mask_phone
from zhufang.privacy.validators import IdNumberError, check_id_number
from zhufang.registry.imports.columns import ColumnMap, header_of
from zhufang.registry.imports.errors import RowError
from zhufang.registry.imports.fast_insert import insert_rows
from zhufang.registry.imports.values import (
    CATEGORIES,
    ID_TYPES,
    SEXES,
    CellError,
    parse_choice,
    parse_date,
    parse_labels,
    parse_phone,
)
from zhufang.registry.models import AddressReview, House, HouseUse, IdType, ImportRun, Person


@dataclass
class PersonRow:
    """One valid row, ready to upsert."""

    row: int
    name: str
    id_type: str
    id_number: str
    id_index: str
    sex: str
    birth_date: dt.date | None
    phone: str | None
    phone_index: str | None
    category: str
    address_text: str
    residence_since: dt.date | None
    registered_at: dt.date | None
    permit_expires: dt.date | None
    labels: list[str]
    nationality: str
    source_updated_at: dt.date | None
    legacy_number: str


def _check_document(id_type: str, value: str, today: dt.date) -> tuple[str, str, dt.date | None]:
    """(normalised number, sex code, birth date) or CellError."""
    if id_type == IdType.RESIDENT_ID:
        try:
            info = check_id_number(value, today=today)
        except IdNumberError as exc:
            raise CellError(exc.message) from None
        return info.normalised, info.sex_code, info.birth_date
    cleaned = value.strip().upper().replace(" ", "")
    if not (5 <= len(cleaned) <= 30) or not cleaned.isalnum():
        raise CellError(f"证件号码格式无效：{value}")
    return cleaned, "", None


def validate_person_row(
    row: int, cells: list[str], columns: ColumnMap, *, today: dt.date
) -> tuple[PersonRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(field: str, message: str, value: str = "") -> None:
        errors.append(RowError(row, header_of("people", field), value, message))

    name = columns.cell(cells, "name")
    if not name:
        fail("name", "姓名不能为空")
    elif len(name) > 50:
        fail("name", "姓名过长（最多50个字）", name[:20])
    try:
        id_type = parse_choice(columns.cell(cells, "id_type"), ID_TYPES, "证件类型")
    except CellError as exc:
        fail("id_type", str(exc), columns.cell(cells, "id_type"))
        id_type = IdType.OTHER
    raw_id = columns.cell(cells, "id_number")
    id_number, sex, birth = "", "", None
    if not raw_id:
        fail("id_number", "证件号码不能为空")
    else:
        try:
            id_number, sex, birth = _check_document(id_type, raw_id, today)
        except CellError as exc:
            fail("id_number", str(exc), mask_id_number(raw_id))
    given_sex = columns.cell(cells, "sex")
    try:
        sex_code = parse_choice(given_sex, SEXES, "性别")
        if sex and sex_code and sex_code != sex:
            fail("sex", "性别与身份证号码不符", given_sex)
        sex = sex or sex_code
    except CellError as exc:
        fail("sex", str(exc), given_sex)
    dates: dict[str, dt.date | None] = {}
    for field in ("birth_date", "residence_since", "registered_at", "permit_expires", "source_updated_at"):
        try:
            dates[field] = parse_date(columns.cell(cells, field))
        except CellError as exc:
            fail(field, str(exc), columns.cell(cells, field))
            dates[field] = None
    given_birth = dates["birth_date"]
    if given_birth and birth and given_birth != birth:
        fail("birth_date", "出生日期与身份证号码不符", given_birth.isoformat())
    birth = birth or given_birth
    if birth and birth > today:
        fail("birth_date", "出生日期不能晚于今天", birth.isoformat())
    for field in ("residence_since", "registered_at"):
        value = dates[field]
        if value and value > today:
            fail(field, "日期不能晚于今天", value.isoformat())
    raw_phone = columns.cell(cells, "phone")
    try:
        phone = parse_phone(raw_phone)
    except CellError as exc:
        fail("phone", str(exc), mask_phone(raw_phone))
        phone = None
    try:
        category = parse_choice(columns.cell(cells, "category"), CATEGORIES, "人员类别")
    except CellError as exc:
        fail("category", str(exc), columns.cell(cells, "category"))
        category = ""
    address = columns.cell(cells, "address")
    if not address:
        fail("address", "居住地址不能为空")
    if errors:
        return None, errors
    return (
        PersonRow(
            row=row,
            name=name,
            id_type=id_type,
            id_number=id_number,
            id_index=blind_index(id_number, kind="id_number"),
            sex=sex,
            birth_date=birth,
            phone=phone,
            phone_index=blind_index(phone, kind="phone") if phone else None,
            category=category,
            address_text=address,
            residence_since=dates["residence_since"],
            registered_at=dates["registered_at"],
            permit_expires=dates["permit_expires"],
            labels=parse_labels(columns.cell(cells, "labels")),
            nationality=columns.cell(cells, "nationality")[:30],
            source_updated_at=dates["source_updated_at"],
            legacy_number=columns.cell(cells, "legacy_number")[:30],
        ),
        [],
    )


PERSON_FIELDS = (
    "nationality",
    "source_updated_at",
    "legacy_number",
    "name",
    "id_type",
    "sex",
    "birth_date",
    "phone_index",
    "category",
    "house_id",
    "residence_since",
    "registered_at",
    "permit_expires",
    "labels",
)
#: the columns written for a new person, in the order upsert_people builds its tuples
CREATE_FIELDS = (
    "id_number",
    "id_index",
    "phone",
    "owner_unit_id",
    "created_at",
    "updated_at",
    "is_active",
    *PERSON_FIELDS,
)


def upsert_people(rows: list[PersonRow], *, run: ImportRun, index: Any, actor: Any, dry_run: bool) -> list[RowError]:
    matches = index.matcher.match_many([r.address_text for r in rows])
    address_ids = [m.address_id if not m.needs_review else None for m in matches]
    wanted = {a for a in address_ids if a is not None}
    houses = dict(House.objects.filter(address_id__in=wanted).values_list("address_id", "pk"))
    existing: dict[str, dict[str, Any]] = {}
    for values in Person.objects.filter(id_index__in=[r.id_index for r in rows]).values(
        "pk", *PERSON_FIELDS, "id_index"
    ):
        existing.setdefault(values["id_index"], values)
    now = timezone.now()
    with transaction.atomic():
        missing_houses = [a for a in wanted if a not in houses]
        if missing_houses and not dry_run:
            insert_rows(
                House,
                (
                    "address_id",
                    "use",
                    "house_type",
                    "owner_name",
                    "labels",
                    "owner_unit_id",
                    "created_at",
                    "updated_at",
                ),
                [(a, HouseUse.UNKNOWN, "", "", [], index.owner_unit_of.get(a), now, now) for a in missing_houses],
            )
            houses.update(House.objects.filter(address_id__in=missing_houses).values_list("address_id", "pk"))
        creates: list[tuple[Any, ...]] = []
        reviews: list[tuple[PersonRow, Any]] = []
        updates: list[Person] = []
        update_diffs: dict[str, Any] = {}
        seen: set[str] = set()
        for row, match, address_id in zip(rows, matches, address_ids, strict=True):
            if row.id_index in seen:
                run.unchanged += 1  # the same document twice in one chunk: the first row wins
                continue
            seen.add(row.id_index)
            house_id = houses.get(address_id) if address_id is not None else None
            owner_unit_id = index.owner_unit_of.get(address_id) if address_id is not None else actor.principal_unit.pk
            values = {
                "name": row.name,
                "id_type": row.id_type,
                "sex": row.sex,
                "birth_date": row.birth_date,
                "phone_index": row.phone_index,
                "category": row.category,
                "house_id": house_id,
                "residence_since": row.residence_since,
                "registered_at": row.registered_at,
                "permit_expires": row.permit_expires,
                "labels": row.labels,
                "nationality": row.nationality,
                "source_updated_at": row.source_updated_at,
                "legacy_number": row.legacy_number,
            }
            old = existing.get(row.id_index)
            if old is None:
                creates.append(
                    (
                        row.id_number,
                        row.id_index,
                        row.phone,
                        owner_unit_id,
                        now,
                        now,
                        True,
                        *(values[name] for name in PERSON_FIELDS),
                    )
                )
                if address_id is None:
                    reviews.append((row, match))
                continue
            if address_id is None:
                values["house_id"] = old["house_id"]  # keep the known residence until the review says
            changed = {k: [old[k], v] for k, v in values.items() if old[k] != v}
            if not changed:
                run.unchanged += 1
                continue
            person = Person(
                pk=old["pk"],
                id_number=row.id_number,
                id_index=row.id_index,
                phone=row.phone,
                owner_unit_id=owner_unit_id if address_id is not None else None,
                updated_at=now,
                **values,
            )
            updates.append(person)
            update_diffs[str(old["pk"])] = {k: (["…", "…"] if k == "phone_index" else v) for k, v in changed.items()}
        run.created += len(creates)
        run.updated += len(updates)
        run.review += len(reviews)
        if dry_run:
            transaction.set_rollback(True)
            return []
        insert_rows(Person, CREATE_FIELDS, creates)
        if updates:
            fields = [*[f for f in PERSON_FIELDS if f != "house_id"], "house", "phone", "updated_at"]
            with_unit = [p for p in updates if p.owner_unit_id is not None]
            Person.objects.bulk_update(with_unit, [*fields, "owner_unit"], batch_size=1000)
            Person.objects.bulk_update([p for p in updates if p.owner_unit_id is None], fields, batch_size=1000)
        if reviews:
            keys = dict(
                Person.objects.filter(id_index__in=[r.id_index for r, _m in reviews]).values_list("id_index", "pk")
            )
            AddressReview.objects.bulk_create(
                [
                    AddressReview(
                        raw_text=row.address_text[:255],
                        suggestion_id=match.address_id,
                        confidence=match.confidence,
                        person_id=keys[row.id_index],
                        import_run=run,
                        row_number=row.row,
                        owner_unit_id=actor.principal_unit.pk,
                    )
                    for row, match in reviews
                ]
            )
        drafts = []
        if creates:
            drafts.append(
                AuditDraft(
                    action=AuditAction.CREATE,
                    object_type="registry.person",
                    object_id=f"import:{run.pk}:{rows[0].row}-{rows[-1].row}",
                    object_label=run.file_name,
                    changes={"rows": len(creates)},
                    reason="registry import",
                )
            )
        if updates:
            drafts.append(
                AuditDraft(
                    action=AuditAction.UPDATE,
                    object_type="registry.person",
                    object_id=f"import:{run.pk}:{rows[0].row}-{rows[-1].row}",
                    object_label=run.file_name,
                    changes=update_diffs,
                    reason="registry import",
                )
            )
        record_many(drafts, actor=actor)
    return []
