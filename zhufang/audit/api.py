"""Audit API (audit administrator only): browse and verify the trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from zhufang.accounts.permissions import Perm
from zhufang.api import principal_of
from zhufang.audit.models import AuditAction
from zhufang.audit.queries import filter_entries
from zhufang.audit.sealing import verify_chain
from zhufang.audit.services import record

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor_label: str
    ip: str | None
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: dict[str, Any]
    reason: str
    instruction_item_id: int | None
    sealed: bool


@router.get("/entries", response=list[AuditEntryOut])
def entries(
    request: HttpRequest,
    action: str | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    ip: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> Any:
    principal = principal_of(request)
    if not principal.has_permission(Perm.AUDIT_READ):
        raise HttpError(403, "permission audit.read required")
    record(
        action=AuditAction.VIEW,
        actor=principal,
        object_type="audit.auditentry",
        changes={"filters": {k: v for k, v in request.GET.items() if v}},
    )
    rows = filter_entries(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
        ip=ip,
        before_id=before_id,
    )[: min(limit, 1000)]
    return [
        {**{f: getattr(r, f) for f in AuditEntryOut.model_fields if f != "sealed"}, "sealed": r.seal is not None}
        for r in rows
    ]


@router.post("/verify", response=dict[str, Any])
def verify(request: HttpRequest) -> Any:
    principal = principal_of(request)
    if not principal.has_permission(Perm.AUDIT_VERIFY):
        raise HttpError(403, "permission audit.verify required")
    report = verify_chain()
    record(
        action=AuditAction.VERIFY,
        actor=principal,
        object_type="audit.auditentry",
        changes={"ok": report.ok, "checked": report.checked, "first_bad_id": report.first_bad_id},
    )
    return {
        "ok": report.ok,
        "checked": report.checked,
        "unsealed_tail": report.unsealed_tail,
        "first_bad_id": report.first_bad_id,
        "problems": report.problems,
    }
