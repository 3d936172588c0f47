"""Leave and delegation (请假委托) and the police district's default officer (警务区默认承办人).

A station head or command room records that an officer of their station is on leave from–until, with
a named delegate of the same station (``Delegation``). While the leave lasts, new assignments go to the
delegate (``assignment.delegates_on``); the officer's open items (signed for, in progress, returned for
rework) are handed over at once when the leave covers today, and by the daily job
``instructions.apply_leaves`` on the day a later leave starts — set-based, with an
``instruction.assigned`` event and an audit row per item. Ending or cancelling a leave does not move
items back: the delegate finishes what they were given (or the station reassigns it).

The station also chooses each police district's default officer (``DefaultAssignee``), the officer
its items go to on sign-for unless another is chosen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.audit.models import AuditAction
from zhufang.audit.services import AuditDraft, record, record_many
from zhufang.events.models import DomainEvent
from zhufang.events.services import record_events
from zhufang.instructions.assignment import default_assignees, delegates_on, roles_with_permission
from zhufang.instructions.models import ITEM_TYPE, DefaultAssignee, Delegation, InstructionItem, ItemStatus
from zhufang.notifications.services import notify
from zhufang.org.models import OrgKind, OrgUnit

#: the item states handed to the delegate (issued items have no officer yet; fed-back ones wait for review)
HANDED_OVER = (ItemStatus.SIGNED, ItemStatus.IN_PROGRESS, ItemStatus.REWORK)
IN_CHUNK = 5000


@dataclass(frozen=True)
class LeaveRecorded:
    leave: Delegation
    handed_over: int


def station_of(unit: OrgUnit) -> OrgUnit | None:
    """The station a unit belongs to (itself for a station), read off its path."""
    if unit.kind == OrgKind.STATION:
        return unit
    return OrgUnit.objects.filter(pk__in=unit.ancestor_ids(), kind=OrgKind.STATION).first()


def actor_station(actor: Any) -> OrgUnit:
    """The station whose leave and defaults the actor manages: a station head's or command room's own."""
    if not actor.has_permission(Perm.INSTRUCTION_SIGN):
        raise PermissionDenied(_("Only a station head or the command room records leave and default officers"))
    station = station_of(actor.principal_unit)
    if station is None:
        raise PermissionDenied(_("Leave and default officers are managed by the officer's own station"))
    return station


def station_officers(actor: Any, station: OrgUnit | None = None) -> QuerySet[User]:
    """The active officers of the actor's station who work instructions, within the actor's scope."""
    station = station or actor_station(actor)
    working = roles_with_permission(Perm.INSTRUCTION_WORK)
    officers = User.objects.filter(is_active=True, unit__path__startswith=station.path, roles__in=working).distinct()
    return visible_to(actor, officers).select_related("unit").order_by("unit__code", "police_number")


def station_districts(actor: Any, station: OrgUnit | None = None) -> QuerySet[OrgUnit]:
    station = station or actor_station(actor)
    units = OrgUnit.objects.visible_to(actor).active()
    return units.filter(kind=OrgKind.DISTRICT, path__startswith=station.path).order_by("code")


def leaves_for(actor: Any) -> QuerySet[Delegation]:
    """The leaves of the actor's station (an officer sees their own and those they stand in for)."""
    return visible_to(actor, Delegation.objects.select_related("officer", "delegate")).order_by("-starts_on", "-pk")


