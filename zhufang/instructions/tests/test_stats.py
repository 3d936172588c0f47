"""Batch and station statistics equal a hand count over items in known states and times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhufang.conftest import Demo
from zhufang.instructions.issuing import create_batch, issue_batch
from zhufang.instructions.models import InstructionItem, ItemStatus
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.stats import batch_progress, late_items, station_progress
from zhufang.instructions.tests.factories import house_in

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
H = dt.timedelta(hours=1)


def test_statistics_equal_a_hand_count(demo: Demo) -> None:
    first, second = demo.stations[0], demo.stations[1]
    grids = [g for g in demo.grids if g.path.startswith(first.path)][:6] + [
        g for g in demo.grids if g.path.startswith(second.path)
    ][:2]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre, title="核查", category="population", targets=[TargetRef("house", house_in(g).pk) for g in grids]
    )
    issue_batch(actor=centre, batch=batch)
    items = list(InstructionItem.objects.order_by("pk"))
    now = timezone.now()
    issued = now - 100 * H
    deadline = now - 10 * H  # every item is due 10 hours ago
    InstructionItem.objects.update(issued_at=issued, deadline=deadline)
    # (status, signed after, fed back after, reviewed after, returned, rework) in hours from issue
    plan = [
        (ItemStatus.ISSUED, None, None, None, 0, 0),  # late, never signed
        (ItemStatus.SIGNED, 2, None, None, 0, 0),  # late
        (ItemStatus.FED_BACK, 4, 50, None, 0, 0),  # on time, waiting for review
        (ItemStatus.APPROVED, 1, 80, 96, 0, 0),  # on time, done in 96 h
        (ItemStatus.APPROVED, 3, 95, 99, 0, 1),  # late feedback (95 > 90), reworked once, done in 99 h
        (ItemStatus.REWORK, 6, 60, None, 0, 1),  # owed again and past the deadline: late
        (ItemStatus.RETURNED, None, None, None, 1, 0),  # second station: misrouted, now the centre's to reroute
        (ItemStatus.CANCELLED, 1, None, None, 0, 0),  # second station: signed, then cancelled — in no rate
    ]
    for item, (status, signed, fed, reviewed, returned, rework) in zip(items, plan, strict=True):
        InstructionItem.objects.filter(pk=item.pk).update(
            status=status,
            signed_at=issued + signed * H if signed is not None else None,
            fed_back_at=issued + fed * H if fed is not None else None,
            reviewed_at=issued + reviewed * H if reviewed is not None else None,
            returned_count=returned,
            rework_count=rework,
        )
    p = batch_progress(centre, [batch.pk])[batch.pk]
    assert (p.total, p.cancelled, p.signed, p.fed_back, p.on_time) == (8, 1, 5, 4, 3)
    assert (p.returned, p.rework, p.approved, p.overdue) == (1, 2, 2, 3)
    assert p.signed_pct == round(100 * 5 / 7, 1)
    assert p.fed_back_pct == round(100 * 4 / 7, 1)
    assert p.on_time_pct == 75.0
    assert p.returned_pct == round(100 / 7, 1)
    assert p.signed <= p.total - p.cancelled  # no rate above 100 %
    assert p.avg_hours_to_sign == round((2 + 4 + 1 + 3 + 6) / 5, 1)
    assert p.avg_hours_to_finish == round((96 + 99) / 2, 1)
    by_station = station_progress(centre, batch_id=batch.pk)
    assert (by_station[first.pk].total, by_station[first.pk].overdue) == (6, 3)
    assert (by_station[second.pk].total, by_station[second.pk].overdue) == (2, 0)
    late = list(late_items(centre).values_list("pk", flat=True))
    assert late == [items[0].pk, items[1].pk, items[5].pk]
    # a station sees only its own items in the same statistics
    room = demo.user("command_room")
    assert batch_progress(room, [batch.pk])[batch.pk].total == 6
    assert set(station_progress(room)) == {first.pk}


def test_late_and_worklog_pages(demo: Demo) -> None:
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre, title="核查", category="population", targets=[TargetRef("house", house_in(grid).pk)]
    )
    issue_batch(actor=centre, batch=batch)
    InstructionItem.objects.update(deadline=timezone.now() - H)
    page = demo.client_for("centre_operator").get(f"/instructions/late/?station={demo.stations[0].pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert demo.stations[0].name in body
    assert f'href="/instructions/items/{InstructionItem.objects.get().pk}/"' in body
    other = demo.client_for("centre_operator").get(f"/instructions/late/?station={demo.stations[1].pk}")
    assert "/instructions/items/" not in other.content.decode()
    log = demo.client_for("centre_operator").get("/instructions/worklog/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "下发指令" in log.content.decode()
    from zhufang.audit.models import AuditAction, AuditEntry

    demo.client_for("centre_operator").get("/api/v1/instructions/worklog.csv")
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="instructions.worklog").count() == 1
