"""One audit row per kind of change per committed chunk of an import (not one per row): the row range,
how many rows were created, and the before → after of every updated record (secrets shown as "…")."""

from __future__ import annotations

from typing import Any

from zhufang.audit.models import AuditAction
from zhufang.audit.services import AuditDraft, record_many
from zhufang.registry.models import ImportRun


def audit_chunk(
    *,
    run: ImportRun,
    first_row: int,
    last_row: int,
    object_type: str,
    created: int,
    diffs: dict[str, Any],
    actor: Any,
) -> None:
    """Write the chunk's audit rows in the caller's transaction (nothing when nothing changed)."""
    span = f"import:{run.pk}:{first_row}-{last_row}"
    drafts = []
    if created:
        drafts.append(
            AuditDraft(
                action=AuditAction.CREATE,
                object_type=object_type,
                object_id=span,
                object_label=run.file_name,
                changes={"rows": created},
                reason="registry import",
            )
        )
    if diffs:
        drafts.append(
            AuditDraft(
                action=AuditAction.UPDATE,
                object_type=object_type,
                object_id=span,
                object_label=run.file_name,
                changes=diffs,
                reason="registry import",
            )
        )
    record_many(drafts, actor=actor)