def _overlapping(field: str, user: User, starts_on: dt.date, ends_on: dt.date) -> Delegation | None:
    return (
        Delegation.objects.filter(**{field: user}, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .order_by("starts_on")
        .first()
    )


def _validate_leave(
    actor: Any,
    station: OrgUnit,
    officer: User,
    delegate: User,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    today: dt.date,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    allowed = set(
        station_officers(actor, station).filter(pk__in=[officer.pk, delegate.pk]).values_list("pk", flat=True)
    )
    if officer.pk not in allowed:
        errors["officer"] = _("%(name)s is not an officer of your station") % {"name": officer.name}
    if delegate.pk == officer.pk:
        errors["delegate"] = _("The delegate must be another officer")
    elif delegate.pk not in allowed:
        errors["delegate"] = _("The delegate %(name)s is not an officer of the same station") % {"name": delegate.name}
    if starts_on is None:
        errors["starts_on"] = _("Enter the first day of the leave")
    if ends_on is None:
        errors["ends_on"] = _("Enter the last day of the leave")
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The leave ends (%(until)s) before it starts (%(from)s)") % {
            "until": ends_on,
            "from": starts_on,
        }
    elif ends_on < today:
        errors["ends_on"] = _("The leave has already ended (%(until)s)") % {"until": ends_on}
    if errors or starts_on is None or ends_on is None:
        return errors
    if clash := _overlapping("officer", officer, starts_on, ends_on):
        errors["starts_on"] = _("%(name)s is already on leave from %(from)s to %(until)s") % {
            "name": officer.name,
            "from": clash.starts_on,
            "until": clash.ends_on,
        }
    if clash := _overlapping("officer", delegate, starts_on, ends_on):
        errors["delegate"] = _("The delegate %(name)s is on leave themselves from %(from)s to %(until)s") % {
            "name": delegate.name,
            "from": clash.starts_on,
            "until": clash.ends_on,
        }
    return errors


@transaction.atomic
def record_leave(
    *,
    actor: Any,
    officer: User,
    delegate: User,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    reason: str = "",
    today: dt.date | None = None,
) -> LeaveRecorded:
    """请假登记: validated in the user's language; a leave covering today hands the officer's open items
    to the delegate at once."""
    station = actor_station(actor)
    today = today or timezone.localdate()
    # serialise leave records of the same officers (two command-room users at once)
    list(User.objects.select_for_update().filter(pk__in=sorted({officer.pk, delegate.pk})).values_list("pk"))
    errors = _validate_leave(actor, station, officer, delegate, starts_on, ends_on, today)
    if errors:
        raise ValidationError(errors)
    assert starts_on is not None and ends_on is not None
    leave = Delegation.objects.create(
        officer=officer,
        delegate=delegate,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip()[:100],
        owner_unit=station,
        created_by=actor if isinstance(actor, User) else None,
    )
    moved = 0
    if starts_on <= today <= ends_on:
        moved = hand_over(actor, {officer.pk: delegate.pk}, today=today)
    record(
        action=AuditAction.CREATE,
        actor=actor,
        obj=leave,
        changes={
            "officer": [None, officer.pk],
            "delegate": [None, delegate.pk],
            "starts_on": [None, starts_on],
            "ends_on": [None, ends_on],
            "handed_over": moved,
        },
        reason=leave.reason,
    )
    return LeaveRecorded(leave, moved)


def hand_over(actor: Any, delegates: Mapping[int, int], *, today: dt.date) -> int:
    """Give the open items of each officer (key) to their delegate (value): one locked read, one update
    per delegate, the events and audit rows in bulk, one message per delegate."""
    officers = sorted(o for o, d in delegates.items() if o != d)
    if not officers:
        return 0
    now = timezone.now()
    rows: list[tuple[int, int, int | None, str]] = []
    for start in range(0, len(officers), IN_CHUNK):
        part = officers[start : start + IN_CHUNK]
        rows += list(
            InstructionItem.objects.filter(assignee_id__in=part, status__in=HANDED_OVER)
            .select_for_update()
            .order_by("pk")
            .values_list("pk", "assignee_id", "owner_unit_id", "status")
        )
    by_delegate: dict[int, list[int]] = defaultdict(list)
    for pk, officer_id, _unit, _status in rows:
        by_delegate[delegates[officer_id]].append(pk)
    for delegate_id, ids in by_delegate.items():
        for start in range(0, len(ids), IN_CHUNK):
            InstructionItem.objects.filter(pk__in=ids[start : start + IN_CHUNK]).update(assignee_id=delegate_id)
    with translation.override(settings.LANGUAGE_CODE):  # stored text speaks the bureau's language
        why = _("on leave: handed to the delegate")
    actor_id = actor.pk if isinstance(actor, User) else None
    record_events(
        DomainEvent(
            at=now,
            kind="instruction.assigned",
            actor_id=actor_id,
            owner_unit_id=unit_id,
            object_type=ITEM_TYPE,
            object_id=str(pk),
            data={"status": status, "assignee": delegates[officer_id], "previous": officer_id, "reason": why},
        )
        for pk, officer_id, unit_id, status in rows
    )
    record_many(
        (
            AuditDraft(
                action=AuditAction.UPDATE,
                object_type=ITEM_TYPE,
                object_id=str(pk),
                changes={"assignee": [officer_id, delegates[officer_id]]},
                reason=why,
                instruction_item_id=pk,
            )
            for pk, officer_id, _unit, _status in rows
        ),
        actor=actor,
    )
    for delegate_id, ids in by_delegate.items():
        notify(
            [delegate_id],
            kind="instruction.assigned",
            title=_("%(n)s instructions handed to you for an officer on leave") % {"n": len(ids)},
            link="/instructions/mine/",
        )
    return len(rows)


def apply_leaves(today: dt.date | None = None) -> dict[str, int]:
    """The daily job: every leave covering today hands its officer's open items to the delegate (a
    delegate on leave passes them on, as for new assignments). Idempotent: handed items are no longer
    the officer's."""
    today = today or timezone.localdate()
    on_leave = Delegation.objects.filter(starts_on__lte=today, ends_on__gte=today).values_list("officer_id", flat=True)
    delegates = delegates_on(today, list(on_leave))
    with transaction.atomic():
        moved = hand_over(None, delegates, today=today)
    return {"officers_on_leave": len(delegates), "handed_over": moved}


@transaction.atomic
def end_leave(*, actor: Any, leave: Delegation, today: dt.date | None = None) -> str:
    """销假: a leave in progress ends yesterday; one not yet started (or starting today) is cancelled.
    Items already handed to the delegate stay with the delegate. Returns "ended" or "cancelled"."""
    station = actor_station(actor)
    today = today or timezone.localdate()
    found = visible_to(actor, Delegation.objects.filter(pk=leave.pk)).select_for_update().first()
    if found is None or found.owner_unit_id != station.pk:
        raise PermissionDenied(_("This leave is not one of your station's"))
    if found.ends_on < today:
        raise ValidationError({"ends_on": _("This leave is already over")})
    before = {"starts_on": found.starts_on, "ends_on": found.ends_on}
    if found.starts_on >= today:
        record(
            action=AuditAction.DELETE,
            actor=actor,
            obj=found,
            changes={"officer": [found.officer_id, None], "delegate": [found.delegate_id, None], **before},
        )
        found.delete()
        return "cancelled"
    yesterday = today - dt.timedelta(days=1)
    Delegation.objects.filter(pk=found.pk).update(ends_on=yesterday)
    record(action=AuditAction.UPDATE, actor=actor, obj=found, changes={"ends_on": [found.ends_on, yesterday]})
    return "ended"


@dataclass(frozen=True)
class DistrictDefault:
    district: OrgUnit
    chosen: User | None  # the configured default officer (None: the district's community officer)
    effective_id: int | None  # who sign-for gives the district's items to today (leave applied)


def district_defaults(actor: Any, today: dt.date | None = None) -> list[DistrictDefault]:
    station = actor_station(actor)
    districts = list(station_districts(actor, station))
    ids = [d.pk for d in districts]
    chosen = {
        row.district_id: row.officer
        for row in visible_to(actor, DefaultAssignee.objects.filter(district_id__in=ids).select_related("officer"))
    }
    effective = default_assignees(ids, today or timezone.localdate())
    return [DistrictDefault(d, chosen.get(d.pk), effective.get(d.pk)) for d in districts]


@transaction.atomic
def set_default_assignee(*, actor: Any, district: OrgUnit, officer: User | None) -> DefaultAssignee | None:
    """设置默认承办人 for a police district of the actor's station; ``None`` goes back to the district's
    community officer."""
    station = actor_station(actor)
    if not station_districts(actor, station).filter(pk=district.pk).exists():
        raise ValidationError(
            {"district": _("%(name)s is not a police district of your station") % {"name": district.name}}
        )
    current = DefaultAssignee.objects.select_for_update().filter(district=district).first()
    before = current.officer_id if current else None
    if officer is None:
        if current is not None:
            record(action=AuditAction.DELETE, actor=actor, obj=current, changes={"officer": [before, None]})
            current.delete()
        return None
    if not station_officers(actor, station).filter(pk=officer.pk).exists():
        raise ValidationError({"officer": _("%(name)s is not an officer of your station") % {"name": officer.name}})
    if current is None:
        current = DefaultAssignee.objects.create(district=district, officer=officer)
        record(action=AuditAction.CREATE, actor=actor, obj=current, changes={"officer": [None, officer.pk]})
    elif before != officer.pk:
        DefaultAssignee.objects.filter(pk=current.pk).update(officer=officer)
        current.officer = officer
        record(action=AuditAction.UPDATE, actor=actor, obj=current, changes={"officer": [before, officer.pk]})
    return current


__all__ = [
    "HANDED_OVER",
    "DistrictDefault",
    "LeaveRecorded",
    "actor_station",
    "apply_leaves",
    "district_defaults",
    "end_leave",
    "hand_over",
    "leaves_for",
    "record_leave",
    "set_default_assignee",
    "station_officers",
]
