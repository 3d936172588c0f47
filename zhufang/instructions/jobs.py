"""Periodic instruction-centre jobs (declared in zhufang/schedules.py)."""

from __future__ import annotations

from zhufang.instructions.closing import auto_close_complete_batches
from zhufang.instructions.escalation import escalate_overdue, send_reminders
from zhufang.instructions.leave import apply_leaves
from zhufang.jobs.registry import job


@job("instructions.remind")
def remind() -> dict[str, int]:
    return {"reminded": send_reminders()}


@job("instructions.escalate")
def escalate() -> dict[str, int]:
    return escalate_overdue()


@job("instructions.auto_close")
def auto_close() -> dict[str, int]:
    return {"closed": auto_close_complete_batches()}


@job("instructions.apply_leaves")
def hand_over_for_leave() -> dict[str, int]:
    """Leaves starting today hand their officers' open items to the delegates (请假委托)."""
    return apply_leaves()
