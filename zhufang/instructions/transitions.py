"""The item state machine (签收 / 指派 / 退回中心 / 改派 / 反馈 / 审核 / 退回重办 / 办结 / 撤销).

Every transition is authorised by permission and data scope, allowed only from the states listed in
``TRANSITIONS``, runs in one transaction with a row lock, and is recorded as a domain event (the
police work log and the statistics read them). Bulk forms (sign for or assign hundreds at once) are
set-based: one locked read, one update, one insert of events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import lock_visible_row, visible_for_update, visible_to
from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.events.models import DomainEvent
from zhufang.events.services import record_event_with_update, record_events
from zhufang.instructions.assignment import default_assignees, delegates_on
from zhufang.instructions.categories import get_category, validate_feedback
from zhufang.instructions.models import ITEM_TYPE, Attachment, InstructionItem, ItemStatus
from zhufang.notifications.services import notify

S = ItemStatus


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    permission: str
    label: str  # Chinese name for errors and the log


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("sign", (S.ISSUED,), S.SIGNED, Perm.INSTRUCTION_SIGN, "签收"),
        Transition("assign", (S.SIGNED, S.IN_PROGRESS, S.REWORK), "", Perm.INSTRUCTION_SIGN, "指派"),
        Transition("return_to_centre", (S.ISSUED, S.SIGNED), S.RETURNED, Perm.INSTRUCTION_SIGN, "退回中心"),
        Transition("reroute", (S.RETURNED,), S.ISSUED, Perm.INSTRUCTION_ISSUE, "改派"),
        Transition("start", (S.SIGNED, S.REWORK), S.IN_PROGRESS, Perm.INSTRUCTION_WORK, "开始办理"),
        Transition("feed_back", (S.SIGNED, S.IN_PROGRESS, S.REWORK), S.FED_BACK, Perm.INSTRUCTION_WORK, "反馈"),
        Transition("approve", (S.FED_BACK,), S.APPROVED, Perm.INSTRUCTION_REVIEW, "审核通过"),
        Transition("rework", (S.FED_BACK,), S.REWORK, Perm.INSTRUCTION_REVIEW, "退回重办"),
        Transition("close", (S.APPROVED,), S.CLOSED, Perm.INSTRUCTION_ISSUE, "办结"),
        Transition(
            "cancel",
            (S.ISSUED, S.SIGNED, S.IN_PROGRESS, S.FED_BACK, S.REWORK, S.RETURNED),
            S.CANCELLED,
            Perm.INSTRUCTION_ISSUE,
            "撤销",
        ),
    )
}
#: states after which an item no longer blocks a new item on the same target and category
TERMINAL = (S.APPROVED, S.CLOSED, S.CANCELLED)


class TransitionRefused(ValidationError):
    """A transition not allowed from the item's current state."""


def _user_id(actor: Any) -> int | None:
    return actor.pk if isinstance(actor, User) else None


def _locked(actor: Any, transition: Transition, item_ids: Sequence[int]) -> list[InstructionItem]:
    """The items, locked, after checking permission, scope and state for every one of them."""
    _require_permission(actor, transition)
    ids = sorted(set(item_ids))
    if not ids:
        raise ValidationError({"items": "没有选择任何指令"})
    items = list(
        visible_for_update(actor, InstructionItem.objects.filter(pk__in=ids)).select_for_update().order_by("pk")
    )
    if len(items) != len(ids):
        raise PermissionDenied("所选指令不在您的数据权限范围内")
    _refuse_states(transition, items)
    return items


def _require_permission(actor: Any, transition: Transition) -> None:
    if not actor.has_permission(transition.permission):
        raise PermissionDenied(f"没有“{transition.label}”的权限")


def _refuse_states(transition: Transition, items: Sequence[InstructionItem]) -> None:
    """``TransitionRefused`` naming (up to 50) items whose status the transition cannot leave."""
    bad = [i for i in items if i.status not in transition.sources]
    if bad:
        raise TransitionRefused(
            {"status": [f"指令#{i.pk}当前状态为“{i.get_status_display()}”，不能{transition.label}" for i in bad[:50]]}
        )


def item_event(item: InstructionItem, kind: str, actor: Any, now: dt.datetime, **data: Any) -> DomainEvent:
    """The event of a transition of ``item``; ``data["status"]`` is the status it leaves."""
    return DomainEvent(
        at=now,
        kind=kind,
        actor_id=_user_id(actor),
        owner_unit_id=item.owner_unit_id,
        object_type=ITEM_TYPE,
        object_id=str(item.pk),
        data={"status": item.status, **data},
    )


