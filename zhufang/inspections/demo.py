"""A plausible inspection history for the demo registry (演示检查记录), so the to-do lists look like a
working station's: most objects inspected this period, some only last period (due), some not for
longer (overdue), a few never. Deterministic by seed; skipped when inspections exist already."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.audit.models import AuditAction
from zhufang.audit.services import AuditDraft, record_many
from zhufang.events.models import DomainEvent
from zhufang.events.services import record_events
from zhufang.inspections.cadence import cadence_queryset
from zhufang.inspections.models import Inspection, InspectionResult, TargetKind
from zhufang.inspections.periods import period_containing
from zhufang.inspections.responsibility import COMMUNITY_OFFICER_ROLE

PLANTER = "100001"  # the demo centre operator: sees every object
#: (share, what happened): inspected this period / only last period / two periods ago / never
SCENARIOS = ((0.68, "current"), (0.17, "previous"), (0.10, "older"), (0.05, "never"))
HAZARDS = (
    "电动自行车室内充电",
    "私拉乱接电线",
    "消防通道堵塞",
    "灭火器过期",
    "承租人未登记",
    "安全出口锁闭",
    "监控设备故障",
    "登记簿记录不全",
)
BATCH = 5000


def _pick(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for share, name in SCENARIOS:
        acc += share
        if roll < acc:
            return name
    return SCENARIOS[-1][1]


def _day_in(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _result(rng: random.Random) -> tuple[str, list[str], str]:
    roll = rng.random()
    if roll < 0.86:
        return InspectionResult.NORMAL, [], ""
    hazards = rng.sample(HAZARDS, rng.choice((1, 1, 2)))
    if roll < 0.94:
        return InspectionResult.HAZARD_FOUND, hazards, "已当场告知整改要求"
    if roll < 0.97:
        return InspectionResult.RECTIFYING, hazards, "限期整改中"
    return InspectionResult.RECTIFIED, hazards, "复查已整改"


def _inspections(
    rng: random.Random, kind: str, rows: Iterable[Any], today: dt.date, officers: dict[int, int]
) -> Iterator[Inspection]:
    for pk, unit_id, district_id, period, current_start, previous_start, previous_end in rows:
        scenario = _pick(rng)
        if scenario == "never":
            continue
        older = period_containing(period, previous_start - dt.timedelta(days=1))
        days = {
            "current": [_day_in(rng, current_start, today)],
            "previous": [_day_in(rng, previous_start, previous_end)],
            "older": [_day_in(rng, older.start, older.end)],
        }[scenario]
        if scenario == "current" and rng.random() < 0.6:
            days.append(_day_in(rng, previous_start, previous_end))  # and the period before, usually
        for day in days:
            result, hazards, findings = _result(rng)
            yield Inspection(
                house_id=pk if kind == TargetKind.HOUSE else None,
                establishment_id=pk if kind == TargetKind.ESTABLISHMENT else None,
                inspected_on=day,
                result=result,
                hazards=hazards,
                findings=findings,
                inspector_id=officers.get(district_id),
                owner_unit_id=unit_id,
                created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10, rng.randrange(60)))),
            )


def _district_officers() -> dict[int, int]:
    """The first community officer of each district (by 警号)."""
    officers: dict[int, int] = {}
    rows = User.objects.filter(roles__code=COMMUNITY_OFFICER_ROLE, is_active=True).order_by("police_number")
    for user_id, unit_id in rows.values_list("pk", "unit_id"):
        officers.setdefault(unit_id, user_id)
    return officers


def _save(batch: list[Inspection]) -> None:
    Inspection.objects.bulk_create(batch, batch_size=BATCH)
    if any(i.pk is None for i in batch):
        return  # a backend without RETURNING: the audit rows below name no ids, so skip them
    record_many(
        AuditDraft(
            action=AuditAction.CREATE,
            object_type="inspections.inspection",
            object_id=str(i.pk),
            object_label=str(i),
            changes={"inspected_on": [None, i.inspected_on], "result": [None, i.result]},
            reason="demo inspection history",
        )
        for i in batch
    )
    record_events(
        DomainEvent(
            kind="inspection.recorded",
            at=i.created_at,
            actor_id=i.inspector_id,
            owner_unit_id=i.owner_unit_id,
            object_type="inspections.inspection",
            object_id=str(i.pk),
            data={"target_kind": i.target_kind, "target_id": i.target_id, "result": i.result, "demo": True},
        )
        for i in batch
    )


@transaction.atomic
def plant_demo_inspections(*, seed: int = 2026, today: dt.date | None = None) -> str:
    """Plant the history for every house and establishment a rule covers; returns a summary line."""
    if Inspection.objects.exists():
        return f"demo inspections already present: {Inspection.objects.count()}, reused"
    planter = User.objects.filter(police_number=PLANTER).first()
    if planter is None:
        return "demo inspections skipped: no demo centre operator"
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    officers = _district_officers()
    planted = 0
    for kind in TargetKind.values:
        rows = (
            cadence_queryset(planter, kind, as_of=today)
            .order_by("pk")
            .values_list(
                "pk",
                "owner_unit_id",
                "owner_unit__parent_id",
                "period",
                "current_start",
                "previous_start",
                "previous_end",
            )
        )
        batch: list[Inspection] = []
        for inspection in _inspections(rng, kind, list(rows), today, officers):
            batch.append(inspection)
            if len(batch) >= BATCH:
                _save(batch)
                planted += len(batch)
                batch = []
        if batch:
            _save(batch)
            planted += len(batch)
    return f"demo inspections: {planted} planted"
