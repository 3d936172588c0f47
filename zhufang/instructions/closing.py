"""Closing batches (办结): the centre closes a batch once its items are approved or cancelled; a
periodic rule closes batches that have been complete for a configurable number of days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from zhufang.accounts.permissions import Perm
from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.instructions.issuing import locked_batch
from zhufang.instructions.models import BatchStatus, InstructionBatch, InstructionItem, ItemStatus
from zhufang.instructions.transitions import TERMINAL, cancel, close_items


@transaction.atomic
def close_batch(
    *, actor: Any, batch: InstructionBatch, cancel_open_reason: str = "", now: dt.datetime | None = None
) -> InstructionBatch:
    """Close a batch. Items still open refuse the close unless a reason to cancel them is given. An
    item merged into several batches is closed with the first of them; the others count it as done."""
    if not actor.has_permission(Perm.INSTRUCTION_ISSUE):
        raise PermissionDenied("只有基础管控中心可以办结批次")
    found = locked_batch(actor, batch.pk)
    if found.status != BatchStatus.ISSUED:
        raise ValidationError({"status": f"批次状态为“{found.get_status_display()}”，不能办结"})
    now = now or timezone.now()
    items = InstructionItem.objects.filter(memberships__batch=found)
    still_open = list(items.exclude(status__in=TERMINAL).values_list("pk", flat=True))
    if still_open:
        if not cancel_open_reason.strip():
            raise ValidationError({"items": f"还有{len(still_open)}条指令未办结；如要强制办结，请填写撤销原因"})
        cancel(actor=actor, item_ids=still_open, reason=cancel_open_reason)
    closed = close_items(actor, items, now)
    InstructionBatch.objects.filter(pk=found.pk).update(status=BatchStatus.CLOSED, closed_at=now)
    found.status, found.closed_at = BatchStatus.CLOSED, now
    record(
        action=AuditAction.UPDATE,
        actor=actor,
        obj=found,
        changes={"status": ["issued", "closed"], "closed_items": closed, "cancelled_items": len(still_open)},
        reason=cancel_open_reason,
    )
    return found


def auto_close_complete_batches(now: dt.datetime | None = None) -> int:
    """Close issued batches whose every item has been approved or cancelled for
    ``ZHUFANG_INSTRUCTION_AUTO_CLOSE_DAYS`` days (default 3; 0 turns the rule off)."""
    days = int(getattr(settings, "ZHUFANG_INSTRUCTION_AUTO_CLOSE_DAYS", 3))
    if days <= 0:
        return 0
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    candidates = InstructionBatch.objects.filter(status=BatchStatus.ISSUED, issued_at__lt=cutoff)
    unfinished = InstructionItem.objects.exclude(status__in=TERMINAL).values("memberships__batch_id")
    recent = InstructionItem.objects.filter(status=ItemStatus.APPROVED, reviewed_at__gte=cutoff).values(
        "memberships__batch_id"
    )
    ready = list(candidates.exclude(pk__in=unfinished).exclude(pk__in=recent).values_list("pk", flat=True))
    if not ready:
        return 0
    with transaction.atomic():
        InstructionItem.objects.filter(memberships__batch_id__in=ready, status=ItemStatus.APPROVED).update(
            status=ItemStatus.CLOSED, closed_at=now
        )
        InstructionBatch.objects.filter(pk__in=ready).update(status=BatchStatus.CLOSED, closed_at=now)
        for batch_id in ready:
            record(
                action=AuditAction.UPDATE,
                object_type="instructions.instructionbatch",
                object_id=str(batch_id),
                changes={"status": ["issued", "closed"]},
                reason=f"auto-close: complete for {days} days",
            )
    return len(ready)