def _events(items: Sequence[InstructionItem], kind: str, actor: Any, now: dt.datetime, **data: Any) -> None:
    record_events(item_event(i, kind, actor, now, **data) for i in items)


def _check_officer(actor: Any, officer: User, items: Sequence[InstructionItem]) -> None:
    """An officer may be given items only inside their own unit's subtree (the station's districts)."""
    if not officer.is_active or not officer.has_permission(Perm.INSTRUCTION_WORK):
        raise ValidationError({"assignee": f"{officer.name}不能承办指令"})
    path = officer.unit.path
    station_ids = {i.station_id for i in items}
    for station_id in station_ids:
        if f"/{station_id}/" not in path:
            raise ValidationError({"assignee": f"{officer.name}不属于该指令的派出所"})
    if not visible_to(actor, User.objects.filter(pk=officer.pk)).exists() and not actor.has_permission(
        Perm.INSTRUCTION_ISSUE
    ):
        raise PermissionDenied("承办人不在您的数据权限范围内")


@transaction.atomic
def sign_for(*, actor: Any, item_ids: Sequence[int], assignee: User | None = None) -> int:
    """签收: the station takes the items; each goes to ``assignee`` or its district's default officer
    (or that officer's delegate while on leave). Returns the number signed for."""
    items = _locked(actor, TRANSITIONS["sign"], item_ids)
    now = timezone.now()
    if assignee is not None:
        _check_officer(actor, assignee, items)
        delegate = delegates_on(timezone.localdate(now), [assignee.pk]).get(assignee.pk, assignee.pk)
        chosen = {i.pk: delegate for i in items}
    else:
        defaults = default_assignees([i.district_id for i in items if i.district_id], timezone.localdate(now))
        chosen = {i.pk: defaults.get(i.district_id) for i in items if i.district_id}  # type: ignore[misc]
    for i in items:
        i.assignee_id = chosen.get(i.pk)
        i.status, i.signed_at, i.signed_by_id = S.SIGNED, now, _user_id(actor)
    InstructionItem.objects.bulk_update(items, ["assignee", "status", "signed_at", "signed_by"], batch_size=500)
    _events(items, "instruction.signed", actor, now)
    _notify_assignees(items, "instruction.assigned", "新的指令已指派给您")
    return len(items)


@transaction.atomic
def assign(*, actor: Any, item_ids: Sequence[int], officer: User) -> int:
    """指派 / 改派承办人: give signed items to another officer of the station."""
    items = _locked(actor, TRANSITIONS["assign"], item_ids)
    _check_officer(actor, officer, items)
    now = timezone.now()
    delegate = delegates_on(timezone.localdate(now), [officer.pk]).get(officer.pk, officer.pk)
    previous = {i.pk: i.assignee_id for i in items}
    InstructionItem.objects.filter(pk__in=[i.pk for i in items]).update(assignee_id=delegate)
    for i in items:
        i.assignee_id = delegate
    _events(items, "instruction.assigned", actor, now, assignee=delegate, previous=None)
    for i in items:
        if previous[i.pk] and previous[i.pk] != delegate:
            record(
                action=AuditAction.UPDATE,
                actor=actor,
                obj=i,
                changes={"assignee": [previous[i.pk], delegate]},
                instruction_item_id=i.pk,
            )
    _notify_assignees(items, "instruction.assigned", "新的指令已指派给您")
    return len(items)


@transaction.atomic
def return_to_centre(*, actor: Any, item_ids: Sequence[int], reason: str) -> int:
    """退回中心: a wrongly routed item goes back to the centre with a reason (not rework)."""
    if not reason.strip():
        raise ValidationError({"reason": "请填写退回原因"})
    items = _locked(actor, TRANSITIONS["return_to_centre"], item_ids)
    now = timezone.now()
    InstructionItem.objects.filter(pk__in=[i.pk for i in items]).update(
        status=S.RETURNED, return_reason=reason.strip()[:300], returned_count=F("returned_count") + 1, assignee=None
    )
    _events(items, "instruction.returned", actor, now, reason=reason.strip()[:300])
    return len(items)


@transaction.atomic
def reroute(*, actor: Any, item_ids: Sequence[int], station_id: int, district_id: int | None = None) -> int:
    """改派: the centre sends returned items to the station (and district) they really belong to."""
    from zhufang.org.models import OrgKind, OrgUnit

    items = _locked(actor, TRANSITIONS["reroute"], item_ids)
    station = OrgUnit.objects.active().filter(pk=station_id, kind=OrgKind.STATION).first()
    if station is None:
        raise ValidationError({"station": "请选择有效的派出所"})
    owner = station.pk
    if district_id is not None:
        district = OrgUnit.objects.active().filter(pk=district_id, kind=OrgKind.DISTRICT, parent=station).first()
        if district is None:
            raise ValidationError({"district": "警务区不属于所选派出所"})
        owner = district.pk
    now = timezone.now()
    InstructionItem.objects.filter(pk__in=[i.pk for i in items]).update(
        status=S.ISSUED, station_id=station.pk, district_id=district_id, owner_unit_id=owner, signed_at=None
    )
    _events(items, "instruction.rerouted", actor, now, station=station.pk, district=district_id)
    return len(items)


