"""Importing a batch's targets from a spreadsheet (目标导入): CSV (UTF-8 or GBK) or Excel with Chinese
headers, read with the registry's reader.

Each row names one target:

* ``对象类型`` 人员/房屋/单位/地址/位置 (or person/house/establishment/address/location) with
  ``对象编号`` — a registry object by id;
* ``地址`` — an address text matched to a standard address (for 房屋: the house at that address);
* ``证件号码`` — a person found by the blind index of the number, within the uploader's data scope
  (never decrypted, never scanned; a number outside the scope reads as "not found");
* ``经度``/``纬度`` with ``说明`` — a free location (WGS-84), routed by the county's own polygons.

A dry run lists every bad row naming the file, row and field; importing adds the valid rows through
``issuing.add_targets`` in one transaction — all of them or none.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.instructions import issuing
from zhufang.instructions.categories import Category, get_category
from zhufang.instructions.models import BatchStatus, InstructionBatch, TargetKind
from zhufang.instructions.routing import TargetRef, route_targets
from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.masking import mask_id_number
from zhufang.privacy.validators import IdNumberError, check_id_number
from zhufang.registry.address_index import current_index
from zhufang.registry.imports.reading import Table, TableError, open_table
from zhufang.registry.models import House, Person

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_REPORTED_ERRORS = 1000
IN_CHUNK = 5000

#: column → the Chinese headers bureaus use for it (the first is the one named in errors)
COLUMNS: dict[str, tuple[str, ...]] = {
    "kind": ("对象类型", "目标类型", "类型"),
    "id": ("对象编号", "目标编号", "编号"),
    "address": ("地址", "标准地址", "详细地址"),
    "id_number": ("证件号码", "公民身份号码", "身份证号码", "身份证号"),
    "lon": ("经度",),
    "lat": ("纬度",),
    "label": ("说明", "备注", "描述"),
}
#: what a row's 对象类型 may say
KIND_WORDS: dict[str, str] = {
    **{k: k for k in ("person", "house", "establishment", "address", "location")},
    "人员": TargetKind.PERSON,
    "人口": TargetKind.PERSON,
    "实有人口": TargetKind.PERSON,
    "房屋": TargetKind.HOUSE,
    "实有房屋": TargetKind.HOUSE,
    "单位": TargetKind.ESTABLISHMENT,
    "场所": TargetKind.ESTABLISHMENT,
    "实有单位": TargetKind.ESTABLISHMENT,
    "地址": TargetKind.ADDRESS,
    "标准地址": TargetKind.ADDRESS,
    "位置": TargetKind.LOCATION,
    "地点": TargetKind.LOCATION,
    "点位": TargetKind.LOCATION,
}
RESIDENT_ID = re.compile(r"^\d{17}[\dXx]$")


@dataclass(frozen=True)
class TargetRowError:
    """One bad cell: file, row (the header is row 1), the Chinese column header, the value (identifiers
    masked) and what is wrong with it."""

    file: str
    row: int
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        return _("%(file)s row %(row)s, %(field)s: %(message)s") % {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "message": self.message,
        }

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "field": self.field, "value": self.value, "message": self.message}


@dataclass
class TargetImportReport:
    file_name: str
    encoding: str
    dry_run: bool
    rows: int = 0
    valid: int = 0
    added: int = 0
    errors: list[TargetRowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({e.row for e in self.errors})

    def summary(self) -> str:
        values = {"file": self.file_name, "rows": self.rows, "valid": self.valid, "bad": self.rejected}
        if self.dry_run:
            text = _("%(file)s checked: %(rows)s rows, %(valid)s valid targets, %(bad)s bad rows") % values
        else:
            values["added"] = self.added
            text = _("%(file)s imported: %(rows)s rows, %(added)s targets added, %(bad)s bad rows skipped") % values
        if self.ignored_columns:
            text += _("; columns ignored: %(columns)s") % {"columns": "、".join(self.ignored_columns)}
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "encoding": self.encoding,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "valid": self.valid,
            "added": self.added,
            "rejected": self.rejected,
            "ignored_columns": self.ignored_columns,
            "summary": self.summary(),
            "errors": [e.as_dict() for e in self.errors[:MAX_REPORTED_ERRORS]],
        }


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _column_positions(table: Table) -> tuple[dict[str, int], list[str]]:
    """{column: position} of the recognised headers, and the headers ignored."""
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for position, header in enumerate(table.header):
        name = next((c for c, words in COLUMNS.items() if header in words), None)
        if name is None:
            if header:
                ignored.append(header)
            continue
        if name in positions:
            raise _refuse(
                _("%(file)s: the columns %(first)s and %(second)s say the same thing; keep one")
                % {"file": table.file_name, "first": table.header[positions[name]], "second": header}
            )
        positions[name] = position
    if not positions.keys() & {"kind", "id", "address", "id_number", "lon"}:
        raise _refuse(
            _("%(file)s has none of the target columns (对象类型, 对象编号, 地址, 证件号码, 经度/纬度)")
            % {"file": table.file_name}
        )
    if ("lon" in positions) != ("lat" in positions):
        raise _refuse(_("%(file)s: 经度 and 纬度 go together") % {"file": table.file_name})
    return positions, ignored


@dataclass
class _Row:
    number: int
    cells: dict[str, str]
    kind: str = ""
    ref: TargetRef | None = None


class _Reader:
    """Turns the rows of one file into targets, collecting every problem with its row and field."""

    def __init__(self, table: Table, actor: Any, category: Category) -> None:
        self.table, self.actor, self.category = table, actor, category
        self.errors: list[TargetRowError] = []
        self.positions: dict[str, int] = {}

    def error(self, row: _Row, column: str, message: str, value: str | None = None) -> None:
        shown = row.cells.get(column, "") if value is None else value
        if column == "id_number":
            shown = mask_id_number(shown) or ""
        self.errors.append(TargetRowError(self.table.file_name, row.number, self.header(column), shown[:60], message))

    def header(self, column: str) -> str:
        return COLUMNS[column][0] if column not in self.positions else self.table.header[self.positions[column]]

    def read(self) -> tuple[list[_Row], list[str]]:
        self.positions, ignored = _column_positions(self.table)
        rows: list[_Row] = []
        try:
            for number, cells in self.table.rows:
                values = {c: (cells[p] if p < len(cells) else "") for c, p in self.positions.items()}
                rows.append(_Row(number, values))
                if len(rows) > issuing.MAX_TARGETS:
                    raise _refuse(
                        _("%(file)s has more than %(n)s rows; split it")
                        % {"file": self.table.file_name, "n": issuing.MAX_TARGETS}
                    )
        except TableError as exc:
            raise _refuse(str(exc)) from exc
        for row in rows:
            self._parse(row)
        self._find_addresses([r for r in rows if r.ref is None and r.kind in (TargetKind.ADDRESS, TargetKind.HOUSE)])
        self._find_people([r for r in rows if r.ref is None and r.kind == TargetKind.PERSON])
        self._check_routes([r for r in rows if r.ref is not None])
        return rows, ignored

    def _parse(self, row: _Row) -> None:
        """The kind of the row and, where the row says it outright, its target."""
        c = row.cells
        word = c.get("kind", "")
        if word:
            kind = KIND_WORDS.get(word.lower()) or KIND_WORDS.get(word)
            if kind is None:
                self.error(row, "kind", _("unknown target type; use 人员, 房屋, 单位, 地址 or 位置"))
                return
        elif c.get("id_number"):
            kind = TargetKind.PERSON
        elif c.get("lon") or c.get("lat"):
            kind = TargetKind.LOCATION
        elif c.get("address"):
            kind = TargetKind.ADDRESS
        elif c.get("id"):
            self.error(row, "kind", _("say what the number is: 人员, 房屋, 单位 or 地址"), "")
            return
        else:
            self.error(row, "kind", _("the row names no target"), "")
            return
        row.kind = kind
        label = c.get("label", "")[:255]
        if kind not in self.category.targets:
            self.error(
                row,
                "kind",
                _("the category %(category)s does not take %(kind)s targets")
                % {"category": self.category.name, "kind": TargetKind(kind).label},
                word or str(TargetKind(kind).label),
            )
            row.kind = ""
            return
        if kind == TargetKind.LOCATION:
            self._parse_point(row, label)
        elif c.get("id"):
            number = c["id"]
            if not number.isdigit() or int(number) <= 0:
                self.error(row, "id", _("not a record number"))
                row.kind = ""
            else:
                row.ref = TargetRef(kind, int(number), label=label)
        elif kind == TargetKind.ESTABLISHMENT:
            self.error(row, "id", _("an establishment is named by its record number"), "")
            row.kind = ""
        elif kind == TargetKind.PERSON and not c.get("id_number"):
            self.error(row, "id_number", _("a person is named by the record number or the document number"), "")
            row.kind = ""
        elif kind in (TargetKind.ADDRESS, TargetKind.HOUSE) and not c.get("address"):
            self.error(row, "address", _("give the record number or the address"), "")
            row.kind = ""

    def _parse_point(self, row: _Row, label: str) -> None:
        values: dict[str, float] = {}
        for column, low, high in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
            text = row.cells.get(column, "").replace("，", ".")
            try:
                value = float(text)
            except ValueError:
                self.error(row, column, _("not a number") if text else _("missing"))
                continue
            if not math.isfinite(value) or not low <= value <= high:
                self.error(row, column, _("out of range"))
                continue
            values[column] = value
        if len(values) == 2:
            row.ref = TargetRef(TargetKind.LOCATION, lon=values["lon"], lat=values["lat"], label=label)
        else:
            row.kind = ""

    def _find_addresses(self, rows: Sequence[_Row]) -> None:
        """Address texts matched to standard addresses; for 房屋 the house at that address."""
        if not rows:
            return
        matches = current_index().matcher.match_many([r.cells["address"] for r in rows])
        wanted_houses: dict[int, list[_Row]] = defaultdict(list)
        for row, match in zip(rows, matches, strict=True):
            if match.address_id is None or match.needs_review:
                self.error(row, "address", _("no standard address matches this text"))
            elif row.kind == TargetKind.HOUSE:
                wanted_houses[match.address_id].append(row)
            else:
                row.ref = TargetRef(TargetKind.ADDRESS, match.address_id, label=row.cells.get("label") or "")
        addresses = sorted(wanted_houses)
        houses: dict[int, int] = {}
        for start in range(0, len(addresses), IN_CHUNK):
            part = addresses[start : start + IN_CHUNK]
            houses.update(House.objects.filter(address_id__in=part).values_list("address_id", "pk"))
        for address_id, waiting in wanted_houses.items():
            for row in waiting:
                if address_id in houses:
                    row.ref = TargetRef(TargetKind.HOUSE, houses[address_id], label=row.cells.get("label") or "")
                else:
                    self.error(row, "address", _("no house is registered at this address"))

    def _find_people(self, rows: Sequence[_Row]) -> None:
        """People by the blind index of their document number, within the uploader's scope only: a
        number outside it gets the same answer as an unknown one."""
        indexes: dict[str, list[_Row]] = defaultdict(list)
        for row in rows:
            number = "".join(row.cells["id_number"].split())
            if RESIDENT_ID.match(number):
                try:
                    check_id_number(number)
                except IdNumberError as exc:
                    self.error(row, "id_number", str(exc))
                    continue
            try:
                indexes[blind_index(number, kind="id_number")].append(row)
            except ValueError:
                self.error(row, "id_number", _("missing"))
        keys = sorted(indexes)
        found: dict[str, list[int]] = defaultdict(list)
        for start in range(0, len(keys), IN_CHUNK):
            people = Person.objects.filter(
                id_index__in=keys[start : start + IN_CHUNK], is_active=True, merged_into__isnull=True
            )
            for index, pk in visible_to(self.actor, people).values_list("id_index", "pk"):
                found[index].append(pk)
        for index, waiting in indexes.items():
            for row in waiting:
                matches = found.get(index, [])
                if not matches:
                    self.error(row, "id_number", _("no person with this number in your data scope"))
                elif len(matches) > 1:
                    self.error(row, "id_number", _("several people share this number; name the record number"))
                else:
                    row.ref = TargetRef(TargetKind.PERSON, matches[0], label=row.cells.get("label") or "")

    def _check_routes(self, rows: Sequence[_Row]) -> None:
        """Every target must exist and fall in a grid of the county (the routing issue will use)."""
        routes = route_targets([r.ref for r in rows if r.ref is not None])
        for row, route in zip(rows, routes, strict=True):
            point = row.kind == TargetKind.LOCATION
            if route is None:
                column = "lon" if point else self._source_column(row)
                message = _("the point lies outside the county") if point else _("no such record, or it is inactive")
                self.error(row, column, message)
                row.ref = None
            elif route.station_id is None:
                self.error(row, "lon" if point else self._source_column(row), _("not yet placed in a grid"))
                row.ref = None

    def _source_column(self, row: _Row) -> str:
        for column in ("id", "id_number", "address"):
            if row.cells.get(column):
                return column
        return "id"


def check_editable(actor: Any, batch: InstructionBatch) -> InstructionBatch:
    """The batch as the actor may add targets to it: in scope, a draft (or a request the centre reviews)."""
    if not actor.has_permission(Perm.INSTRUCTION_REQUEST):
        raise PermissionDenied(_("You may not request instructions"))
    found = visible_to(actor, InstructionBatch.objects.filter(pk=batch.pk)).first()
    if found is None:
        raise PermissionDenied(_("This batch is outside your data scope"))
    if found.status not in (BatchStatus.DRAFT, BatchStatus.REQUESTED):
        raise ValidationError({"status": _("Targets can be added to a draft batch only")})
    if found.status == BatchStatus.REQUESTED and not actor.has_permission(Perm.INSTRUCTION_ISSUE):
        raise PermissionDenied(_("A request sent to the centre is edited by the centre"))
    return found


def import_target_file(
    *, actor: Any, batch: InstructionBatch, path: Path, display_name: str | None = None, dry_run: bool = True
) -> TargetImportReport:
    """Check (``dry_run``) or import the targets of one file into a draft batch."""
    batch = check_editable(actor, batch)
    try:
        table = open_table(path, display_name=display_name)
    except TableError as exc:
        raise _refuse(str(exc)) from exc
    reader = _Reader(table, actor, get_category(batch.category))
    rows, ignored = reader.read()
    refs = [r.ref for r in rows if r.ref is not None]
    report = TargetImportReport(
        file_name=table.file_name,
        encoding=table.encoding,
        dry_run=dry_run,
        rows=len(rows),
        valid=len(refs),
        errors=sorted(reader.errors, key=lambda e: e.row),
        ignored_columns=ignored,
    )
    if dry_run or not refs:
        return report
    with transaction.atomic():
        report.added = issuing.add_targets(actor=actor, batch=batch, targets=refs)
        record(
            action=AuditAction.UPDATE,
            actor=actor,
            obj=batch,
            changes={"targets_imported": report.added, "file": table.file_name, "rows_rejected": report.rejected},
        )
    return report


def import_target_upload(
    *, actor: Any, batch: InstructionBatch, upload: UploadedFile, dry_run: bool = True
) -> TargetImportReport:
    """The same for an upload (page or API), spooled to a private temporary directory and removed."""
    name = Path(upload.name or "targets.csv").name
    if Path(name).suffix.lower() not in (".csv", ".txt", ".xlsx", ".xlsm"):
        raise _refuse(_("%(file)s: upload a CSV or Excel (.xlsx) file") % {"file": name})
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise _refuse(_("%(file)s is larger than %(mb)s MB") % {"file": name, "mb": MAX_UPLOAD_BYTES >> 20})
    spool = Path(settings.VAR_DIR) / "imports"
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=spool) as directory:
        path = Path(directory) / name
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        return import_target_file(actor=actor, batch=batch, path=path, display_name=name, dry_run=dry_run)
