"""Reading the audit trail with filters (used by the page and the API alike)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from zhufang.audit.models import AuditEntry


def filter_entries(
    *,
    action: str | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: dt.datetime | dt.date | None = None,
    until: dt.datetime | dt.date | None = None,
    ip: str | None = None,
    before_id: int | None = None,
) -> QuerySet[AuditEntry]:
    rows = AuditEntry.objects.all().order_by("-id")
    if action:
        rows = rows.filter(action=action)
    if actor:
        rows = rows.filter(Q(actor_label__startswith=actor) | Q(actor_label__contains=f" {actor}"))
    if object_type:
        rows = rows.filter(object_type=object_type)
    if object_id:
        rows = rows.filter(object_id=object_id)
    if since:
        rows = rows.filter(at__gte=since)
    if until:
        rows = rows.filter(at__lt=until)
    if ip:
        rows = rows.filter(ip=ip)
    if before_id:
        rows = rows.filter(id__lt=before_id)
    return rows
