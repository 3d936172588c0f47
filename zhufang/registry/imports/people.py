"""Importing people (实有人口): validate every row, match the residence address, upsert by a natural
key compared by blind index or plaintext (never by ciphertext), one transaction per chunk, audit in bulk.

Three steps, so the CPU-bound part can run in worker processes (see ``parallel``):

* ``validate_person_row`` — one row's cells → a ``PersonRow`` or its row errors (pure, no database);
* ``prepare_people`` — a chunk's valid rows: match the addresses, encrypt the identifiers (pure);
* ``upsert_people`` — the database part: look the rows up, insert, update, review, audit.

Natural key (how a row finds its stored person):

* with a document: the blind index of 证件号码 (``id_index``);
* without a document (未落户人员, or an old record where nobody entered one — the rule is "both 证件类型
  and 证件号码 empty", whatever the 人员类别, because a bureau's old data has such records and dropping
  them loses residents; a 证件类型 without a number is still an error): the old system's record number
  人员编号 (``legacy_number``), or, when the file has none, name + birth date + the matched standard
  address (the raw address text while the address waits for review). Such a row must give a 人员编号
  or a 出生日期, otherwise nothing could recognise it on the next import. A 人员编号 finds the
  undocumented person with that number, or a person with that number and name who has a document
  (which is then kept, with the sex and birth date it gave);
* a row with a document that is not stored yet, whose 人员编号 and name belong to a stored undocumented
  person, is that person's document arriving (落户): the record is updated, not duplicated.

The same person twice in one file: the first row wins, in whichever chunks the rows are (see
``_FileMemory``). People stored without a document lower the data-quality page's share of people with
a valid document (it counts ``id_index``), which is what a bureau wants to see of them.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.crypto import encrypt_many
from zhufang.privacy.masking import mask_id_number, mask_phone
from zhufang.privacy.validators import IdNumberError, decode_id_number
from zhufang.registry.imports.chunk_audit import audit_chunk
from zhufang.registry.imports.columns import ColumnMap, header_of
from zhufang.registry.imports.errors import RowError
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
from zhufang.sql_writes import insert_rows, update_rows

#: ``Person.id_type`` of a person without any document
NO_DOCUMENT = ""


@dataclass(slots=True)
class PersonRow:
    """One valid row, ready to upsert (``prepare_people`` fills the fields after ``legacy_number``)."""

    row: int
    name: str
    id_type: str
    id_number: str  # "" without a document
    id_index: str | None  # None without a document
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
    prepared: bool = False
    address_id: int | None = None  # the matched standard address; None while it waits for review
    suggestion_id: int | None = None  # the best candidate of an address that waits for review
    confidence: float = 0.0
    id_token: str | None = None  # the encrypted 证件号码
    phone_token: str | None = None  # the encrypted phone

    @staticmethod
    def pack(rows: list[PersonRow]) -> list[tuple[Any, ...]]:
        """Rows as plain tuples for the trip from a worker process (pickled in C, without a Python
        call per row as a dataclass needs): a chunk crosses about twice as fast."""
        return list(map(_ROW_VALUES, rows))

    @staticmethod
    def unpack(packed: list[tuple[Any, ...]]) -> list[PersonRow]:
        return [PersonRow(*values) for values in packed]


_ROW_VALUES = operator.attrgetter(*PersonRow.__dataclass_fields__)


def _check_document(id_type: str, value: str, today: dt.date) -> tuple[str, str, dt.date | None]:
    """(normalised number, sex code, birth date) or CellError."""
    if id_type == IdType.RESIDENT_ID:
        try:
            return decode_id_number(value, today=today)
        except IdNumberError as exc:
            raise CellError(exc.message) from None
    cleaned = value.strip().upper().replace(" ", "")
    if not (5 <= len(cleaned) <= 30) or not cleaned.isalnum():
        raise CellError(f"证件号码格式无效：{value}")
    return cleaned, "", None


#: the cells one row is read from, in this order (``_reader`` takes them out in one call)
_CELLS = (
    "name",
    "id_type",
    "id_number",
    "sex",
    "birth_date",
    "residence_since",
    "registered_at",
    "permit_expires",
    "source_updated_at",
    "phone",
    "category",
    "address",
    "labels",
    "nationality",
    "legacy_number",
)
_DATE_FIELDS = ("birth_date", "residence_since", "registered_at", "permit_expires", "source_updated_at")
_last_reader: tuple[Any, Any] = (None, None)


def _reader(columns: ColumnMap) -> Callable[[list[str]], tuple[str, ...]]:
    """A function taking the ``_CELLS`` of a row at once ("" for absent columns and short rows)."""
    global _last_reader
    cached = _last_reader
    if cached[0] is columns:
        return cached[1]  # type: ignore[no-any-return]
    positions = [columns.index.get(name) for name in _CELLS]
    width = max((p for p in positions if p is not None), default=-1) + 1
    take = operator.itemgetter(*[width if p is None else p for p in positions])  # [width] is the pad ""
    pad = [""]

    def read(cells: list[str]) -> tuple[str, ...]:
        n = len(cells)
        if n == width:
            return take(cells + pad)  # type: ignore[no-any-return]
        return take((cells + [""] * (width - n))[:width] + pad)  # type: ignore[no-any-return]

    _last_reader = (columns, read)
    return read


def validate_person_row(
    row: int, cells: list[str], columns: ColumnMap, *, today: dt.date
) -> tuple[PersonRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(field: str, message: str, value: str = "") -> None:
        errors.append(RowError(row, header_of("people", field), value, message))

    (
        name,
        id_type_text,
        raw_id,
        given_sex,
        birth_text,
        since_text,
        registered_text,
        permit_text,
        updated_text,
        raw_phone,
        category_text,
        address,
        labels_text,
        nationality,
        legacy_number,
    ) = _reader(columns)(cells)
    if not name:
        fail("name", "姓名不能为空")
    elif len(name) > 50:
        fail("name", "姓名过长（最多50个字）", name[:20])
    undocumented = not raw_id and not id_type_text.strip()
    id_number, sex, birth = "", "", None
    if undocumented:
        id_type = NO_DOCUMENT
    else:
        id_type = ID_TYPES.get(id_type_text, "")
        if not id_type:
            try:
                id_type = parse_choice(id_type_text, ID_TYPES, "证件类型")
            except CellError as exc:
                fail("id_type", str(exc), id_type_text)
                id_type = IdType.OTHER
        if not raw_id:
            fail("id_number", "证件号码不能为空")
        else:
            try:
                id_number, sex, birth = _check_document(id_type, raw_id, today)
            except CellError as exc:
                fail("id_number", str(exc), mask_id_number(raw_id))
    sex_code = SEXES.get(given_sex)
    if sex_code is None:
        try:
            sex_code = parse_choice(given_sex, SEXES, "性别")
        except CellError as exc:
            fail("sex", str(exc), given_sex)
    if sex_code is not None:
        if sex and sex_code and sex_code != sex:
            fail("sex", "性别与身份证号码不符", given_sex)
        sex = sex or sex_code
    dates: list[dt.date | None] = []
    for field, text in zip(
        _DATE_FIELDS, (birth_text, since_text, registered_text, permit_text, updated_text), strict=True
    ):
        try:
            dates.append(parse_date(text))
        except CellError as exc:
            fail(field, str(exc), text)
            dates.append(None)
    given_birth, residence_since, registered_at, permit_expires, source_updated_at = dates
    if given_birth and birth and given_birth != birth:
        fail("birth_date", "出生日期与身份证号码不符", given_birth.isoformat())
    birth = birth or given_birth
    if birth and birth > today:
        fail("birth_date", "出生日期不能晚于今天", birth.isoformat())
    for field, value in (("residence_since", residence_since), ("registered_at", registered_at)):
        if value and value > today:
            fail(field, "日期不能晚于今天", value.isoformat())
    try:
        phone = parse_phone(raw_phone)
    except CellError as exc:
        fail("phone", str(exc), mask_phone(raw_phone))
        phone = None
    category = CATEGORIES.get(category_text, "")
    if not category:
        try:
            category = parse_choice(category_text, CATEGORIES, "人员类别")
        except CellError as exc:
            fail("category", str(exc), category_text)
    if not address:
        fail("address", "居住地址不能为空")
    legacy_number = legacy_number[:30]
    if undocumented and not legacy_number and not given_birth:
        fail("id_number", "证件号码为空时须填写人员编号或出生日期（否则再次导入时无法识别此人）")
    if errors:
        return None, errors
    return (
        PersonRow(
            row=row,
            name=name,
            id_type=id_type,
            id_number=id_number,
            id_index=blind_index(id_number, kind="id_number") if id_number else None,
            sex=sex,
            birth_date=birth,
            phone=phone,
            phone_index=blind_index(phone, kind="phone") if phone else None,
            category=category,
            address_text=address,
            residence_since=residence_since,
            registered_at=registered_at,
            permit_expires=permit_expires,
            labels=parse_labels(labels_text),
            nationality=nationality[:30],
            source_updated_at=source_updated_at,
            legacy_number=legacy_number,
        ),
        [],
    )


def prepare_people(rows: list[PersonRow], *, index: Any) -> list[PersonRow]:
    """The CPU-bound rest of a chunk, no database needed: match every residence address (a batch,
    identical texts once) and encrypt the identifiers. Rows prepared before are left alone. A matched
    row keeps only the ciphertexts: the plaintexts and the address text serve a row created for review."""
    todo = [r for r in rows if not r.prepared]
    if not todo:
        return rows
    for row, match in zip(todo, index.matcher.match_many([r.address_text for r in todo]), strict=True):
        if match.needs_review:
            row.suggestion_id, row.confidence = match.address_id, match.confidence
        else:
            row.address_id, row.confidence = match.address_id, match.confidence
    documented = [r for r in todo if r.id_number]
    tokens = encrypt_many([r.id_number for r in documented], context=_ID_CONTEXT)
    for row, token in zip(documented, tokens, strict=True):
        row.id_token = token
    with_phone = [r for r in todo if r.phone]
    tokens = encrypt_many([r.phone for r in with_phone], context=_PHONE_CONTEXT)
    for row, token in zip(with_phone, tokens, strict=True):
        row.phone_token = token
    for row in todo:
        row.prepared = True
        if row.address_id is not None:  # only a row waiting for review is saved from its plaintext
            row.id_number, row.phone, row.address_text = "", None, ""  # lighter on the way to the writer
    return rows


_ID_CONTEXT: str = Person._meta.get_field("id_number").context  # type: ignore[union-attr]
_PHONE_CONTEXT: str = Person._meta.get_field("phone").context  # type: ignore[union-attr]

#: a person's columns that come from the file row (PersonRow attributes of the same name)
FROM_ROW = (
    "nationality",
    "source_updated_at",
    "legacy_number",
    "name",
    "id_type",
    "sex",
    "birth_date",
    "phone_index",
    "category",
    "residence_since",
    "registered_at",
    "permit_expires",
    "labels",
    "id_index",
)
#: what an import compares and rewrites: the row's columns and the residence
PERSON_FIELDS = (*FROM_ROW, "house_id")
#: the columns written for a new person, in the order upsert_people builds its tuples
CREATE_FIELDS = ("id_number", "phone", *PERSON_FIELDS, "owner_unit_id", "created_at", "updated_at", "is_active")
#: the columns rewritten for a changed person (and ``id_number`` when the document is new,
#: ``owner_unit_id`` when the address matched)
UPDATE_FIELDS = ("phone", *PERSON_FIELDS, "updated_at")
_FROM_ROW = operator.attrgetter("id_token", "phone_token", *FROM_ROW)  # CREATE_FIELDS up to house_id
_COMPARED = operator.attrgetter(*FROM_ROW)
_HOUSE = len(FROM_ROW)  # position of house_id in a stored person's compared values
#: blind indexes are not shown in the audit diff (they would let a reader test guesses)
_HIDDEN_IN_DIFF = frozenset({"phone_index", "id_index"})
_ENCRYPTED = frozenset({"id_number", "phone"})
_NAME, _BIRTH = FROM_ROW.index("name"), FROM_ROW.index("birth_date")
_LEGACY, _ID_INDEX = FROM_ROW.index("legacy_number"), FROM_ROW.index("id_index")
_KEPT_WITH_DOCUMENT = tuple(FROM_ROW.index(name) for name in ("id_type", "id_index"))
_FROM_DOCUMENT = tuple(FROM_ROW.index(name) for name in ("sex", "birth_date"))


def _keeping_document(after: tuple[Any, ...], before: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row without a document for a person stored with one: the document stays, and so do the sex
    and birth date it gave where the row has none."""
    values = list(after)
    for i in _KEPT_WITH_DOCUMENT:
        values[i] = before[i]
    for i in _FROM_DOCUMENT:
        values[i] = values[i] or before[i]
    return tuple(values)


