"""Large imports run as a background job (后台导入) so the page answers at once and shows progress:
the upload is spooled under var/imports/<token>/, the job runs the same importer, and the progress
page reads the import run's committed row counter (updated after every chunk) until the job is done.
Small files still run inline, so a dry run of a short file answers in the same request."""

from __future__ import annotations

import hashlib
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from zhufang.accounts.models import User
from zhufang.jobs.models import JobRun, JobStatus
from zhufang.jobs.registry import job
from zhufang.jobs.runner import enqueue
from zhufang.registry.imports.runner import ImportRefused
from zhufang.registry.imports.uploads import IMPORTERS
from zhufang.registry.models import ImportRun

JOB = "registry.import"
#: files up to this size are imported inline, in the request
INLINE_BYTES = 2 * 1024 * 1024


def inline_limit() -> int:
    return int(getattr(settings, "ZHUFANG_IMPORT_INLINE_BYTES", INLINE_BYTES))


@dataclass(frozen=True)
class Progress:
    """What the progress page shows for one background import."""

    token: str
    status: str  # queued / running / done / failed
    run: ImportRun | None
    refused: list[str]
    error: str

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


def _spool(token: str) -> Path:
    return Path(settings.VAR_DIR) / "imports" / token


def start_import(kind: str, upload: UploadedFile, *, actor: User, dry_run: bool, ignore_unknown: bool) -> str:
    """Spool the upload and queue its import; returns the token of the progress page."""
    if kind not in IMPORTERS:
        raise KeyError(kind)
    token = secrets.token_urlsafe(16)
    directory = _spool(token)
    directory.mkdir(parents=True)
    path = directory / Path(upload.name or "upload.csv").name
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            digest.update(chunk)
            handle.write(chunk)
    enqueue(
        JOB,
        args={
            "token": token,
            "kind": kind,
            "path": str(path),
            "sha256": digest.hexdigest(),
            "actor_id": actor.pk,
            "dry_run": dry_run,
            "ignore_unknown": ignore_unknown,
            "display_name": upload.name or path.name,
        },
    )
    return token


@job(JOB)
def run_background_import(
    *,
    token: str,
    kind: str,
    path: str,
    sha256: str,
    actor_id: int,
    dry_run: bool,
    ignore_unknown: bool,
    display_name: str,
) -> dict[str, Any]:
    """The job: the same importer as inline; the spooled file is removed afterwards, whatever happens."""
    actor = User.objects.select_related("unit").get(pk=actor_id)
    try:
        report = IMPORTERS[kind](
            Path(path), actor=actor, dry_run=dry_run, display_name=display_name, ignore_unknown=ignore_unknown
        )
    except ImportRefused as exc:
        return {"token": token, "refused": exc.messages}
    finally:
        shutil.rmtree(_spool(token), ignore_errors=True)
    return {"token": token, "run_id": report.run.pk}


def progress(actor: User, token: str) -> Progress | None:
    """The state of the actor's own background import ``token`` (None: no such import of theirs)."""
    found = JobRun.objects.filter(name=JOB, args__token=token, args__actor_id=actor.pk).order_by("-id").first()
    if found is None:
        return None
    result = found.result if isinstance(found.result, dict) else {}
    runs = ImportRun.objects.visible_to(actor)
    if result.get("run_id"):
        run = runs.filter(pk=result["run_id"]).first()
    else:  # still running: the newest run of this file by this user since the job was queued
        run = (
            runs.filter(actor=actor, file_sha256=found.args.get("sha256"), started_at__gte=found.enqueued_at)
            .order_by("-id")
            .first()
        )
    return Progress(
        token=token,
        status=found.status,
        run=run,
        refused=list(result.get("refused", [])),
        error="导入任务失败，请联系系统管理员查看任务日志" if found.status == JobStatus.FAILED else "",
    )
