"""API for a draft batch's target file import (dry run, then import) and an item's target history
(mounted under /api/v1/instructions). Map-picked locations use ``POST /batches/{id}/targets`` with
``{"kind": "location", "lon": …, "lat": …, "label": …}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router
from ninja.errors import HttpError
from ninja.files import UploadedFile

from zhufang.accounts.scope import get_visible_or_none
from zhufang.api import principal_of
from zhufang.instructions.models import InstructionBatch
from zhufang.instructions.target_history import target_history_of
from zhufang.instructions.target_import import import_target_upload

router = Router(tags=["instructions"])


@router.post("/batches/{int:batch_id}/target-imports", response=dict[str, Any])
def batch_target_import(
    request: HttpRequest, batch_id: int, file: File[UploadedFile], dry_run: Form[bool] = True
) -> Any:
    """Check (``dry_run``, the default) or import a CSV/Excel file of targets into a draft batch. The
    report lists every bad row with its file, row and field; importing adds the valid rows, all or none."""
    principal = principal_of(request)
    batch = get_visible_or_none(principal, InstructionBatch.objects.all(), pk=batch_id)
    if batch is None:
        raise HttpError(404, "batch not found")
    return import_target_upload(actor=principal, batch=batch, upload=file, dry_run=dry_run).as_dict()


@router.get("/items/{int:item_id}/target-history", response=dict[str, Any])
def item_target_history(request: HttpRequest, item_id: int) -> Any:
    """Earlier instruction items on the item's target and the inspections of that house or establishment."""
    history = target_history_of(principal_of(request), item_id)
    if history is None:
        raise HttpError(404, "item not found")
    return history.as_dict()
