"""Requesting and issuing batches (请求 / 审核 / 下发).

A department requests a batch through the centre (no more 多头发任务); the centre reviews, edits and
issues it. Issuing routes every target to its station and police district, merges targets that
already have an open item of the same category (both requesters see the result), and notifies each
station's command room — a handful of set-based queries, whatever the batch size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.events.models import DomainEvent
from zhufang.instructions.assignment import users_with_permission
from zhufang.instructions.bulk_insert import insert_rows, listed, reserve_ids
from zhufang.instructions.categories import Category, get_category
from zhufang.instructions.deadlines import due_at
from zhufang.instructions.models import (
    ITEM_TYPE,
    BatchMembership,
    BatchStatus,
    InstructionBatch,
    InstructionItem,
    ItemStatus,
    TargetKind,
)
from zhufang.instructions.routing import TargetRef, route_targets
from zhufang.notifications.services import notify
from zhufang.org.models import OrgKind, OrgUnit

MAX_TARGETS = 200_000
#: the columns issuing writes (by attname); every other column takes its model default
ITEM_COLUMNS = (
    "category",
    "target_kind",
    "target_id",
    "target_label",
    "lon",
    "lat",
    "station_id",
    "district_id",
    "owner_unit_id",
    "status",
    "deadline",
    "open_key",
    "issued_at",
)
MEMBERSHIP_COLUMNS = (
    "batch_id",
    "item_id",
    "target_kind",
    "target_id",
    "lon",
    "lat",
    "label",
    "merged",
    "requested_deadline",
)
EVENT_COLUMNS = ("at", "kind", "actor_id", "owner_unit_id", "object_type", "object_id", "data")


@dataclass
class IssueReport:
    """What issuing a batch did: new items, merged ones (double work avoided), stations reached."""

    batch: InstructionBatch
    created: int = 0
    merged: int = 0
    duplicates_in_batch: int = 0
    stations: dict[int, int] = field(default_factory=dict)
    approximate_deadline: bool = False


def _require(actor: Any, permission: str, message: str) -> None:
    if not actor.has_permission(permission):
        raise PermissionDenied(message)


def open_key(category: str, kind: str, target_id: int | None) -> str | None:
    """The merge key of an open item; free locations never merge."""
    if kind == TargetKind.LOCATION or target_id is None:
        return None
    return f"{category}:{kind}:{target_id}"


def _centre_unit() -> OrgUnit:
    unit = OrgUnit.objects.active().filter(kind=OrgKind.CENTRE).order_by("code").first()
    return unit or OrgUnit.objects.active().filter(kind=OrgKind.BUREAU).order_by("code").first()  # type: ignore[return-value]


@transaction.atomic
def create_batch(
    *,
    actor: Any,
    title: str,
    category: str,
    requirements: str = "",
    deadline: dt.datetime | None = None,
    targets: Sequence[TargetRef] = (),
) -> InstructionBatch:
    """A draft batch (centre) or a request (a department's batch, waiting for the centre's review)."""
    _require(actor, Perm.INSTRUCTION_REQUEST, "没有发起指令的权限")
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "标题不能为空"
    try:
        cat = get_category(category)
    except KeyError:
        errors["category"] = f"未知的指令类别：{category}"
        cat = None
    if deadline is not None and deadline <= timezone.now():
        errors["deadline"] = "截止时间不能早于当前时间"
    if errors:
        raise ValidationError(errors)
    assert cat is not None
    unit = actor.principal_unit
    batch = InstructionBatch.objects.create(
        title=title.strip()[:200],
        category=cat.code,
        requirements=requirements,
        deadline=deadline,
        status=BatchStatus.DRAFT,
        requesting_unit=unit if unit.kind == OrgKind.DEPARTMENT else None,
        owner_unit=_centre_unit(),
        created_by=actor if isinstance(actor, User) else None,
    )
    if targets:
        add_targets(actor=actor, batch=batch, targets=targets)
    record(action=AuditAction.CREATE, actor=actor, obj=batch, changes={"category": cat.code, "targets": len(targets)})
    return batch


def locked_batch(actor: Any, batch_id: int) -> InstructionBatch:
    """The batch, row-locked, if the actor may see it (locked by primary key: a department's scope
    adds DISTINCT, which FOR UPDATE does not allow)."""
    visible = visible_to(actor, InstructionBatch.objects.filter(pk=batch_id)).values("pk")
    found = InstructionBatch.objects.filter(pk__in=visible).select_for_update().first()
    if found is None:
        raise PermissionDenied("该指令批次不在您的数据权限范围内")
    return found


def editable_batch(actor: Any, batch: InstructionBatch) -> InstructionBatch:
    found = locked_batch(actor, batch.pk)
    if found.status not in (BatchStatus.DRAFT, BatchStatus.REQUESTED):
        raise ValidationError({"status": "已下发的批次不能再修改目标"})
    if found.status == BatchStatus.REQUESTED and not actor.has_permission(Perm.INSTRUCTION_ISSUE):
        raise PermissionDenied("已提交指挥中心审核的请求只能由中心修改")
    return found


def check_targets(category: Category, targets: Sequence[TargetRef]) -> list[str]:
    """Chinese errors for targets a category does not take or that cannot be routed (by position)."""
    problems: list[str] = []
    routes = route_targets(targets)
    for number, (t, route) in enumerate(zip(targets, routes, strict=True), 1):
        if t.kind not in category.targets:
            problems.append(f"第{number}条：类别“{category.name}”不能指向{TargetKind(t.kind).label}")
        elif route is None:
            where = "该位置不在本局辖区内" if t.kind == TargetKind.LOCATION else "目标不存在或已注销"
            problems.append(f"第{number}条：{where}")
        elif route.station_id is None:
            problems.append(f"第{number}条：目标尚未落到网格，无法分派")
    return problems


@transaction.atomic
def add_targets(*, actor: Any, batch: InstructionBatch, targets: Sequence[TargetRef]) -> int:
    """Add requested targets to a draft or requested batch; every target is checked (kind allowed,
    exists, lies in the county) and the whole call is refused with one Chinese line per bad target."""
    batch = editable_batch(actor, batch)
    if len(targets) > MAX_TARGETS:
        raise ValidationError({"targets": f"一个批次最多{MAX_TARGETS}条目标"})
    problems = check_targets(get_category(batch.category), targets)
    if problems:
        raise ValidationError({"targets": problems[:200]})
    BatchMembership.objects.bulk_create(
        [
            BatchMembership(
                batch=batch, target_kind=t.kind, target_id=t.target_id, lon=t.lon, lat=t.lat, label=t.label[:255]
            )
            for t in targets
        ],
        batch_size=2000,
    )
    return len(targets)


@transaction.atomic
def submit_request(*, actor: Any, batch: InstructionBatch) -> InstructionBatch:
    """A department sends its draft to the centre for review (请求下发)."""
    batch = editable_batch(actor, batch)
    if batch.status != BatchStatus.DRAFT:
        raise ValidationError({"status": "只有草稿可以提交"})
    if not batch.memberships.exists():
        raise ValidationError({"targets": "批次没有任何目标"})
    InstructionBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.REQUESTED)
    batch.status = BatchStatus.REQUESTED
    record(action=AuditAction.UPDATE, actor=actor, obj=batch, changes={"status": ["draft", "requested"]})
    return batch


def issue_batch(*, actor: Any, batch: InstructionBatch, now: dt.datetime | None = None) -> IssueReport:
    """下发: route, merge and notify. Retried once if a concurrent batch opened an item on one of the
    same targets in between (the unique open key refuses the second item; the retry merges into it)."""
    _require(actor, Perm.INSTRUCTION_ISSUE, "只有基础管控中心可以下发指令")
    try:
        return _issue(actor=actor, batch=batch, now=now)
    except IntegrityError:
        return _issue(actor=actor, batch=batch, now=now)


@transaction.atomic
def _issue(*, actor: Any, batch: InstructionBatch, now: dt.datetime | None) -> IssueReport:
    now = now or timezone.now()
    batch = locked_batch(actor, batch.pk)
    if batch.status not in (BatchStatus.DRAFT, BatchStatus.REQUESTED):
        raise ValidationError({"status": f"批次状态为“{batch.get_status_display()}”，不能下发"})
    if batch.deadline is not None and batch.deadline <= now:
        raise ValidationError({"deadline": "截止时间已过，请修改后再下发"})
    category = get_category(batch.category)
    wanted = list(
        batch.memberships.filter(item__isnull=True).values_list("pk", "target_kind", "target_id", "lon", "lat", "label")
    )
    if not wanted:
        raise ValidationError({"targets": "批次没有任何目标"})
    report = IssueReport(batch=batch)
    deadline, report.approximate_deadline = (batch.deadline, False) if batch.deadline else due_at(category, now)

    # one membership per target in this batch: a target listed twice is requested once
    seen: set[tuple[str, int | None]] = set()
    unique, repeated = [], []
    for row in wanted:
        target = (row[1], row[2])
        if row[2] is not None and target in seen:
            repeated.append(row[0])
            continue
        seen.add(target)
        unique.append(row)
    report.duplicates_in_batch = len(repeated)
    refs = [TargetRef(kind, tid, lon, lat, label) for _pk, kind, tid, lon, lat, label in unique]
    routes = route_targets(refs)
    unroutable = [n for n, r in enumerate(routes, 1) if r is None or r.station_id is None]
    if unroutable:
        raise ValidationError({"targets": [f"第{n}条目标无法分派到派出所" for n in unroutable[:200]]})

    keys = [open_key(category.code, ref.kind, ref.target_id) for ref in refs]
    live = [k for k in keys if k]
    existing: dict[str, tuple[int, dt.datetime]] = {
        k: (pk, d)
        for k, pk, d in InstructionItem.objects.filter(open_key__in=listed(live, text=True)).values_list(
            "open_key", "pk", "deadline"
        )
    }
    new_rows: list[tuple[Any, ...]] = []
    new_keys: list[str] = []
    new_positions: list[int] = []
    merged_ids: list[int] = []
    # the new items' ids: drawn from the sequence (PostgreSQL), or read back by open key (SQLite), for
    # which a free location (no open key) carries a batch-scoped key until its id is read back
    reserved = reserve_ids(InstructionItem, len(refs) - sum(1 for k in keys if k and k in existing))
    provisional = f"~{batch.pk}:"
    for position, (ref, route, merge_key) in enumerate(zip(refs, routes, keys, strict=True)):
        assert route is not None
        if merge_key and merge_key in existing:
            merged_ids.append(existing[merge_key][0])
            continue
        new_positions.append(position)
        new_keys.append(merge_key or f"{provisional}{position}")
        new_rows.append(
            (
                *((reserved[len(new_rows)],) if reserved is not None else ()),
                category.code,
                ref.kind,
                ref.target_id,
                (route.label or ref.label)[:255],
                route.lon,
                route.lat,
                route.station_id,
                route.district_id,
                route.owner_unit_id or route.district_id or route.station_id,
                ItemStatus.ISSUED.value,
                deadline,
                merge_key if reserved is not None else new_keys[-1],
                now,
            )
        )
    if reserved is not None:
        insert_rows(InstructionItem, ("id", *ITEM_COLUMNS), new_rows)
        item_ids = dict(zip(new_keys, reserved, strict=True))
    else:
        insert_rows(InstructionItem, ITEM_COLUMNS, new_rows)
        item_ids = _ids_by_open_key(new_keys)
        provisional_ids = [item_ids[k] for k in new_keys if k.startswith(provisional)]
        if provisional_ids:
            InstructionItem.objects.filter(pk__in=listed(provisional_ids)).update(open_key=None)
    # a merged item keeps the earliest deadline of the batches that requested it
    if merged_ids:
        InstructionItem.objects.filter(pk__in=listed(sorted(set(merged_ids))), deadline__gt=deadline).update(
            deadline=deadline
        )

    item_of_position = {position: item_ids[k] for position, k in zip(new_positions, new_keys, strict=True)}
    merged_iter = iter(merged_ids)
    memberships: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    used: set[int] = set()
    actor_id = actor.pk if isinstance(actor, User) else None
    stations: dict[int, int] = defaultdict(int)
    event_data = {"batch": batch.pk}
    for position, (ref, route) in enumerate(zip(refs, routes, strict=True)):
        assert route is not None
        is_merged = position not in item_of_position
        item_id = next(merged_iter) if is_merged else item_of_position[position]
        if item_id in used:  # two targets of this batch merged into the same open item
            report.duplicates_in_batch += 1
            continue
        used.add(item_id)
        memberships.append(
            (batch.pk, item_id, ref.kind, ref.target_id, ref.lon, ref.lat, ref.label, is_merged, deadline)
        )
        stations[route.station_id or 0] += 1
        events.append(
            (
                now,
                "instruction.merged" if is_merged else "instruction.issued",
                actor_id,
                route.owner_unit_id,
                ITEM_TYPE,
                str(item_id),
                event_data,
            )
        )
        if is_merged:
            report.merged += 1
        else:
            report.created += 1
    batch.memberships.filter(item__isnull=True).delete()
    insert_rows(BatchMembership, MEMBERSHIP_COLUMNS, memberships)
    insert_rows(DomainEvent, EVENT_COLUMNS, events)
    InstructionBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.ISSUED, issued_at=now, issued_by=actor_id, deadline=batch.deadline
    )
    batch.status, batch.issued_at = BatchStatus.ISSUED, now
    report.stations = dict(stations)
    _notify_stations(batch, report.stations, category)
    record(
        action=AuditAction.UPDATE,
        actor=actor,
        obj=batch,
        changes={
            "status": ["draft", "issued"],
            "created": report.created,
            "merged": report.merged,
            "stations": len(report.stations),
        },
    )
    return report


def _ids_by_open_key(keys: Sequence[str]) -> dict[str, int]:
    """{open key: item id} of the items just inserted (the open key is unique)."""
    return dict(InstructionItem.objects.filter(open_key__in=listed(keys, text=True)).values_list("open_key", "pk"))


def _notify_stations(batch: InstructionBatch, stations: dict[int, int], category: Category) -> None:
    """One message per station command-room user: how many items arrived and by when."""
    recipients: dict[int, list[int]] = defaultdict(list)
    for user_id, unit_id in users_with_permission(Perm.INSTRUCTION_SIGN, unit_ids=list(stations)):
        recipients[unit_id].append(user_id)
    for station_id, user_ids in recipients.items():
        notify(
            user_ids,
            kind="instruction.issued",
            title=f"【{category.name}】{batch.title}：{stations[station_id]}条指令待签收",
            link=f"/instructions/station/?batch={batch.pk}",
            object_type="instructions.instructionbatch",
            object_id=str(batch.pk),
        )
