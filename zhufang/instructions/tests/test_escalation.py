"""Reminders and escalation on a frozen clock: officer at the deadline, station head one working day
later, the centre two working days later — each told once."""

from __future__ import annotations

import datetime as dt

import pytest

from zhufang.accounts.models import User
from zhufang.conftest import Demo
from zhufang.instructions.escalation import escalate_overdue, send_reminders
from zhufang.instructions.issuing import create_batch, issue_batch
from zhufang.instructions.models import InstructionItem
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.tests.factories import house_in
from zhufang.instructions.transitions import feed_back, sign_for
from zhufang.notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
CST = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int = 9, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=CST)


def test_escalation_timeline_across_the_national_day_holiday(demo: Demo) -> None:
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    houses = [house_in(grid) for _ in range(2)]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre, title="核查", category="population", targets=[TargetRef("house", h.pk) for h in houses]
    )
    issue_batch(actor=centre, batch=batch, now=at(30, month=9))  # due end of Sat 10 October (调休上班)
    items = list(InstructionItem.objects.order_by("pk"))
    sign_for(actor=demo.user("command_room"), item_ids=[i.pk for i in items])
    officer, head = demo.user("community_officer"), demo.user("station_head")

    def told(user: User, kind: str) -> int:
        return Notification.objects.filter(recipient=user, kind=kind).count()

    # the reminder (1 working day before) starts at the end of Fri 9 October
    assert send_reminders(now=at(9, 12)) == 0
    assert send_reminders(now=at(10, 1)) == 2
    assert send_reminders(now=at(10, 2)) == 0  # once
    assert told(officer, "instruction.reminder") == 1
    # one item is fed back in time: it never escalates
    feed_back(actor=officer, item_id=items[0].pk, data={"result": "信息属实"}, lon=118.5, lat=36.5)
    assert escalate_overdue(now=at(10, 23)) == {}  # not yet overdue
    assert escalate_overdue(now=at(11, 1)) == {"level_1": 1}  # Sunday 11th: overdue → officer
    assert told(officer, "instruction.overdue") == 1
    assert escalate_overdue(now=at(12, 12)) == {}  # Monday noon: the station head's clock not yet run
    assert escalate_overdue(now=at(13, 1)) == {"level_2": 1}  # after the end of Mon 12th → station head
    assert told(head, "instruction.escalated") == 1
    assert escalate_overdue(now=at(14, 1)) == {"level_3": 1}  # after the end of Tue 13th → centre
    assert Notification.objects.filter(recipient=centre, kind="instruction.escalated").count() == 1
    assert escalate_overdue(now=at(20)) == {}  # no level beyond the last, nobody told twice
    late = InstructionItem.objects.get(pk=items[1].pk)
    assert late.escalation_level == 3 and late.is_overdue(at(20))
    assert InstructionItem.objects.get(pk=items[0].pk).escalation_level == 0


def test_an_hour_deadline_escalates_by_the_hour(demo: Demo) -> None:
    house = house_in(demo.grids[0])
    centre = demo.user("centre_operator")
    batch = create_batch(actor=centre, title="预警", category="anti_fraud", targets=[TargetRef("house", house.pk)])
    issue_batch(actor=centre, batch=batch, now=at(5, 22))  # due 23:00, a holiday: hours ignore the calendar
    assert escalate_overdue(now=at(5, 23)) == {}
    assert escalate_overdue(now=dt.datetime(2026, 10, 5, 23, 1, tzinfo=CST)) == {"level_1": 1}
    # unsigned: the station's command room is told, not an officer
    assert Notification.objects.filter(recipient=demo.user("command_room"), kind="instruction.overdue").count() == 1
    assert escalate_overdue(now=dt.datetime(2026, 10, 6, 0, 1, tzinfo=CST)) == {"level_2": 1}
