"""Cutting a CSV file into blocks of whole records, so worker processes can decode and split them
(the importing process then only looks for line ends, instead of parsing every row itself).

A block is ``size`` records — exactly the rows of one import chunk (chunks are windows of file row
numbers, see ``reading.chunk_rows``), so a block run in a worker and the same rows read in-process
end up in the same transaction. A record is a line, which holds while no quoted field spans lines:
each block is checked (every line has an even number of ``"``, no bare carriage return), and from
the first block that fails the check on, the rest of the file is read the ordinary way, in-process.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from zhufang.registry.imports.reading import TableError, chunk_rows, records

#: bytes read from the file at a time
READ_BYTES = 4 << 20


@dataclass(frozen=True)
class RawBlock:
    """Whole CSV records as bytes, rows ``first_row`` … ``last_row`` of the file."""

    file_name: str
    encoding: str  # "utf-8" or "gb18030"
    first_row: int
    last_row: int
    data: bytes


def parse_block(block: RawBlock) -> list[tuple[int, list[str]]]:
    """The non-blank rows of a block, exactly as reading the file in-process gives them."""
    try:
        text = block.data.decode(block.encoding)
    except UnicodeDecodeError as exc:
        bad = _first_bad_line(block)
        raise TableError(
            _("%(file)s row %(row)d is not valid %(encoding)s text: %(error)s")
            % {"file": block.file_name, "row": bad, "encoding": block.encoding.upper(), "error": exc}
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    return list(records(reader, block.first_row - 1, name=block.file_name, encoding=block.encoding))


def _first_bad_line(block: RawBlock) -> int:
    for offset, line in enumerate(block.data.split(b"\n")):
        try:
            line.decode(block.encoding)
        except UnicodeDecodeError:
            return block.first_row + offset
    return block.first_row  # pragma: no cover - the whole failed, so one line does


def _whole_records(data: bytes) -> bool:
    """Every line of ``data`` is one record: no quoted field spans a line end, no bare CR."""
    if data.count(b"\r") != data.count(b"\r\n"):
        return False
    if b'"' not in data:
        return True
    return all(not line.count(b'"') & 1 for line in data.split(b"\n"))


def blocks(path: Path, *, name: str, encoding: str, size: int) -> Iterator[RawBlock | list[tuple[int, list[str]]]]:
    """The file after its header as blocks of ``size`` records (the last may be shorter); from a block
    whose lines are not whole records on, lists of rows read in-process instead (see the module
    docstring). Decoding errors surface where a block is parsed, as ``TableError``."""
    codec = "utf-8" if encoding == "utf-8" else encoding  # the BOM is skipped below
    with path.open("rb") as raw:
        buffer = raw.read(READ_BYTES)
        start = len(codecs.BOM_UTF8) if encoding == "utf-8" and buffer.startswith(codecs.BOM_UTF8) else 0
        header_end = buffer.find(b"\n", start)
        if header_end < 0 or not _whole_records(buffer[start : header_end + 1]):
            raw.seek(0)  # an odd header: read everything in-process
            text = io.TextIOWrapper(raw, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="")
            reader = csv.reader(text)
            next(reader, None)
            yield from chunk_rows(records(reader, 1, name=name, encoding=encoding), size)
            return
        consumed = header_end + 1  # file offset of buffer[0] after the cut below
        buffer = buffer[header_end + 1 :]
        number = 1  # the header row
        eof = False
        while True:
            position, count = 0, 0
            while count < size:
                end = buffer.find(b"\n", position)
                if end >= 0:
                    position, count = end + 1, count + 1
                    continue
                more = b"" if eof else raw.read(READ_BYTES)
                if more:
                    buffer += more
                    continue
                eof = True
                if position < len(buffer):  # a last record without a line end
                    position, count = len(buffer), count + 1
                break
            if count == 0:
                return
            data = buffer[:position]
            if not _whole_records(data):
                raw.seek(consumed)
                text = io.TextIOWrapper(raw, encoding=codec, newline="")
                yield from chunk_rows(records(csv.reader(text), number, name=name, encoding=encoding), size)
                return
            yield RawBlock(file_name=name, encoding=codec, first_row=number + 1, last_row=number + count, data=data)
            number += count
            consumed += position
            buffer = buffer[position:]