#: a stored person as the upsert sees it: (pk, updated_at, values in PERSON_FIELDS order)
Stored = tuple[int, dt.datetime, tuple[Any, ...]]


def _key(row: PersonRow) -> tuple[Any, ...]:
    """The natural key of a row (see the module docstring)."""
    if row.id_index is not None:
        return ("id", row.id_index)
    if row.legacy_number:
        return ("legacy", row.legacy_number)
    where = ("address", row.address_id) if row.address_id is not None else ("text", row.address_text)
    return ("name_birth_address", row.name, row.birth_date, where)


def _mark(key: tuple[Any, ...]) -> Any:
    """A key as a run remembers it: a blind index as its 128-bit number (a million of them fit in
    ~80 MB), other keys as they are."""
    return int(key[1], 16) if key[0] == "id" else key


@dataclass
class _FileMemory:
    """What an import has handled of its file so far, across chunks (在同一文件中的重复记录).

    The same person twice in one file: the first row wins, whichever chunks the two rows fall in — so
    a re-import sees the stored first row, finds it unchanged and skips the second again (if the second
    overwrote the first, every re-import would rewrite and audit both). A resumed import knows the rows
    before the resume point by their stored ``updated_at`` (at or after ``since``, the start of the
    first interrupted run of this file); a person written otherwise since then (edited by hand during
    the import) is kept likewise: the file does not overwrite what is newer than the import."""

    seen: set[Any]
    since: dt.datetime