#: what an officer's own-item transitions read of the locked item (others load when touched)
OWN_ITEM_FIELDS = ("category", "status", "assignee", "owner_unit")


def _own_item(actor: Any, transition: Transition, item_id: int) -> InstructionItem:
    """The officer's own item, locked: the phone path (start, feed back), one plain statement with the
    same checks and errors as ``_locked``."""
    _require_permission(actor, transition)
    item = lock_visible_row(actor, InstructionItem, item_id, OWN_ITEM_FIELDS)
    if item is None:
        raise PermissionDenied("所选指令不在您的数据权限范围内")
    _refuse_states(transition, [item])
    if item.assignee_id != _user_id(actor):
        raise PermissionDenied("这条指令不是指派给您的")
    return item


@transaction.atomic
def start(*, actor: Any, item_id: int) -> InstructionItem:
    """开始办理: the officer opens the work (also implied by the first photo or a saved draft)."""
    item = _own_item(actor, TRANSITIONS["start"], item_id)
    now = timezone.now()
    InstructionItem.objects.filter(pk=item.pk).update(status=S.IN_PROGRESS)
    _events([item], "instruction.started", actor, now)
    item.status = S.IN_PROGRESS
    return item


def feed_back(
    *,
    actor: Any,
    item_id: int,
    data: dict[str, Any],
    attachment_ids: Sequence[int] = (),
    lon: float | None = None,
    lat: float | None = None,
    accuracy_m: float | None = None,
    savepoint: bool = True,
) -> InstructionItem:
    """反馈: the assigned officer submits the category's form with photos and location; the form is
    validated (Chinese errors per field) and nothing is stored unless all of it is valid.

    ``savepoint=False`` is for a caller whose own transaction is rolled back whole on any error — the
    idempotent API, where the key row and the feedback stand or fall together — and saves the
    savepoint's two round trips per submission."""
    with transaction.atomic(savepoint=savepoint):
        return _feed_back(actor, item_id, data, attachment_ids, lon, lat, accuracy_m)


def _feed_back(
    actor: Any,
    item_id: int,
    data: dict[str, Any],
    attachment_ids: Sequence[int],
    lon: float | None,
    lat: float | None,
    accuracy_m: float | None,
) -> InstructionItem:
    item = _own_item(actor, TRANSITIONS["feed_back"], item_id)
    category = get_category(item.category)
    cleaned, errors = validate_feedback(category, data)
    photos = list(Attachment.objects.filter(item=item, pk__in=list(attachment_ids))) if attachment_ids else []
    if len(photos) != len(set(attachment_ids)):
        errors["photos"] = "照片不属于这条指令"
    elif len(photos) < category.photos:
        errors["photos"] = f"至少需要{category.photos}张现场照片"
    if category.location and (lon is None or lat is None):
        errors["location"] = "需要上传现场定位"
    if lon is not None and not (-180 <= lon <= 180 and -90 <= (lat or 0) <= 90):
        errors["location"] = "定位坐标无效"
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    written = {
        "status": S.FED_BACK,
        "feedback": cleaned,
        "fed_back_at": now,
        "fed_back_by_id": _user_id(actor),
        "feedback_lon": lon,
        "feedback_lat": lat,
        "feedback_accuracy_m": accuracy_m,
    }
    # the row is locked and this is the phone's hot path: the UPDATE and its event in one statement
    record_event_with_update(
        item_event(item, "instruction.fed_back", actor, now, photos=len(photos)), InstructionItem, written, item.pk
    )
    if photos:
        Attachment.objects.filter(pk__in=[p.pk for p in photos]).update(submitted=True)
    for name, value in written.items():  # the row is locked: what was written is what it holds
        setattr(item, name, value)
    return item


@transaction.atomic
def approve(*, actor: Any, item_ids: Sequence[int]) -> int:
    """审核通过: the station accepts the feedback; the item stops blocking new work on its target. An
    inspection-category item records the inspection of its target (when the inspections app is there)."""
    items = _locked(actor, TRANSITIONS["approve"], item_ids)
    now = timezone.now()
    InstructionItem.objects.filter(pk__in=[i.pk for i in items]).update(
        status=S.APPROVED, reviewed_at=now, reviewed_by=_user_id(actor), open_key=None
    )
    _events(items, "instruction.approved", actor, now)
    _record_inspections(actor, items, now)
    return len(items)


