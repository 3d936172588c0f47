"""Exporting the roster of officers in scope (人员名册导出): identifiers stay masked, the export
follows the user's filters and scope, and it is audited with the stated reason."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db.models import QuerySet

from zhufang.accounts.models import User
from zhufang.org.models import OrgUnit
from zhufang.privacy.exporting import authorise_export, record_export
from zhufang.privacy.masking import mask_phone

ROSTER_COLUMNS = ("警号", "姓名", "单位", "职务", "联系电话（脱敏）", "角色")


def roster(principal: Any, *, unit_id: int | None = None, q: str = "") -> QuerySet[User]:
    """Active users the principal may see, optionally within one unit's subtree or matching ``q``."""
    users = User.objects.visible_to(principal).filter(is_active=True).select_related("unit")
    if unit_id:
        unit = OrgUnit.objects.visible_to(principal).filter(pk=unit_id).first()
        users = users.filter(unit__in=OrgUnit.objects.subtree(unit).values("pk")) if unit else users.none()
    if q:
        users = users.filter(name__contains=q) | users.filter(police_number__startswith=q)
    return users.prefetch_related("roles").order_by("unit__path", "police_number")


def export_roster_csv(principal: Any, users: QuerySet[User], *, reason: str, filters: dict[str, Any]) -> str:
    """CSV (UTF-8 with BOM, as Excel on a bureau PC expects) of ``users``; audited with the reason."""
    reason = authorise_export(principal, reason)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(ROSTER_COLUMNS)
    count = 0
    for user in users:
        writer.writerow(
            [
                user.police_number,
                user.name,
                user.unit.name,
                user.title,
                mask_phone(user.phone) if user.phone else "",
                "、".join(r.name for r in user.roles.all()),
            ]
        )
        count += 1
    record_export(principal, object_type="accounts.user", reason=reason, rows=count, filters=filters)
    return buffer.getvalue()
