"""Issuing batches: routing by jurisdiction, merging across departments, notifying stations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhufang.conftest import Demo
from zhufang.events.models import DomainEvent
from zhufang.instructions.issuing import create_batch, issue_batch, submit_request
from zhufang.instructions.models import BatchMembership, BatchStatus, InstructionItem, ItemStatus
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.stats import batch_progress, merged_counts
from zhufang.instructions.tests.factories import house_in
from zhufang.instructions.transitions import approve, feed_back, sign_for
from zhufang.notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _grids_of_two_stations(demo: Demo) -> tuple[list, list]:
    first, second = demo.stations[0], demo.stations[1]
    return (
        [g for g in demo.grids if g.path.startswith(first.path)],
        [g for g in demo.grids if g.path.startswith(second.path)],
    )


def test_items_route_to_the_station_and_district_of_their_target(demo: Demo) -> None:
    mine, other = _grids_of_two_stations(demo)
    houses = [house_in(mine[0]), house_in(mine[-1]), house_in(other[0])]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre, title="出租屋核查", category="population", targets=[TargetRef("house", h.pk) for h in houses]
    )
    report = issue_batch(actor=centre, batch=batch)
    assert (report.created, report.merged) == (3, 0)
    items = {i.target_id: i for i in InstructionItem.objects.all()}
    for house in houses:
        item = items[house.pk]
        grid = house.owner_unit
        assert grid is not None and grid.parent is not None
        assert item.owner_unit_id == grid.pk
        assert item.district_id == grid.parent_id
        assert item.station_id == grid.parent.parent_id
        assert item.status == ItemStatus.ISSUED
        assert item.target_label == house.address.full_text
    assert report.stations == {demo.stations[0].pk: 2, demo.stations[1].pk: 1}
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ISSUED
    # each station's command room is told once, with its own count
    room = demo.user("command_room")
    titles = list(Notification.objects.filter(recipient=room).values_list("title", flat=True))
    assert titles == ["【人口管理核查】出租屋核查：2条指令待签收"]
    assert DomainEvent.objects.filter(kind="instruction.issued").count() == 3


def test_a_second_department_merges_into_the_open_item_and_keeps_the_earliest_deadline(demo: Demo) -> None:
    mine, _other = _grids_of_two_stations(demo)
    shared, own = house_in(mine[0]), house_in(mine[1])
    centre, department = demo.user("centre_operator"), demo.user("department")
    late = timezone.now() + dt.timedelta(days=20)
    first = create_batch(
        actor=centre, title="A", category="population", deadline=late, targets=[TargetRef("house", shared.pk)]
    )
    issue_batch(actor=centre, batch=first)
    early = timezone.now() + dt.timedelta(days=2)
    second = create_batch(
        actor=department,
        title="B",
        category="population",
        deadline=early,
        targets=[TargetRef("house", shared.pk), TargetRef("house", own.pk)],
    )
    submit_request(actor=department, batch=second)
    with pytest.raises(PermissionDenied):
        issue_batch(actor=department, batch=second)
    report = issue_batch(actor=centre, batch=second)
    assert (report.created, report.merged) == (1, 1)
    assert InstructionItem.objects.count() == 2
    item = InstructionItem.objects.get(target_id=shared.pk)
    assert item.deadline == early
    assert set(BatchMembership.objects.filter(item=item).values_list("batch_id", flat=True)) == {first.pk, second.pk}
    assert merged_counts([first.pk, second.pk]) == {second.pk: 1}
    progress = batch_progress(centre, [first.pk, second.pk])
    assert (progress[first.pk].total, progress[second.pk].total) == (1, 2)
    # the requesting department sees its items at any station, including the merged one
    seen = set(InstructionItem.objects.visible_to(department).values_list("pk", flat=True))
    assert seen == set(InstructionItem.objects.values_list("pk", flat=True))


def test_another_category_or_a_finished_item_does_not_merge(demo: Demo) -> None:
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    house = house_in(grid)
    centre = demo.user("centre_operator")
    issue_batch(
        actor=centre,
        batch=create_batch(actor=centre, title="A", category="population", targets=[TargetRef("house", house.pk)]),
    )
    report = issue_batch(
        actor=centre,
        batch=create_batch(actor=centre, title="B", category="visit", targets=[TargetRef("house", house.pk)]),
    )
    assert report.created == 1
    # finish the population item: a new population batch then opens a new item
    item = InstructionItem.objects.get(category="population")
    sign_for(actor=demo.user("command_room"), item_ids=[item.pk])
    feed_back(actor=demo.user("community_officer"), item_id=item.pk, data={"result": "信息属实"}, lon=118.5, lat=36.5)
    approve(actor=demo.user("command_room"), item_ids=[item.pk])
    report = issue_batch(
        actor=centre,
        batch=create_batch(actor=centre, title="C", category="population", targets=[TargetRef("house", house.pk)]),
    )
    assert (report.created, report.merged) == (1, 0)
    assert InstructionItem.objects.filter(category="population").count() == 2


def test_a_target_listed_twice_in_one_batch_is_one_item(demo: Demo) -> None:
    grid = demo.grids[0]
    house = house_in(grid)
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre,
        title="A",
        category="population",
        targets=[TargetRef("house", house.pk), TargetRef("house", house.pk)],
    )
    report = issue_batch(actor=centre, batch=batch)
    assert (report.created, report.duplicates_in_batch) == (1, 1)
    assert BatchMembership.objects.filter(batch=batch).count() == 1


def test_free_locations_route_by_point_and_outside_points_are_refused(demo: Demo) -> None:
    grid = demo.grids[3]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre,
        title="溺水隐患点",
        category="hazard",
        targets=[TargetRef("location", lon=grid.centroid_lon, lat=grid.centroid_lat, label="河道东岸")],
    )
    issue_batch(actor=centre, batch=batch)
    item = InstructionItem.objects.get()
    assert item.owner_unit_id == grid.pk and item.target_label == "河道东岸"
    with pytest.raises(ValidationError) as refused:
        create_batch(actor=centre, title="x", category="hazard", targets=[TargetRef("location", lon=10.0, lat=10.0)])
    assert "第1条：该位置不在本局辖区内" in str(refused.value)


def test_bad_batches_are_refused_and_nothing_is_written(demo: Demo) -> None:
    centre = demo.user("centre_operator")
    house = house_in(demo.grids[0])
    with pytest.raises(ValidationError) as past:
        create_batch(actor=centre, title="A", category="population", deadline=timezone.now() - dt.timedelta(hours=1))
    assert "截止时间不能早于当前时间" in str(past.value)
    with pytest.raises(ValidationError) as wrong_kind:
        create_batch(actor=centre, title="A", category="unit_supervision", targets=[TargetRef("house", house.pk)])
    assert "不能指向" in str(wrong_kind.value)
    with pytest.raises(ValidationError):
        create_batch(actor=centre, title="A", category="population", targets=[TargetRef("house", 999_999)])
    with pytest.raises(PermissionDenied):
        create_batch(actor=demo.user("community_officer"), title="A", category="population")
    from zhufang.instructions.models import InstructionBatch

    assert not InstructionBatch.objects.exists() and not BatchMembership.objects.exists()
    batch = create_batch(actor=centre, title="A", category="population", targets=[TargetRef("house", house.pk)])
    issue_batch(actor=centre, batch=batch)
    with pytest.raises(ValidationError):
        issue_batch(actor=centre, batch=batch)
    assert InstructionItem.objects.count() == 1


def test_hour_deadlines_and_working_day_deadlines(demo: Demo) -> None:
    centre = demo.user("centre_operator")
    house = house_in(demo.grids[0])
    now = dt.datetime(2026, 9, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    warn = create_batch(actor=centre, title="预警", category="anti_fraud", targets=[TargetRef("house", house.pk)])
    issue_batch(actor=centre, batch=warn, now=now)
    assert InstructionItem.objects.get(category="anti_fraud").deadline == now + dt.timedelta(hours=1)
    # 3 working days from Wednesday 30 September 2026, across the National Day holiday (1–7 October)
    # and its adjusted working Saturday 10 October: Thu 8, Fri 9, Sat 10 → due at the end of 10 October
    population = create_batch(actor=centre, title="核查", category="population", targets=[TargetRef("house", house.pk)])
    issue_batch(actor=centre, batch=population, now=now)
    due = timezone.localtime(InstructionItem.objects.get(category="population").deadline)
    assert (due.date(), due.hour, due.minute) == (dt.date(2026, 10, 10), 23, 59)