_memories: weakref.WeakKeyDictionary[ImportRun, _FileMemory] = weakref.WeakKeyDictionary()


def _memory_of(run: ImportRun) -> _FileMemory:
    memory = _memories.get(run)
    if memory is None:
        memory = _memories[run] = _FileMemory(seen=set(), since=_file_started(run))
    return memory


def _file_started(run: ImportRun) -> dt.datetime:
    """When this file's import began: this run, or the first of the unfinished runs it resumes."""
    since = run.started_at
    if run.dry_run:
        return since
    earlier = ImportRun.objects.filter(kind=run.kind, file_sha256=run.file_sha256, dry_run=False, pk__lt=run.pk)
    for status, committed, started_at in earlier.order_by("-pk").values_list(
        "status", "last_committed_row", "started_at"
    ):
        if status == ImportRun.Status.DONE or not committed:
            break  # the file was imported completely before, or the run before wrote nothing
        since = min(since, started_at)
    return since


def _any_of(values: list[Any]) -> Any:
    """The right side of an ``__in`` lookup as ONE parameter: compiling thousands of literal
    parameters was a fifth of the database time of an import."""
    if not values:
        return []
    if connection.vendor == "postgresql":
        kind = "bigint" if values and isinstance(values[0], int) else "text"
        return RawSQL(f"SELECT unnest(%s::{kind}[])", [values])  # noqa: S611 - a fixed type name
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])
    return values


