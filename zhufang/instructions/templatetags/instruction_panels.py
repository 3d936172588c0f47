"""Panels other pages include with one line: ``{% batch_targets_panel batch %}`` (typed, map-picked and
imported targets of a draft batch) and ``{% target_history_panel item %}`` (the item's target: its
earlier instructions and inspections, in scope and masked)."""

from __future__ import annotations

from typing import Any

from django import template

from zhufang.accounts.permissions import Perm
from zhufang.instructions.models import BatchStatus, InstructionBatch
from zhufang.instructions.target_history import TargetHistory, target_history_of

register = template.Library()


def may_add_targets(user: Any, batch: InstructionBatch) -> bool:
    if not user.has_permission(Perm.INSTRUCTION_REQUEST):
        return False
    if batch.status == BatchStatus.DRAFT:
        return True
    return batch.status == BatchStatus.REQUESTED and bool(user.has_permission(Perm.INSTRUCTION_ISSUE))


@register.inclusion_tag("instructions/_batch_targets.html", takes_context=True)
def batch_targets_panel(context: template.Context, batch: InstructionBatch) -> dict[str, Any]:
    user = context["request"].user
    return {
        "batch": batch,
        "editable": may_add_targets(user, batch),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }


@register.inclusion_tag("instructions/_target_history.html", takes_context=True)
def target_history_panel(context: template.Context, item: Any) -> dict[str, Any]:
    """``item`` is the page's item (the dict ``queries.item_out`` gives, or the model)."""
    item_id = item["id"] if isinstance(item, dict) else item.pk
    history: TargetHistory | None = target_history_of(context["request"].user, item_id)
    return {"history": history}
