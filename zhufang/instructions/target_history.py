"""The history of an item's target (目标履历): the earlier instruction items on the same house, person,
establishment or address (category, dates, result) and, when the inspections app is installed, the
inspections (检查记录) of that house or establishment — each read through the viewer's data scope, with
names masked for viewers without personal-data access and feedback results hidden from departments."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Q

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.instructions.categories import categories
from zhufang.instructions.models import InstructionItem, TargetKind
from zhufang.org.models import OrgKind

LIMIT = 20


@dataclass(frozen=True)
class EarlierItem:
    """An earlier instruction item on the same target."""

    id: int
    category: str
    category_name: str
    status: str
    status_label: str
    issued_at: dt.datetime
    fed_back_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    result: str


@dataclass(frozen=True)
class InspectionRow:
    """An inspection of the target house or establishment."""

    id: int
    inspected_on: str
    result: str
    result_label: str
    hazards: list[str]
    inspector: str | None
    source: str
    instruction_item_id: int | None


@dataclass
class TargetHistory:
    target_kind: str
    has_target: bool
    items: list[EarlierItem] = field(default_factory=list)
    #: None when the inspections app is not installed or the target is not a house/establishment
    inspections: list[InspectionRow] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _shows_results(principal: Any) -> bool:
    """Feedback results follow ``queries.item_out``: personal-data viewers inside the police tree."""
    outside = getattr(principal.principal_unit, "kind", "") == OrgKind.DEPARTMENT
    return bool(principal.has_permission(Perm.PERSONAL_DATA_VIEW)) and not outside


def target_history_of(principal: Any, item_id: int, *, limit: int = LIMIT) -> TargetHistory | None:
    """The history for an item the principal may see (None otherwise)."""
    item = visible_to(principal, InstructionItem.objects.filter(pk=item_id)).first()
    return None if item is None else target_history(principal, item, limit=limit)


def target_history(principal: Any, item: InstructionItem, *, limit: int = LIMIT) -> TargetHistory:
    history = TargetHistory(target_kind=item.target_kind, has_target=item.target_id is not None)
    if item.target_id is None:  # a free location: nothing to follow
        return history
    earlier = (
        InstructionItem.objects.filter(target_kind=item.target_kind, target_id=item.target_id)
        .filter(Q(issued_at__lt=item.issued_at) | Q(issued_at=item.issued_at, pk__lt=item.pk))
        .exclude(pk=item.pk)
    )
    shown = _shows_results(principal)
    names = categories()
    for other in visible_to(principal, earlier).order_by("-issued_at", "-pk")[:limit]:
        category = names.get(other.category)
        result = (other.feedback or {}).get("result", "") if shown else ""
        history.items.append(
            EarlierItem(
                id=other.pk,
                category=other.category,
                category_name=category.name if category else other.category,
                status=other.status,
                status_label=str(other.get_status_display()),
                issued_at=other.issued_at,
                fed_back_at=other.fed_back_at,
                reviewed_at=other.reviewed_at,
                result=result if isinstance(result, str) else "、".join(map(str, result)),
            )
        )
    if item.target_kind in (TargetKind.HOUSE, TargetKind.ESTABLISHMENT) and apps.is_installed("zhufang.inspections"):
        history.inspections = _inspections(principal, item.target_kind, item.target_id, limit)
    return history


def _inspections(principal: Any, kind: str, target_id: int, limit: int) -> list[InspectionRow]:
    from zhufang.inspections.models import Inspection
    from zhufang.inspections.presentation import inspection_out

    if not principal.has_permission(Perm.INSPECTION_VIEW):
        return []
    wanted = Inspection.objects.filter(**{"house_id" if kind == TargetKind.HOUSE else "establishment_id": target_id})
    rows = visible_to(principal, wanted.select_related("inspector")).order_by("-inspected_on", "-pk")[:limit]
    out = []
    for inspection in rows:
        shown = inspection_out(principal, inspection)  # the inspector's name masked without pii.view
        out.append(
            InspectionRow(
                id=shown["id"],
                inspected_on=shown["inspected_on"],
                result=shown["result"],
                result_label=shown["result_label"],
                hazards=shown["hazards"],
                inspector=shown["inspector"],
                source=shown["source"],
                instruction_item_id=shown["instruction_item_id"],
            )
        )
    return out
