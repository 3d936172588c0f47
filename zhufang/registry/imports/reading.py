"""Reading an uploaded table: CSV in UTF-8 (with or without BOM) or GBK/GB18030, or Excel .xlsx.
Every failure names the file (and the row where there is one)."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

SNIFF_BYTES = 1 << 20


class TableError(ValueError):
    """The file as a whole cannot be read."""


Row = tuple[int, list[str]]  # (row number as the user sees it: header is row 1, cells)


@dataclass
class Table:
    file_name: str
    encoding: str  # "utf-8", "gb18030" or "xlsx"
    header: list[str]
    rows: Iterator[Row]
    #: CSV only: ``raw_blocks(size)`` gives the rows after the header as ``csv_blocks.RawBlock`` (bytes
    #: a worker process decodes) instead of through ``rows`` — use one or the other
    raw_blocks: Callable[[int], Iterator[Any]] | None = None

    def chunks(self, size: int, *, raw: bool = False) -> Iterator[Any]:
        """The rows in chunks of ``size`` row numbers (see ``chunk_rows``); with ``raw`` and a CSV file,
        as raw blocks of the same rows where the file allows it."""
        if raw and self.raw_blocks is not None:
            return self.raw_blocks(size)
        return chunk_rows(self.rows, size)


def chunk_rows(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    """Rows grouped by windows of ``size`` file rows (rows 2 … size+1, then size+2 …): blank rows, which
    are skipped, do not move the boundaries, so the same rows share a chunk however they were read."""
    chunk: list[Row] = []
    window = 0
    for row in rows:
        current = (row[0] - 2) // size
        if current != window and chunk:
            yield chunk
            chunk = []
        window = current
        chunk.append(row)
    if chunk:
        yield chunk


def records(reader: Iterator[list[str]], number: int, *, name: str, encoding: str) -> Iterator[Row]:
    """(row number, stripped cells) of every non-blank record; ``number`` is the row before the first."""
    try:
        for cells in reader:
            number += 1
            cleaned = [c.strip() for c in cells]  # the csv module gives str cells, never None
            if any(cleaned):
                yield number, cleaned
    except UnicodeDecodeError as exc:
        raise TableError(
            _("%(file)s row %(row)d is not valid %(encoding)s text: %(error)s")
            % {"file": name, "row": number + 1, "encoding": encoding.upper(), "error": exc}
        ) from exc
    except csv.Error as exc:
        raise TableError(_("%(file)s row %(row)d: %(error)s") % {"file": name, "row": number, "error": exc}) from exc


def detect_encoding(head: bytes) -> str:
    """UTF-8 if the first megabyte decodes as UTF-8 (a character cut at the end is fine), else
    GB18030 (a superset of GBK and GB2312, which is what Excel on a Chinese PC writes)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def open_table(path: Path, *, display_name: str | None = None) -> Table:
    name = display_name or path.name
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _open_xlsx(path, name)
    with path.open("rb") as raw:
        head = raw.read(SNIFF_BYTES)
    encoding = detect_encoding(head)
    return _open_csv(path, name, encoding)


def _clean(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _open_csv(path: Path, name: str, encoding: str) -> Table:
    handle = path.open("r", encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="")
    reader = csv.reader(handle)
    try:
        header = [_clean(h) for h in next(reader)]
    except StopIteration:
        handle.close()
        raise TableError(_("%(file)s is empty") % {"file": name}) from None
    except UnicodeDecodeError as exc:
        handle.close()
        raise TableError(_("%(file)s is neither UTF-8 nor GBK text: %(error)s") % {"file": name, "error": exc}) from exc

    def rows() -> Iterator[Row]:
        try:
            yield from records(reader, 1, name=name, encoding=encoding)
        finally:
            handle.close()

    def raw_blocks(size: int) -> Iterator[Any]:
        from zhufang.registry.imports.csv_blocks import blocks  # it builds on this module

        handle.close()  # the rows are read from the bytes instead
        return blocks(path, name=name, encoding=encoding, size=size)

    return Table(file_name=name, encoding=encoding, header=header, rows=rows(), raw_blocks=raw_blocks)


def _open_xlsx(path: Path, name: str) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(
            _("%(file)s is not a readable Excel workbook (truncated or damaged?): %(error)s")
            % {"file": name, "error": exc}
        ) from exc
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = [_clean(h) for h in next(iterator)]
    except StopIteration:
        raise TableError(_("%(file)s is empty") % {"file": name}) from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError(_("%(file)s is damaged: %(error)s") % {"file": name, "error": exc}) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for values in iterator:
                number += 1
                cells = [_excel_cell(v) for v in values]
                if any(cells):
                    yield number, cells
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise TableError(
                _("%(file)s is damaged after row %(row)d: %(error)s") % {"file": name, "row": number, "error": exc}
            ) from exc
        finally:
            workbook.close()

    return Table(file_name=name, encoding="xlsx", header=header, rows=rows())


def _excel_cell(value: object) -> str:
    """Excel stores long digit strings as numbers and dates as datetimes: give them back as text."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def table_from_bytes(data: bytes, file_name: str, directory: Path) -> Table:
    """Spool an upload to disk (imports of a million rows do not fit comfortably in memory twice)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / Path(file_name).name
    target.write_bytes(data)
    return open_table(target, display_name=file_name)


__all__ = ["Table", "TableError", "detect_encoding", "open_table", "table_from_bytes"]
