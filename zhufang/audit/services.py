"""Writing the audit trail. Services call these themselves (no signals: they do not fire for
``bulk_create`` or ``update()``); bulk services write their audit rows in bulk with ``record_many``."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from zhufang.audit.context import current_context
from zhufang.audit.models import AuditAction, AuditEntry


@dataclass
class AuditDraft:
    """One audit row to be written (used by bulk services)."""

    action: str
    object_type: str = ""
    object_id: str = ""
    object_label: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    instruction_item_id: int | None = None


def object_type_of(obj: models.Model | type[models.Model]) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def jsonable(value: Any) -> Any:
    """Values as they are kept in the audit JSON (dates as ISO text, model instances as pk)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of ``obj`` for a before/after diff (FKs by id, never decrypted secrets)."""
    result: dict[str, Any] = {}
    for name in fields:
        f = obj._meta.get_field(name)
        attname = getattr(f, "attname", name)
        result[name] = jsonable(getattr(obj, attname))
    return result


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{"field": [old, new]}`` for every field whose value changed."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_label": "", "actor_unit_id": None}
    if getattr(actor, "police_number", None) is not None:
        return {
            "actor": actor if actor.pk else None,
            "actor_label": f"{actor.police_number} {actor.name}"[:80],
            "actor_unit_id": actor.unit_id,
        }
    # an API token acting as an integration
    return {"actor": None, "actor_label": f"token:{actor}"[:80], "actor_unit_id": actor.unit_id}


def record(
    *,
    action: str,
    actor: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    instruction_item_id: int | None = None,
) -> AuditEntry:
    """Write one audit row in the caller's transaction."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:200]
    ctx = current_context()
    return AuditEntry.objects.create(
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:200],
        changes=jsonable(dict(changes or {})),
        reason=reason,
        instruction_item_id=instruction_item_id,
        ip=ctx.ip,
        request_id=ctx.request_id,
        **_actor_fields(actor),
    )


def record_many(drafts: Iterable[AuditDraft], *, actor: Any = None, batch_size: int = 2000) -> int:
    """Write many audit rows with one bulk insert per batch (for bulk services)."""
    ctx = current_context()
    who = _actor_fields(actor)
    rows = [
        AuditEntry(
            action=d.action,
            object_type=d.object_type,
            object_id=d.object_id,
            object_label=d.object_label[:200],
            changes=jsonable(d.changes),
            reason=d.reason,
            instruction_item_id=d.instruction_item_id,
            ip=ctx.ip,
            request_id=ctx.request_id,
            **who,
        )
        for d in drafts
    ]
    AuditEntry.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)
