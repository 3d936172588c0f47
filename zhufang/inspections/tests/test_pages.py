"""Inspection pages render in Chinese: my inspections (overdue first and highlighted), one object
with its cadence and the record form, the station head's table, the cadence rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhufang.conftest import Demo
from zhufang.inspections.models import Inspection
from zhufang.inspections.tests.factories import establishment, house
from zhufang.org.models import OrgUnit

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_my_inspections_lists_overdue_first_in_chinese(demo: Demo, grids: tuple[OrgUnit, ...]) -> None:
    today = timezone.localdate()
    overdue = house(grids[0], "rental")  # registered long ago, never inspected
    due = house(grids[0], "rental", registered=today)
    done = house(grids[0], "rental")
    Inspection.objects.create(house=done, inspected_on=today, result="normal", owner_unit=grids[0])
    hotel = establishment(grids[1], "旅馆")
    page = demo.client_for("community_officer").get("/inspections/").content.decode()
    assert "我的检查" in page and "待办" in page and "My inspections" not in page
    first, second = page.index(overdue.address.full_text), page.index(due.address.full_text)
    assert first < second and done.address.full_text not in page and hotel.name in page
    row = page[page.rindex("<a", 0, first) : first]
    assert "list-group-item-danger" in row and 'data-status="overdue"' in row
    assert 'data-testid="count-todo">3<' in page and 'data-testid="count-overdue">2<' in page
    done_page = demo.client_for("community_officer").get("/inspections/", {"status": "done"}).content.decode()
    assert done.address.full_text in done_page and overdue.address.full_text not in done_page


def test_object_page_shows_cadence_officer_and_form(demo: Demo, grids: tuple[OrgUnit, ...]) -> None:
    target = house(grids[0], "self_occupied", owner_name="周建国")
    Inspection.objects.create(
        house=target,
        inspected_on=timezone.localdate() - dt.timedelta(days=400),
        result="hazard_found",
        hazards=["私拉乱接电线"],
        owner_unit=grids[0],
    )
    page = demo.client_for("community_officer").get(f"/inspections/house/{target.pk}/").content.decode()
    for text in (
        "逾期",
        "每半年",
        "责任社区民警",
        "社区民警（100005）",
        "记录检查",
        "检查日期",
        "发现隐患",
        "私拉乱接电线",
        "周建国",
    ):
        assert text in page, text
    assert 'data-testid="watermark"' in page
    assert f'value="{timezone.localdate().isoformat()}"' in page  # the date input shows today (ISO for type=date)
    assert "原定截止" in page and "Idempotency" not in page
    worker_page = demo.client_for("grid_worker").get(f"/inspections/house/{target.pk}/").content.decode()
    assert "周**" in worker_page and "周建国" not in worker_page and "记录检查" in worker_page
    head_page = demo.client_for("leader").get(f"/inspections/house/{target.pk}/").content.decode()
    assert "逾期" in head_page and 'data-testid="record-form"' not in head_page


def test_station_page_and_rules_page_in_chinese(demo: Demo, grids: tuple[OrgUnit, ...]) -> None:
    house(grids[0], "rental")
    station = demo.client_for("station_head").get("/inspections/station/").content.decode()
    for text in ("民警检查情况", "警务区", "社区民警", "房屋逾期", "场所待查", "应查总数", "100005"):
        assert text in station, text
    assert "Inspections by officer" not in station
    rules = demo.client_for("community_officer").get("/inspections/rules/").content.decode()
    for text in (
        "检查周期规则",
        "出租",
        "每月",
        "自住",
        "每半年",
        "在建工地",
        "每周（自然周）",
        "旅馆",
        "典当",
        "每季度",
    ):
        assert text in rules, text
    assert "新增规则" not in rules  # only the centre edits
    centre = demo.client_for("centre_operator").get("/inspections/rules/").content.decode()
    assert "新增规则" in centre