def _values(queryset: Any) -> list[Stored]:
    fields = ("pk", "updated_at", *PERSON_FIELDS)
    return [(pk, updated_at, tuple(rest)) for pk, updated_at, *rest in queryset.order_by("pk").values_list(*fields)]


def _stored(rows: list[PersonRow]) -> dict[Any, Stored]:
    """The stored people the rows may be: {natural key: (pk, values)}, one query per kind of key."""
    found: dict[Any, Stored] = {}
    indexes = [r.id_index for r in rows if r.id_index is not None]
    if indexes:
        for stored in _values(Person.objects.filter(id_index__in=_any_of(indexes))):
            found.setdefault(("id", stored[2][_ID_INDEX]), stored)
    by_number = [r for r in rows if r.legacy_number and ("id", r.id_index) not in found]
    numbers = sorted({r.legacy_number for r in by_number})
    if numbers:  # undocumented people by record number (the index on id_index finds the NULLs)
        for stored in _values(Person.objects.filter(id_index__isnull=True, legacy_number__in=_any_of(numbers))):
            found.setdefault(("legacy", stored[2][_LEGACY]), stored)
    names = sorted({r.name for r in by_number if r.id_index is None})
    if names:  # a row without the document its stored person has: by name (indexed) and record number
        documented = Person.objects.filter(
            id_index__isnull=False, name__in=_any_of(names), legacy_number__in=_any_of(numbers)
        )
        for stored in _values(documented):
            found.setdefault(("documented", stored[2][_LEGACY], stored[2][_NAME]), stored)
    names = sorted({r.name for r in rows if r.id_index is None and not r.legacy_number})
    if names:
        candidates = _values(Person.objects.filter(id_index__isnull=True, legacy_number="", name__in=_any_of(names)))
        address_of = dict(
            House.objects.filter(pk__in=[c[2][_HOUSE] for c in candidates if c[2][_HOUSE] is not None]).values_list(
                "pk", "address_id"
            )
        )
        homeless = [c[0] for c in candidates if c[2][_HOUSE] is None]
        texts = dict(
            AddressReview.objects.filter(person_id__in=homeless).order_by("pk").values_list("person_id", "raw_text")
        )
        for stored in candidates:
            pk, _updated_at, values = stored
            if values[_HOUSE] is not None:
                where: tuple[Any, ...] = ("address", address_of[values[_HOUSE]])
            elif pk in texts:
                where = ("text", texts[pk])
            else:
                continue
            found.setdefault(("name_birth_address", values[_NAME], values[_BIRTH], where), stored)
    return found


