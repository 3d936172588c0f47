"""Reminders and escalation (提醒 / 督办) of open items, run by the periodic jobs.

Overdue and the level are derived from the deadline and the clock (``deadlines.level_at``); this
module records when a level was reached, and tells the right people once: level 1 the officer (or the
station's command room when nobody is assigned yet), level 2 the station head, level 3 the centre.
Work is grouped by (category, deadline): items of one batch share both, so a clock is computed once
per group and each group is one UPDATE.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.events.models import DomainEvent
from zhufang.events.services import record_events
from zhufang.instructions.assignment import users_with_permission
from zhufang.instructions.categories import get_category
from zhufang.instructions.deadlines import level_at, remind_from
from zhufang.instructions.models import ITEM_TYPE, OWED_STATUSES, InstructionItem
from zhufang.notifications.services import notify
from zhufang.org.models import OrgKind, OrgUnit


def _station_heads(station_ids: list[int]) -> dict[int, list[int]]:
    heads: dict[int, list[int]] = defaultdict(list)
    rows = User.objects.filter(unit_id__in=station_ids, is_active=True, roles__code="station_head")
    for user_id, unit_id in rows.values_list("pk", "unit_id").distinct():
        heads[unit_id].append(user_id)
    return heads


def _centre_users() -> list[int]:
    centres = list(OrgUnit.objects.active().filter(kind=OrgKind.CENTRE).values_list("pk", flat=True))
    return [user for user, _unit in users_with_permission(Perm.INSTRUCTION_ISSUE, unit_ids=centres)]


def escalate_overdue(now: dt.datetime | None = None) -> dict[str, int]:
    """Raise the escalation level of overdue items to the level their clock has reached."""
    now = now or timezone.now()
    groups = (
        InstructionItem.objects.filter(status__in=OWED_STATUSES, deadline__lt=now)
        .values_list("category", "deadline")
        .distinct()
    )
    raised: dict[int, list[tuple[int, int | None, int | None]]] = defaultdict(list)  # level → (item, assignee, station)
    with transaction.atomic():
        for category_code, deadline in list(groups):
            level = level_at(get_category(category_code), deadline, now)
            if level == 0:
                continue
            rows = list(
                InstructionItem.objects.select_for_update()
                .filter(category=category_code, deadline=deadline, status__in=OWED_STATUSES, escalation_level__lt=level)
                .values_list("pk", "assignee_id", "station_id", "owner_unit_id")
            )
            if not rows:
                continue
            InstructionItem.objects.filter(pk__in=[r[0] for r in rows]).update(escalation_level=level)
            record_events(
                DomainEvent(
                    at=now,
                    kind="instruction.escalated",
                    owner_unit_id=owner,
                    object_type=ITEM_TYPE,
                    object_id=str(pk),
                    data={"level": level},
                )
                for pk, _a, _s, owner in rows
            )
            raised[level].extend((pk, assignee, station) for pk, assignee, station, _o in rows)
        _tell(raised)
    return {f"level_{level}": len(rows) for level, rows in sorted(raised.items())}


def _tell(raised: dict[int, list[tuple[int, int | None, int | None]]]) -> None:
    for level, rows in raised.items():
        if level == 1:
            officers: dict[int, int] = defaultdict(int)
            unassigned: dict[int, int] = defaultdict(int)
            for _pk, assignee, station in rows:
                if assignee:
                    officers[assignee] += 1
                elif station:
                    unassigned[station] += 1
            for officer, count in officers.items():
                notify(
                    [officer],
                    kind="instruction.overdue",
                    title=f"督办：您有{count}条指令已超期",
                    link="/instructions/mine/",
                )
            rooms = users_with_permission(Perm.INSTRUCTION_SIGN, unit_ids=list(unassigned))
            for user, station in rooms:
                notify([user], kind="instruction.overdue", title=f"督办：{unassigned[station]}条指令超期未签收")
        elif level == 2:
            per_station: dict[int, int] = defaultdict(int)
            for _pk, _assignee, station in rows:
                if station:
                    per_station[station] += 1
            heads = _station_heads(list(per_station))
            for station, count in per_station.items():
                notify(
                    heads.get(station, []), kind="instruction.escalated", title=f"督办（所长）：本所{count}条指令超期"
                )
        else:
            notify(_centre_users(), kind="instruction.escalated", title=f"督办（中心）：{len(rows)}条指令严重超期")


def send_reminders(now: dt.datetime | None = None) -> int:
    """Remind once before the deadline: the assignee, or the station's command room if unassigned."""
    now = now or timezone.now()
    groups = (
        InstructionItem.objects.filter(status__in=OWED_STATUSES, reminded_at__isnull=True, deadline__gte=now)
        .values_list("category", "deadline")
        .distinct()
    )
    reminded = 0
    with transaction.atomic():
        for category_code, deadline in list(groups):
            start = remind_from(get_category(category_code), deadline)
            if start is None or now < start:
                continue
            rows = list(
                InstructionItem.objects.select_for_update()
                .filter(category=category_code, deadline=deadline, status__in=OWED_STATUSES, reminded_at__isnull=True)
                .values_list("pk", "assignee_id", "station_id")
            )
            InstructionItem.objects.filter(pk__in=[r[0] for r in rows]).update(reminded_at=now)
            reminded += len(rows)
            officers: dict[int, int] = defaultdict(int)
            stations: dict[int, int] = defaultdict(int)
            for _pk, assignee, station in rows:
                if assignee:
                    officers[assignee] += 1
                elif station:
                    stations[station] += 1
            local = timezone.localtime(deadline).strftime("%m-%d %H:%M")
            for officer, count in officers.items():
                notify(
                    [officer],
                    kind="instruction.reminder",
                    title=f"提醒：{count}条指令将于{local}到期",
                    link="/instructions/mine/",
                )
            for user, station in users_with_permission(Perm.INSTRUCTION_SIGN, unit_ids=list(stations)):
                notify([user], kind="instruction.reminder", title=f"提醒：{stations[station]}条指令待签收，{local}到期")
    return reminded