@transaction.atomic
def return_for_rework(*, actor: Any, item_ids: Sequence[int], reason: str) -> int:
    """退回重办: feedback not accepted; back to its officer with the reason."""
    if not reason.strip():
        raise ValidationError({"reason": "请填写退回原因"})
    items = _locked(actor, TRANSITIONS["rework"], item_ids)
    now = timezone.now()
    InstructionItem.objects.filter(pk__in=[i.pk for i in items]).update(
        status=S.REWORK, return_reason=reason.strip()[:300], rework_count=F("rework_count") + 1, reviewed_at=now
    )
    _events(items, "instruction.rework", actor, now, reason=reason.strip()[:300])
    _notify_assignees(items, "instruction.rework", f"指令被退回重办：{reason.strip()[:60]}")
    return len(items)


@transaction.atomic
def cancel(*, actor: Any, item_ids: Sequence[int], reason: str) -> int:
    """撤销: the centre withdraws open items (a cancelled batch, a target that no longer exists)."""
    if not reason.strip():
        raise ValidationError({"reason": "请填写撤销原因"})
    items = _locked(actor, TRANSITIONS["cancel"], item_ids)
    now = timezone.now()
    InstructionItem.objects.filter(pk__in=[i.pk for i in items]).update(
        status=S.CANCELLED, closed_at=now, open_key=None
    )
    _events(items, "instruction.cancelled", actor, now, reason=reason.strip()[:300])
    return len(items)


def close_items(actor: Any, items: QuerySet[InstructionItem], now: dt.datetime) -> int:
    """办结 the approved items of a closing batch (called by ``closing.close_batch``)."""
    chosen = list(items.filter(status=S.APPROVED).values_list("pk", flat=True))
    if not chosen:
        return 0
    locked = _locked(actor, TRANSITIONS["close"], chosen)
    InstructionItem.objects.filter(pk__in=chosen).update(status=S.CLOSED, closed_at=now)
    _events(locked, "instruction.closed", actor, now)
    return len(chosen)


def _notify_assignees(items: Sequence[InstructionItem], kind: str, title: str) -> None:
    by_officer: dict[int, int] = {}
    for i in items:
        if i.assignee_id:
            by_officer[i.assignee_id] = by_officer.get(i.assignee_id, 0) + 1
    for officer, count in by_officer.items():
        notify([officer], kind=kind, title=f"{title}（{count}条）", link="/instructions/mine/")


#: how an inspection-category feedback result reads as an inspection result (检查结果)
INSPECTION_RESULTS = {
    "正常": "normal",
    "发现隐患": "hazard_found",
    "整改中": "rectifying",
    "已整改": "rectified",
}


def _record_inspections(actor: Any, items: Sequence[InstructionItem], now: dt.datetime) -> None:
    """Approving an inspection-category item records the inspection of its house or establishment,
    done by the officer who fed it back, linked to the item."""
    from zhufang.inspections.services import record_inspection
    from zhufang.registry.models import Establishment, House

    chosen = [i for i in items if get_category(i.category).inspection and i.target_kind in ("house", "establishment")]
    if not chosen:
        return
    # the items were read under lock just before the approval, feedback included: no re-read per item
    targets: dict[str, dict[Any, Any]] = {
        "house": House.objects.in_bulk([i.target_id for i in chosen if i.target_kind == "house" and i.target_id]),
        "establishment": Establishment.objects.in_bulk(
            [i.target_id for i in chosen if i.target_kind == "establishment" and i.target_id]
        ),
    }
    officers = User.objects.select_related("unit").in_bulk([i.fed_back_by_id for i in chosen if i.fed_back_by_id])
    for item in chosen:
        target = targets[item.target_kind].get(item.target_id) if item.target_id else None
        officer = officers.get(item.fed_back_by_id) if item.fed_back_by_id else None
        if target is None or officer is None:
            continue
        feedback = item.feedback or {}
        result = INSPECTION_RESULTS.get(str(feedback.get("result", "")), "normal")
        hazards = [h for h in feedback.get("hazards", []) if isinstance(h, str)]
        if result in ("hazard_found", "rectifying") and not hazards:
            hazards = [str(feedback.get("remarks") or feedback.get("result"))[:100]]
        record_inspection(
            actor=officer,
            target=target,
            inspected_on=timezone.localdate(item.fed_back_at or now),
            result=result,
            findings=str(feedback.get("remarks", "")),
            hazards=hazards,
            source="instruction",
            instruction_item_id=item.pk,
        )
