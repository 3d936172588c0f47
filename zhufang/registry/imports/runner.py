"""Running an import: read, map columns, validate, match addresses, upsert chunk by chunk.

* Dry run: everything but the writes; the report lists every bad row and field in Chinese.
* Real run: valid rows are stored, rejected ones listed; one transaction per chunk, and the run
  records the last committed row, so an interrupted import damages nothing and re-running resumes
  (and re-running a finished file changes nothing: rows are compared by plaintext or blind index).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from zhufang.accounts.permissions import Perm
from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.registry.address_index import current_index
from zhufang.registry.imports.addresses import upsert_addresses, validate_address_row
from zhufang.registry.imports.columns import ColumnMap, header_of, map_columns
from zhufang.registry.imports.errors import RowError
from zhufang.registry.imports.establishments import upsert_establishments, validate_establishment_row
from zhufang.registry.imports.houses import upsert_houses, validate_house_row
from zhufang.registry.imports.parallel import ChunkResult, ChunkWork, chunk_results, worker_count
from zhufang.registry.imports.people import prepare_people, upsert_people, validate_person_row
from zhufang.registry.imports.reading import Table, TableError, open_table
from zhufang.registry.models import ImportRun
from zhufang.sql_writes import bulk_write_session

CHUNK_SIZE = 5000
MAX_REPORTED_ERRORS = 5000


class ImportRefused(ValueError):
    """The file cannot be imported as a whole (unreadable, missing or unknown columns)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages


