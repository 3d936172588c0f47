"""Reading instructions within scope: batch and item lists, and the masked item view shared by the
pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.instructions.categories import categories
from zhufang.instructions.models import OPEN_STATUSES, InstructionBatch, InstructionItem
from zhufang.org.models import OrgKind
from zhufang.privacy.masking import mask_address, mask_name


def batches_for(principal: Any, *, status: str = "") -> QuerySet[InstructionBatch]:
    batches = visible_to(principal, InstructionBatch.objects.select_related("requesting_unit"))
    return batches.filter(status=status) if status else batches


def items_for(
    principal: Any, *, status: str = "", mine: bool = False, batch_id: int | None = None
) -> QuerySet[InstructionItem]:
    """Items in scope; ``mine``: assigned to the principal and still open, nearest deadline first."""
    items = visible_to(principal, InstructionItem.objects.select_related("assignee", "station", "district"))
    if mine:
        items = items.filter(assignee_id=principal.pk, status__in=OPEN_STATUSES)
    if status:
        items = items.filter(status=status)
    if batch_id is not None:
        items = items.filter(memberships__batch_id=batch_id)
    return items.order_by("deadline", "pk")


def item_out(principal: Any, item: InstructionItem, now: dt.datetime, *, detail: bool = False) -> dict[str, Any]:
    """An item as pages and the API show it; without pii.view the officer's name is masked too."""
    full = principal.has_permission(Perm.PERSONAL_DATA_VIEW)
    # a department follows its requests at any station, with the targets masked (DESIGN: who uses it)
    outside = getattr(principal.principal_unit, "kind", "") == OrgKind.DEPARTMENT
    category = categories().get(item.category)
    assignee = item.assignee.name if item.assignee_id and item.assignee else None
    body: dict[str, Any] = {
        "id": item.pk,
        "category": item.category,
        "category_name": category.name if category else item.category,
        "target_kind": item.target_kind,
        "target_id": item.target_id,
        "target_label": mask_address(item.target_label) if outside else item.target_label,
        "lon": None if outside else item.lon,
        "lat": None if outside else item.lat,
        "station": item.station.name if item.station_id and item.station else None,
        "district": item.district.name if item.district_id and item.district else None,
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "assignee": assignee if full or assignee is None else mask_name(assignee),
        "deadline": item.deadline,
        "overdue": item.is_overdue(now),
        "escalation_level": item.escalation_level,
        "return_reason": item.return_reason,
    }
    if detail:
        body["feedback"] = item.feedback if full and not outside else {}
        body["batches"] = list(item.memberships.values_list("batch_id", flat=True))
        body["form"] = [
            {"name": f.name, "label": f.label, "type": f.type, "required": f.required, "options": list(f.options)}
            for f in (category.form if category else ())
        ]
        body["photos_required"] = category.photos if category else 0
        body["location_required"] = category.location if category else False
    return body
