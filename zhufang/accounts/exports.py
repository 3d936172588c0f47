"""Exporting the roster of officers in scope (人员名册导出): identifiers stay masked, the export
follows the user's filters and scope, and it is audited with the stated reason."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.org.models import OrgUnit
from zhufang.privacy.masking import mask_phone
from zhufang.privacy.reveal import MIN_REASON_LENGTH

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
    if not principal.has_permission(Perm.DATA_EXPORT):
        raise PermissionDenied(_("You do not have the permission to export data"))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {"reason": _("State the reason for exporting (at least %(n)d characters)") % {"n": MIN_REASON_LENGTH}}
        )
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
    record(
        action=AuditAction.EXPORT,
        actor=principal,
        object_type="accounts.user",
        reason=reason,
        changes={"rows": count, "filters": filters},
    )
    return buffer.getvalue()
