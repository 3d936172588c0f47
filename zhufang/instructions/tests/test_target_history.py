"""The item page's target history: earlier instruction items on the same target with their dates and
result, and the inspections of that house or establishment — in scope only, masked for viewers without
personal-data access, results hidden from departments."""

from __future__ import annotations

import pytest
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.conftest import Demo
from zhufang.inspections.services import record_inspection
from zhufang.instructions import transitions as T
from zhufang.instructions.issuing import create_batch, issue_batch
from zhufang.instructions.models import InstructionItem
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.target_history import target_history_of
from zhufang.instructions.tests.factories import house_in
from zhufang.privacy.masking import mask_name
from zhufang.registry.models import House

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _history_of_a_house(demo: Demo) -> tuple[House, InstructionItem, InstructionItem]:
    """An approved population check and an inspection of one house, then a new visit item on it."""
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    house = house_in(grid)
    centre, room, officer = demo.user("centre_operator"), demo.user("command_room"), demo.user("community_officer")
    first = create_batch(actor=centre, title="核查", category="population", targets=[TargetRef("house", house.pk)])
    issue_batch(actor=centre, batch=first)
    earlier = InstructionItem.objects.get()
    T.sign_for(actor=room, item_ids=[earlier.pk])
    T.feed_back(actor=officer, item_id=earlier.pk, data={"result": "信息有误已更正"}, lon=118.5, lat=36.5)
    T.approve(actor=room, item_ids=[earlier.pk])
    record_inspection(
        actor=officer, target=house, inspected_on=timezone.localdate(), result="hazard_found", hazards=["电线私拉"]
    )
    department = demo.user("department")
    second = create_batch(actor=department, title="走访", category="visit", targets=[TargetRef("house", house.pk)])
    issue_batch(actor=centre, batch=second)
    current = InstructionItem.objects.exclude(pk=earlier.pk).get()
    return house, earlier, current


def test_the_station_sees_earlier_items_with_their_result_and_the_inspections(demo: Demo) -> None:
    _house, earlier, current = _history_of_a_house(demo)
    history = target_history_of(demo.user("command_room"), current.pk)
    assert history is not None and history.has_target
    assert [(i.id, i.category_name, i.status, i.result) for i in history.items] == [
        (earlier.pk, "人口管理核查", "approved", "信息有误已更正")
    ]
    assert history.items[0].fed_back_at is not None
    assert history.inspections is not None
    assert [(s.result, s.hazards, s.inspector) for s in history.inspections] == [
        ("hazard_found", ["电线私拉"], demo.user("community_officer").name)
    ]
    # the earlier item's own history has nothing before it
    before = target_history_of(demo.user("command_room"), earlier.pk)
    assert before is not None and before.items == []


def test_a_grid_worker_sees_names_masked_and_no_results(demo: Demo) -> None:
    _house, earlier, current = _history_of_a_house(demo)
    worker = demo.user("grid_worker")
    history = target_history_of(worker, current.pk)
    assert history is not None
    assert [(i.id, i.result) for i in history.items] == [(earlier.pk, "")]
    assert history.inspections is not None
    assert [s.inspector for s in history.inspections] == [mask_name(demo.user("community_officer").name)]


def test_a_department_sees_what_it_requested_without_results_or_inspections(demo: Demo) -> None:
    _house, _earlier, current = _history_of_a_house(demo)
    history = target_history_of(demo.user("department"), current.pk)
    assert history is not None
    assert history.items == []  # the earlier check was the centre's, outside the department's scope
    assert history.inspections == []


def test_outside_the_scope_there_is_no_history(demo: Demo) -> None:
    _house, _earlier, current = _history_of_a_house(demo)
    other_room = User.objects.filter(unit=demo.stations[1], roles__code="command_room").first()
    assert other_room is not None
    assert target_history_of(other_room, current.pk) is None
    client = demo.client_for("command_room")
    assert client.get(f"/api/v1/instructions/items/{current.pk}/target-history").status_code == 200
    other = User.objects.get(pk=other_room.pk)
    outsider = demo.client_for("command_room")
    outsider.force_login(other)
    assert outsider.get(f"/api/v1/instructions/items/{current.pk}/target-history").status_code == 404


def test_the_item_page_shows_the_target_history(demo: Demo) -> None:
    _house, earlier, current = _history_of_a_house(demo)
    page = demo.client_for("command_room").get(f"/instructions/items/{current.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert 'data-testid="target-history"' in text
    assert f'<a href="/instructions/items/{earlier.pk}/">{earlier.pk}</a></td><td>人口管理核查</td>' in text
    assert "电线私拉" in text
    body = demo.client_for("command_room").get(f"/api/v1/instructions/items/{current.pk}/target-history").json()
    assert [i["id"] for i in body["items"]] == [earlier.pk]
    assert body["inspections"][0]["result"] == "hazard_found"


def test_a_free_location_has_no_target_history(demo: Demo) -> None:
    grid = demo.grids[0]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre,
        title="巡查",
        category="hazard",
        targets=[TargetRef("location", lon=grid.centroid_lon, lat=grid.centroid_lat, label="河道东岸")],
    )
    issue_batch(actor=centre, batch=batch)
    item = InstructionItem.objects.get()
    history = target_history_of(centre, item.pk)
    assert history is not None and not history.has_target and history.inspections is None
    page = demo.client_for("centre_operator").get(f"/instructions/items/{item.pk}/").content.decode()
    assert 'data-testid="target-history"' not in page
