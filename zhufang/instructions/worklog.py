"""警务日志 (``WorkLog``): an officer's daily log, assembled from the domain events of what they did —
signed for, fed back, reviewed, returned … — with the instruction it concerned. Nothing is typed in
twice: the log is a view of the events, exportable as CSV."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from zhufang.events.models import DomainEvent
from zhufang.instructions.categories import categories
from zhufang.instructions.models import ITEM_TYPE, InstructionItem
from zhufang.privacy.exporting import table_format, write_table

KIND_LABELS = {
    "instruction.issued": "下发指令",
    "instruction.merged": "合并指令",
    "instruction.signed": "签收指令",
    "instruction.assigned": "指派承办人",
    "instruction.returned": "退回指挥中心",
    "instruction.rerouted": "改派指令",
    "instruction.started": "开始办理",
    "instruction.fed_back": "提交反馈",
    "instruction.approved": "审核通过",
    "instruction.rework": "退回重办",
    "instruction.cancelled": "撤销指令",
    "instruction.closed": "办结指令",
}


@dataclass(frozen=True)
class LogEntry:
    at: dt.datetime
    action: str
    category: str
    target: str
    item_id: int | None
    detail: str


def work_log(user: Any, day: dt.date) -> list[LogEntry]:
    """What ``user`` did on ``day`` (local time), oldest first."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    events = list(
        DomainEvent.objects.filter(actor_id=user.pk, at__gte=start, at__lt=start + dt.timedelta(days=1)).order_by(
            "at", "id"
        )
    )
    item_ids = [int(e.object_id) for e in events if e.object_type == ITEM_TYPE and e.object_id.isdigit()]
    items = {
        pk: (category, label)
        for pk, category, label in InstructionItem.objects.filter(pk__in=item_ids).values_list(
            "pk", "category", "target_label"
        )
    }
    names = {code: c.name for code, c in categories().items()}
    entries = []
    for e in events:
        item_id = int(e.object_id) if e.object_type == ITEM_TYPE and e.object_id.isdigit() else None
        category, label = items.get(item_id, ("", "")) if item_id else ("", "")
        detail = str(e.data.get("reason", "")) if isinstance(e.data, dict) else ""
        entries.append(
            LogEntry(
                at=timezone.localtime(e.at),
                action=KIND_LABELS.get(e.kind, e.kind),
                category=names.get(category, category),
                target=label,
                item_id=item_id,
                detail=detail,
            )
        )
    return entries


def work_log_csv(user: Any, day: dt.date) -> tuple[bytes, int]:
    """The day's log as CSV with Chinese headers (UTF-8 with BOM, so Excel opens it) and its row count,
    written by the shared export writer (formula-like cells quoted)."""
    out = io.BytesIO()
    rows = (
        [e.at.strftime("%H:%M"), e.action, e.category, e.target, e.item_id or "", e.detail] for e in work_log(user, day)
    )
    count = write_table(out, ["时间", "工作内容", "指令类别", "对象", "指令编号", "说明"], rows, table_format("csv"))
    return out.getvalue(), count