@dataclass
class ImportReport:
    run: ImportRun
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        r = self.run
        verb = "检查" if r.dry_run else "导入"
        return (
            f"{r.file_name}（{r.encoding}）{verb}完成：共{r.total_rows}行，新增{r.created}，更新{r.updated}，"
            f"未变{r.unchanged}，拒绝{r.rejected}，地址待核{r.review}"
            + (f"；已删除列：{'、'.join(r.dropped_columns)}" if r.dropped_columns else "")
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_columns(kind: str, table: Table, columns: ColumnMap, *, ignore_unknown: bool) -> None:
    problems = []
    if columns.missing:
        problems.append(f"{table.file_name} 缺少必填列：{'、'.join(header_of(kind, m) for m in columns.missing)}")
    if columns.unknown and not ignore_unknown:
        problems.append(
            f"{table.file_name} 含无法识别的列：{'、'.join(columns.unknown)}（请在列映射中指定，或选择忽略未知列）"
        )
    if problems:
        raise ImportRefused(problems)


@dataclass(frozen=True)
class ImportKind:
    """What differs between imports of addresses, people, houses, establishments."""

    name: str
    validate: Callable[..., tuple[Any, list[RowError]]]
    upsert: Callable[..., list[RowError]]
    needs_address_index: bool = True
    #: optional: ``prepare(valid_items, index=…) -> items``, more CPU-bound work on a chunk's valid rows
    #: that needs no database (people: match addresses, encrypt); runs where ``validate`` runs
    prepare: Callable[..., list[Any]] | None = None
    #: ``validate`` and ``prepare`` touch no database and no shared state: large files may run them in
    #: worker processes (see ``parallel``)
    parallel: bool = False
    #: rows per chunk (one transaction each) when the caller gives none; None: ``CHUNK_SIZE``
    chunk_size: int | None = None


def import_people(path: Path, **options: Any) -> ImportReport:
    # larger chunks: each commit rewrites the blind-index pages its rows touched, wherever they are
    kind = ImportKind(
        "people", validate_person_row, upsert_people, prepare=prepare_people, parallel=True, chunk_size=50_000
    )
    return run_import(kind, path, **options)


def import_addresses(path: Path, **options: Any) -> ImportReport:
    kind = ImportKind("addresses", validate_address_row, upsert_addresses, needs_address_index=False)
    return run_import(kind, path, **options)


def import_houses(path: Path, **options: Any) -> ImportReport:
    # matched by address code; the house upsert builds the address index only for rows without one
    kind = ImportKind("houses", validate_house_row, upsert_houses, needs_address_index=False)
    return run_import(kind, path, **options)


def import_establishments(path: Path, **options: Any) -> ImportReport:
    kind = ImportKind("establishments", validate_establishment_row, upsert_establishments)
    return run_import(kind, path, **options)


def run_import(
    kind: ImportKind,
    path: Path,
    *,
    actor: Any,
    dry_run: bool = True,
    display_name: str | None = None,
    ignore_unknown: bool = False,
    custom_columns: dict[str, str] | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import one table. Raises ``ImportRefused`` when the file as a whole cannot be read.

    ``workers``: processes validating chunks for a kind that allows it (None: as configured, and only
    for a large file; 1: in-process; see ``parallel``)."""
    if not actor.has_permission(Perm.REGISTRY_IMPORT):
        raise PermissionDenied("没有导入登记数据的权限")
    try:
        table = open_table(path, display_name=display_name)
    except TableError as exc:
        raise ImportRefused([str(exc)]) from exc
    columns = map_columns(kind.name, table.header, custom_columns)
    _check_columns(kind.name, table, columns, ignore_unknown=ignore_unknown)
    sha = file_sha256(path)
    resume_after = 0
    if not dry_run:
        previous = (
            ImportRun.objects.filter(kind=kind.name, file_sha256=sha, dry_run=False)
            .exclude(status=ImportRun.Status.DONE)
            .order_by("-id")
            .first()
        )
        resume_after = previous.last_committed_row if previous else 0
    run = ImportRun.objects.create(
        kind=kind.name,
        file_name=table.file_name,
        file_sha256=sha,
        encoding=table.encoding,
        dry_run=dry_run,
        dropped_columns=columns.dropped,
        actor=actor if getattr(actor, "police_number", None) else None,
        owner_unit_id=actor.principal_unit.pk,
        last_committed_row=resume_after,
    )
    report = ImportReport(run=run)
    index = current_index() if kind.needs_address_index else None
    today = timezone.localdate()
    work = ChunkWork(kind=kind, columns=columns, today=today, resume_after=resume_after, index=index)
    processes = worker_count(workers, path.stat().st_size) if kind.parallel else 0
    try:
        with (
            bulk_write_session(),
            chunk_results(
                work, table.chunks(chunk_size or kind.chunk_size or CHUNK_SIZE, raw=processes > 0), workers=processes
            ) as results,
        ):
            for result in results:
                _write_chunk(result, kind, run=run, report=report, index=index, actor=actor, dry_run=dry_run)
    except TableError as exc:
        run.status = ImportRun.Status.FAILED
        report.errors.append(RowError(run.last_committed_row + 1, "", "", str(exc)))
    else:
        run.status = ImportRun.Status.DONE
    run.errors = [e.as_dict() for e in report.errors[:MAX_REPORTED_ERRORS]]
    run.finished_at = timezone.now()
    run.save()
    if not dry_run:
        record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=run,
            reason="registry import",
            changes={
                "created": run.created,
                "updated": run.updated,
                "rejected": run.rejected,
                "dropped_columns": run.dropped_columns,
            },
        )
    return report


def _write_chunk(
    result: ChunkResult,
    kind: ImportKind,
    *,
    run: ImportRun,
    report: ImportReport,
    index: Any,
    actor: Any,
    dry_run: bool,
) -> None:
    """Store one validated chunk (its own transaction, in the upsert) and record how far the run got."""
    run.total_rows += result.rows
    run.rejected += result.rejected
    room = MAX_REPORTED_ERRORS - len(report.errors)
    if room > 0:
        report.errors.extend(result.errors[:room] if len(result.errors) > room else result.errors)
    if result.items:
        report.errors.extend(kind.upsert(result.items, run=run, index=index, actor=actor, dry_run=dry_run))
    run.last_committed_row = result.last_row
    # after every chunk, dry run included: the progress page of a background import reads these counts
    ImportRun.objects.filter(pk=run.pk).update(
        last_committed_row=run.last_committed_row,
        total_rows=run.total_rows,
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        rejected=run.rejected,
        review=run.review,
    )
