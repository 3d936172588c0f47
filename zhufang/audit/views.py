"""Audit pages (audit administrator): browse with filters, verify the seal chain."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.audit.models import AuditAction
from zhufang.audit.queries import filter_entries
from zhufang.audit.sealing import seal_pending, verify_chain
from zhufang.audit.services import record

PAGE = 100


def _auditor(request: HttpRequest, perm: str) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.has_permission(perm):
        raise PermissionDenied
    return user


@login_required
def entries(request: HttpRequest) -> HttpResponse:
    auditor = _auditor(request, Perm.AUDIT_READ)
    get = request.GET
    since, until = parse_date(get.get("since", "") or ""), parse_date(get.get("until", "") or "")
    before_id = int(get["before"]) if get.get("before", "").isdigit() else None
    rows = list(
        filter_entries(
            action=get.get("action") or None,
            actor=get.get("actor", "").strip() or None,
            object_type=get.get("object_type") or None,
            object_id=get.get("object_id") or None,
            since=since,
            until=until + dt.timedelta(days=1) if until else None,
            ip=get.get("ip") or None,
            before_id=before_id,
        )[:PAGE]
    )
    for row in rows:
        row.changes_text = json.dumps(row.changes, ensure_ascii=False, indent=1) if row.changes else ""  # type: ignore[attr-defined]
    # the audit administrator's own reading is audited too (等保: nobody is above the trail)
    filters = {k: v for k, v in get.items() if v}
    record(action=AuditAction.VIEW, actor=auditor, object_type="audit.auditentry", changes={"filters": filters})
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/entries.html",
        {
            "rows": rows,
            "actions": AuditAction.choices,
            "f": get,
            "query": query.urlencode(),
            "next_before": rows[-1].pk if len(rows) == PAGE else None,
        },
    )


@login_required
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    user = _auditor(request, Perm.AUDIT_VERIFY)
    seal_pending()
    report = verify_chain()
    record(
        action=AuditAction.VERIFY,
        actor=user,
        object_type="audit.auditentry",
        changes={"ok": report.ok, "checked": report.checked, "first_bad_id": report.first_bad_id},
    )
    return render(request, "audit/verify.html", {"report": report})
