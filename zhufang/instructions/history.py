"""An item's history (流转记录): its domain events, oldest first, with who did what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zhufang.events.models import DomainEvent
from zhufang.instructions.models import InstructionItem
from zhufang.instructions.worklog import ITEM_TYPE, KIND_LABELS

EXTRA_LABELS = {"instruction.escalated": "超期督办"}


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    actor: str
    detail: str


def item_history(item: InstructionItem) -> list[Step]:
    events = DomainEvent.objects.filter(object_type=ITEM_TYPE, object_id=str(item.pk)).select_related("actor")
    steps = []
    for e in events.order_by("at", "id"):
        data = e.data if isinstance(e.data, dict) else {}
        detail = str(data.get("reason") or (f"第{data['level']}级" if "level" in data else ""))
        steps.append(
            Step(
                at=e.at,
                action=KIND_LABELS.get(e.kind) or EXTRA_LABELS.get(e.kind, e.kind),
                actor=e.actor.name if e.actor else "系统",
                detail=detail,
            )
        )
    return steps
