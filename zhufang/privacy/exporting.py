"""Audited exports (数据导出): who may export (``data.export``), the stated reason, the audit row, and
the table formats a bureau PC opens — CSV in UTF-8 with BOM (what Excel expects), CSV in GBK for
older systems (written as GB 18030, byte-identical to GBK for every GBK character and never failing
on a rare name character), and Excel (.xlsx, written row by row). Every export of registry or
personnel data goes through ``authorise_export`` before and ``record_export`` after writing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from zhufang.accounts.permissions import Perm
from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.privacy.reveal import MIN_REASON_LENGTH

#: Excel's row limit (1,048,576) less the header row
XLSX_MAX_ROWS = 1_048_575
#: a text cell starting with one of these is a formula to Excel (CSV/formula injection): quoted
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class TableFormat:
    code: str
    extension: str
    content_type: str
    encoding: str = ""  # CSV only


FORMATS: dict[str, TableFormat] = {
    "csv": TableFormat("csv", "csv", "text/csv; charset=utf-8", "utf-8-sig"),
    "csv_gbk": TableFormat("csv_gbk", "csv", "text/csv; charset=gbk", "gb18030"),
    "xlsx": TableFormat("xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def authorise_export(principal: Any, reason: str) -> str:
    """The stripped reason, or ``PermissionDenied`` (no ``data.export``) / ``ValidationError``
    (reason missing or shorter than ``MIN_REASON_LENGTH``)."""
    if not principal.has_permission(Perm.DATA_EXPORT):
        raise PermissionDenied(_("You do not have the permission to export data"))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {"reason": _("State the reason for exporting (at least %(n)d characters)") % {"n": MIN_REASON_LENGTH}}
        )
    return reason


def record_export(principal: Any, *, object_type: str, reason: str, rows: int, filters: dict[str, Any]) -> None:
    """The audit row of one export: who, what kind, how many rows, which filters, why."""
    record(
        action=AuditAction.EXPORT,
        actor=principal,
        object_type=object_type,
        reason=reason,
        changes={"rows": rows, "filters": filters},
    )


def table_format(code: str) -> TableFormat:
    try:
        return FORMATS[code]
    except KeyError:
        raise ValidationError({"format": _("Unknown export format: %(code)s") % {"code": code}}) from None


def safe_cell(value: Any) -> Any:
    """Text that Excel would run as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_table(handle: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]], fmt: TableFormat) -> int:
    """Write ``header`` and ``rows`` to the binary ``handle`` in ``fmt``; returns the number of rows."""
    if fmt.code == "xlsx":
        return _write_xlsx(handle, header, rows)
    text = io.TextIOWrapper(handle, encoding=fmt.encoding, errors="strict", newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        count += 1
    text.flush()
    text.detach()
    return count


def _write_xlsx(handle: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([safe_cell(h) for h in header])
    count = 0
    for row in rows:
        count += 1
        if count > XLSX_MAX_ROWS:
            raise ValidationError(
                {"format": _("Too many rows for one Excel sheet (%(n)d at most): export CSV") % {"n": XLSX_MAX_ROWS}}
            )
        sheet.append([safe_cell(v) for v in row])
    workbook.save(handle)
    return count
