"""Editing a batch before it is issued (审核修改): the centre reviews a department's request — title,
requirements, deadline, targets — and a department edits its own draft. Issued batches are not edited:
their items are already at the stations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.instructions.issuing import editable_batch
from zhufang.instructions.models import InstructionBatch

EDITABLE = ("title", "requirements", "deadline")


@transaction.atomic
def update_batch(
    *,
    actor: Any,
    batch: InstructionBatch,
    title: str | None = None,
    requirements: str | None = None,
    deadline: dt.datetime | None = None,
    clear_deadline: bool = False,
    remove_targets: Sequence[int] = (),
) -> InstructionBatch:
    """Change what is given and drop the targets listed (membership ids); audited with before → after."""
    found = editable_batch(actor, batch)
    before = {name: getattr(found, name) for name in EDITABLE}
    errors: dict[str, str] = {}
    if title is not None:
        if not title.strip():
            errors["title"] = "标题不能为空"
        found.title = title.strip()[:200]
    if requirements is not None:
        found.requirements = requirements
    if clear_deadline:
        found.deadline = None
    elif deadline is not None:
        if deadline <= timezone.now():
            errors["deadline"] = "截止时间不能早于当前时间"
        found.deadline = deadline
    if errors:
        raise ValidationError(errors)
    removed = 0
    if remove_targets:
        removed, _ = found.memberships.filter(pk__in=list(remove_targets), item__isnull=True).delete()
    found.save(update_fields=list(EDITABLE))
    changes: dict[str, Any] = {k: [before[k], getattr(found, k)] for k in EDITABLE if before[k] != getattr(found, k)}
    if removed:
        changes["targets_removed"] = removed
    if changes:
        record(action=AuditAction.UPDATE, actor=actor, obj=found, changes=changes)
    return found
