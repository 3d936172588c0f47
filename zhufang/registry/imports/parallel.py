"""Spreading the CPU-bound part of an import over processes (并行校验).

Validation, blind indexes, address matching and encryption need no database: for a large file, worker
processes do them chunk by chunk while the importing process reads the file and writes each finished
chunk in its own transaction, in file order. The results are the same as in-process (chunks come back
in order; nothing in a worker depends on another chunk), so "one transaction per chunk", resume after
an interruption and dry runs behave exactly as without workers.

Workers are forked (on Linux): they inherit the address matcher and the keys instead of rebuilding
them, and they never touch the database connection they inherit. Without ``fork`` (macOS, Windows), in
a daemonic process (which may not have children), for one worker, or for a small file (a pool costs
more than it saves), everything runs in-process — and, unless the caller asks for workers explicitly,
also in a process running other threads (a threaded web server: a thread holding a lock at the fork
would leave the lock held forever in the worker). The background job worker and gunicorn's sync
workers are single-threaded: there large uploads use the workers.

Worker count: ``workers=`` of ``run_import``, else the setting ``ZHUFANG_IMPORT_WORKERS``, else the
environment variable of the same name, else the cores this process may run on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from zhufang.registry.imports.columns import ColumnMap
from zhufang.registry.imports.csv_blocks import RawBlock, parse_block
from zhufang.registry.imports.errors import RowError
from zhufang.registry.imports.reading import Row

#: what validation takes: rows, or a raw block of CSV records
Chunk = list[Row] | RawBlock

#: below this file size "auto" stays in-process (≈ 7,000 people rows)
PARALLEL_MIN_BYTES = 1 << 20
#: chunks handed out beyond one per worker, so no worker waits while the writer stores a chunk (bounded:
#: a million-row file is never all in memory)
AHEAD_EXTRA = 1


@dataclass
class ChunkResult:
    """What validating one chunk gives the writer."""

    last_row: int  # file row number of the chunk's last row
    rows: int  # rows in the chunk (resumed-over rows included)
    items: list[Any] = field(default_factory=list)  # valid rows, ready to upsert
    errors: list[RowError] = field(default_factory=list)  # the rejected rows' errors
    rejected: int = 0

    def __getstate__(self) -> dict[str, Any]:
        # items of a class with ``pack``/``unpack`` travel packed (see PersonRow.pack)
        state = dict(self.__dict__)
        items = state["items"]
        if items and hasattr(type(items[0]), "pack"):
            state["items"] = (type(items[0]), type(items[0]).pack(items))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state["items"], tuple):
            cls, packed = state["items"]
            state["items"] = cls.unpack(packed)
        self.__dict__.update(state)


@dataclass(frozen=True)
class ChunkWork:
    """Everything a chunk's validation needs besides its rows (inherited by forked workers)."""

    kind: Any  # runner.ImportKind
    columns: ColumnMap
    today: dt.date
    resume_after: int
    index: Any  # AddressIndex or None


def validate_chunk(work: ChunkWork, chunk: Chunk) -> ChunkResult:
    """Validate (and, for kinds that have one, prepare) one chunk — rows, or a raw block of a CSV file
    to split first; rows up to ``resume_after`` were committed by an earlier run and are skipped."""
    if isinstance(chunk, RawBlock):
        last_row, chunk = chunk.last_row, parse_block(chunk)
    else:
        last_row = chunk[-1][0]
    result = ChunkResult(last_row=last_row, rows=len(chunk))
    validate, columns, today, resume_after = work.kind.validate, work.columns, work.today, work.resume_after
    for number, cells in chunk:
        if number <= resume_after:
            continue
        item, errors = validate(number, cells, columns, today=today)
        if item is None:
            result.rejected += 1
            result.errors.extend(errors)
        else:
            result.items.append(item)
    if result.items and work.kind.prepare is not None:
        result.items = work.kind.prepare(result.items, index=work.index)
    return result


def configured_workers() -> int:
    """The worker count when the caller names none (see the module docstring)."""
    value = getattr(settings, "ZHUFANG_IMPORT_WORKERS", None) or os.environ.get("ZHUFANG_IMPORT_WORKERS")
    if value:
        return max(1, int(value))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_count(requested: int | None, file_bytes: int) -> int:
    """How many worker processes to use; 0 means in-process. An explicit ``requested`` ≥ 2 is honoured
    whatever the file size (tests use it on small files); ``None`` means "auto"."""
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return 0
    if requested is None:
        if file_bytes < PARALLEL_MIN_BYTES or threading.active_count() > 1:
            return 0  # small, or other threads might hold a lock a forked worker would wait for forever
        requested = configured_workers()
    return requested if requested >= 2 else 0


_work: ChunkWork | None = None


def _init_worker(work: ChunkWork) -> None:
    global _work
    _work = work


def _validate_in_worker(chunk: Chunk) -> ChunkResult:
    assert _work is not None, "worker not initialised"
    return validate_chunk(_work, chunk)


@contextlib.contextmanager
def chunk_results(work: ChunkWork, chunks: Iterable[Chunk], *, workers: int) -> Iterator[Iterator[ChunkResult]]:
    """The validated chunks, in file order: in-process for ``workers`` < 2, else from a pool of forked
    workers that is torn down when the block ends (normally or by an exception).

    The cyclic garbage collector stays out of the way meanwhile: what exists when the import starts
    (the address matcher: millions of objects for a county) is frozen — every collection would walk it
    again, and forked workers would copy the memory the walk touches — and automatic collections are
    off (they cost a tenth of the import walking each chunk's rows, which reference counting frees;
    the few cycles an import makes are collected when it ends)."""
    collecting = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        if workers < 2:
            yield (validate_chunk(work, chunk) for chunk in chunks)
            return
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(work,))
        try:
            yield _in_order(pool, chunks, ahead=workers + AHEAD_EXTRA)
            pool.close()
        finally:
            pool.terminate()
            pool.join()
    finally:
        gc.collect()  # this import's garbage only: the rest is frozen
        gc.unfreeze()
        if collecting:
            gc.enable()


def _in_order(pool: Any, chunks: Iterable[Chunk], *, ahead: int) -> Iterator[ChunkResult]:
    """Submit chunks while at most ``ahead`` wait; give results back in submission order. If reading
    the file fails, the chunks read before are still given back first, then the error is raised —
    as in-process, every chunk before the damage is stored."""
    pending: deque[Any] = deque()
    failure: Exception | None = None
    reading = iter(chunks)
    while True:
        try:
            chunk = next(reading)
        except StopIteration:
            break
        except Exception as exc:  # re-raised below, after the chunks read before it
            failure = exc
            break
        pending.append(pool.apply_async(_validate_in_worker, (chunk,)))
        if len(pending) >= ahead:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()
    if failure is not None:
        raise failure
