"""Progress of batches and stations (进度统计): signed %, fed back %, on time %, returned %, overdue now,
average hours to sign and to finish — per batch (a merged item counts once in each batch that
requested it) and per station, always within the viewer's scope.

Definitions (shown on the pages too):
* signed: the station has signed for it (signed_at set); fed back: feedback submitted at least once;
* on time: fed back by its deadline, as a share of the items fed back;
* returned: sent back to the centre as misrouted at least once (rework is counted separately);
* overdue now: still owed by the station (not fed back, approved, closed or cancelled) after its deadline;
* hours to sign: issue → sign-for; hours to finish: issue → approval.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from zhufang.accounts.scope import visible_to
from zhufang.instructions.models import OWED_STATUSES, BatchMembership, InstructionItem, ItemStatus

FIELDS = (
    "id",
    "status",
    "deadline",
    "issued_at",
    "signed_at",
    "fed_back_at",
    "reviewed_at",
    "returned_count",
    "rework_count",
)


@dataclass
class Progress:
    """Counts and rates of one group of items."""

    key: Any
    total: int = 0
    signed: int = 0
    fed_back: int = 0
    on_time: int = 0
    returned: int = 0
    rework: int = 0
    approved: int = 0
    overdue: int = 0
    cancelled: int = 0
    _sign_hours: list[float] = field(default_factory=list, repr=False)
    _finish_hours: list[float] = field(default_factory=list, repr=False)

    def add(self, row: tuple[Any, ...], now: dt.datetime) -> None:
        _pk, status, deadline, issued, signed, fed_back, reviewed, returned, rework = row
        self.total += 1
        if status == ItemStatus.CANCELLED:  # withdrawn: counted, but in no rate (nor as signed or late)
            self.cancelled += 1
            return
        if signed is not None:
            self.signed += 1
            self._sign_hours.append((signed - issued).total_seconds() / 3600)
        if fed_back is not None:
            self.fed_back += 1
            if fed_back <= deadline:
                self.on_time += 1
        if returned:
            self.returned += 1
        if rework:
            self.rework += 1
        if status in (ItemStatus.APPROVED, ItemStatus.CLOSED):
            self.approved += 1
            if reviewed is not None:
                self._finish_hours.append((reviewed - issued).total_seconds() / 3600)
        if status in OWED_STATUSES and deadline < now:
            self.overdue += 1

    @staticmethod
    def _pct(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def signed_pct(self) -> float | None:
        return self._pct(self.signed, self.total - self.cancelled)

    @property
    def fed_back_pct(self) -> float | None:
        return self._pct(self.fed_back, self.total - self.cancelled)

    @property
    def on_time_pct(self) -> float | None:
        return self._pct(self.on_time, self.fed_back)

    @property
    def returned_pct(self) -> float | None:
        return self._pct(self.returned, self.total - self.cancelled)

    @property
    def avg_hours_to_sign(self) -> float | None:
        return round(sum(self._sign_hours) / len(self._sign_hours), 1) if self._sign_hours else None

    @property
    def avg_hours_to_finish(self) -> float | None:
        return round(sum(self._finish_hours) / len(self._finish_hours), 1) if self._finish_hours else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "total": self.total,
            "signed": self.signed,
            "fed_back": self.fed_back,
            "on_time": self.on_time,
            "returned": self.returned,
            "rework": self.rework,
            "approved": self.approved,
            "overdue": self.overdue,
            "cancelled": self.cancelled,
            "signed_pct": self.signed_pct,
            "fed_back_pct": self.fed_back_pct,
            "on_time_pct": self.on_time_pct,
            "returned_pct": self.returned_pct,
            "avg_hours_to_sign": self.avg_hours_to_sign,
            "avg_hours_to_finish": self.avg_hours_to_finish,
        }


def _group(items: QuerySet[InstructionItem], key_field: str, now: dt.datetime) -> dict[Any, Progress]:
    groups: dict[Any, Progress] = {}
    for row in items.values_list(key_field, *FIELDS):
        key = row[0]
        progress = groups.get(key)
        if progress is None:
            progress = groups[key] = Progress(key=key)
        progress.add(row[1:], now)
    return groups


def batch_progress(principal: Any, batch_ids: list[int], now: dt.datetime | None = None) -> dict[int, Progress]:
    """Progress of each batch over the items the principal may see (merged items count in each batch)."""
    visible = visible_to(principal, InstructionItem.objects.all()).values("pk")
    rows = BatchMembership.objects.filter(batch_id__in=batch_ids, item__in=visible).values_list(
        "batch_id", *(f"item__{name}" for name in FIELDS)
    )
    moment = now or timezone.now()
    groups = {bid: Progress(key=bid) for bid in batch_ids}
    for row in rows:
        groups[row[0]].add(row[1:], moment)
    return groups


def station_progress(
    principal: Any, *, batch_id: int | None = None, now: dt.datetime | None = None
) -> dict[int, Progress]:
    """Progress per station (of one batch, or of every item in scope)."""
    items = visible_to(principal, InstructionItem.objects.all())
    if batch_id is not None:
        items = items.filter(memberships__batch_id=batch_id)
    return _group(items, "station_id", now or timezone.now())


def late_items(
    principal: Any, *, station_id: int | None = None, batch_id: int | None = None
) -> QuerySet[InstructionItem]:
    """The drill-down: items overdue now, most overdue first."""
    items = visible_to(principal, InstructionItem.objects.all()).filter(
        status__in=OWED_STATUSES, deadline__lt=timezone.now()
    )
    if station_id is not None:
        items = items.filter(station_id=station_id)
    if batch_id is not None:
        items = items.filter(memberships__batch_id=batch_id)
    return items.order_by("deadline", "pk")


def merged_counts(batch_ids: list[int]) -> dict[int, int]:
    """Double work avoided: how many of each batch's targets joined an item that was already open."""
    counts: dict[int, int] = defaultdict(int)
    for batch_id in BatchMembership.objects.filter(batch_id__in=batch_ids, merged=True).values_list(
        "batch_id", flat=True
    ):
        counts[batch_id] += 1
    return dict(counts)