def upsert_people(rows: list[PersonRow], *, run: ImportRun, index: Any, actor: Any, dry_run: bool) -> list[RowError]:
    prepare_people(rows, index=index)  # a no-op for rows a worker process prepared
    wanted = sorted({r.address_id for r in rows if r.address_id is not None})
    houses = dict(House.objects.filter(address_id__in=_any_of(wanted)).values_list("address_id", "pk"))
    now = timezone.now()
    unit_of = index.owner_unit_of
    importer_unit = actor.principal_unit.pk
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
                    "legacy_number",
                    "owner_unit_id",
                    "created_at",
                    "updated_at",
                ),
                [(a, HouseUse.UNKNOWN, "", "", [], "", unit_of.get(a), now, now) for a in missing_houses],
            )
            houses.update(House.objects.filter(address_id__in=_any_of(missing_houses)).values_list("address_id", "pk"))
        stored = _stored(rows)
        creates: list[tuple[Any, ...]] = []
        reviews: list[tuple[PersonRow, Person]] = []
        updates: dict[tuple[bool, bool], list[tuple[Any, ...]]] = {}  # by (address matched, new document)
        update_diffs: dict[str, Any] = {}
        memory = _memory_of(run)
        seen, since = memory.seen, memory.since
        claimed: set[int] = set()
        stamp = (now, now, True)
        for row in rows:
            address_id = row.address_id
            house_id = houses.get(address_id) if address_id is not None else None
            key = _key(row)
            mark = _mark(key)
            if mark in seen:
                run.unchanged += 1  # the same person earlier in this file: the first row wins
                continue
            seen.add(mark)
            old = stored.get(key)
            if old is None and row.legacy_number:
                if row.id_index is not None:  # 落户: the document of an undocumented person arrives
                    candidate = stored.get(("legacy", row.legacy_number))
                    if candidate is not None and candidate[2][_NAME] == row.name:
                        old = candidate
                else:  # an old record without the document the person is stored with
                    old = stored.get(("documented", row.legacy_number, row.name))
            owner_unit_id = unit_of.get(address_id) if address_id is not None else importer_unit
            if old is None:
                if address_id is None:  # its review row needs the new person's key: created below
                    reviews.append((row, _new_person(row, owner_unit_id, now)))
                else:
                    creates.append((*_FROM_ROW(row), house_id, owner_unit_id, *stamp))
                continue
            pk, written_at, before = old
            if pk in claimed or written_at >= since:
                run.unchanged += 1  # already written from this file (see _FileMemory), or by hand meanwhile
                continue
            claimed.add(pk)
            after = (*_COMPARED(row), house_id if address_id is not None else before[_HOUSE])
            if row.id_index is None and before[_ID_INDEX] is not None:
                after = _keeping_document(after, before)
            if after == before:
                run.unchanged += 1
                continue
            new_document = after[_ID_INDEX] != before[_ID_INDEX]
            change = (*((row.id_token,) if new_document else ()), row.phone_token, *after, now)
            if address_id is not None:
                updates.setdefault((True, new_document), []).append((*change, owner_unit_id, pk))
            else:  # keep the known residence and unit until the review says
                updates.setdefault((False, new_document), []).append((*change, pk))
            update_diffs[str(pk)] = {
                name: (["…", "…"] if name in _HIDDEN_IN_DIFF else [old_value, new_value])
                for name, old_value, new_value in zip(PERSON_FIELDS, before, after, strict=True)
                if old_value != new_value
            }
        run.created += len(creates) + len(reviews)
        run.updated += sum(map(len, updates.values()))
        run.review += len(reviews)
        if dry_run:
            transaction.set_rollback(True)
            return []
        insert_rows(Person, CREATE_FIELDS, creates, prepared=_ENCRYPTED)
        for (with_unit, new_document), changes in sorted(updates.items()):
            fields = (*(("id_number",) if new_document else ()), *UPDATE_FIELDS, *(("owner_unit_id",) * with_unit))
            update_rows(Person, fields, changes, prepared=_ENCRYPTED)
        if reviews:
            Person.objects.bulk_create([person for _row, person in reviews])
            AddressReview.objects.bulk_create(
                [
                    AddressReview(
                        raw_text=row.address_text[:255],
                        suggestion_id=row.suggestion_id,
                        confidence=row.confidence,
                        person_id=person.pk,
                        import_run=run,
                        row_number=row.row,
                        owner_unit_id=importer_unit,
                    )
                    for row, person in reviews
                ]
            )
        audit_chunk(
            run=run,
            first_row=rows[0].row,
            last_row=rows[-1].row,
            object_type="registry.person",
            created=len(creates) + len(reviews),
            diffs=update_diffs,
            actor=actor,
        )
    return []


def _new_person(row: PersonRow, owner_unit_id: int | None, now: dt.datetime) -> Person:
    """A person saved through the ORM (which encrypts): for the few rows that need their key back."""
    values = dict(zip(FROM_ROW, _COMPARED(row), strict=True))
    return Person(
        id_number=row.id_number or None,
        phone=row.phone,
        house_id=None,
        owner_unit_id=owner_unit_id,
        created_at=now,
        updated_at=now,
        is_active=True,
        **values,
    )
