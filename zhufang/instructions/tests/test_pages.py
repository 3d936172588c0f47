"""The pages render in Chinese for each role and act through the services."""

from __future__ import annotations

import pytest

from zhufang.conftest import Demo
from zhufang.instructions.models import InstructionBatch, InstructionItem
from zhufang.instructions.tests.factories import house_in

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_centre_creates_and_issues_a_batch_from_typed_targets(demo: Demo) -> None:
    house = house_in(demo.grids[0])
    grid = demo.grids[2]
    client = demo.client_for("centre_operator")
    page = client.get("/instructions/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "指令中心" in page.content.decode()
    answer = client.post(
        "/instructions/",
        {
            "title": "核查",
            "category": "hazard",
            "targets": f"house:{house.pk}\n{grid.centroid_lon},{grid.centroid_lat} 河道东岸\n不存在的某某路999号",
        },
        follow=True,
    )
    assert "第3行：地址“不存在的某某路999号”未匹配到标准地址" in answer.content.decode()
    assert not InstructionBatch.objects.exists()
    client.post("/instructions/", {"title": "核查", "category": "hazard", "targets": f"house:{house.pk}"})
    batch = InstructionBatch.objects.get()
    client.post(f"/instructions/batches/{batch.pk}/", {"op": "issue"})
    assert InstructionItem.objects.count() == 1
    detail = client.get(f"/instructions/batches/{batch.pk}/").content.decode()
    assert "已下发" in detail


def test_role_pages_are_refused_without_the_permission(demo: Demo) -> None:
    assert demo.client_for("grid_worker").get("/instructions/station/").status_code == 403
    assert demo.client_for("grid_worker").get("/instructions/mine/").status_code == 403
    assert demo.client_for("community_officer").get("/instructions/station/").status_code == 403
    assert demo.client_for("command_room").get("/instructions/station/").status_code == 200
    assert demo.client_for("community_officer").get("/instructions/mine/").status_code == 200


def test_the_station_page_counts_items_per_state(demo: Demo) -> None:
    from zhufang.instructions.issuing import create_batch, issue_batch
    from zhufang.instructions.routing import TargetRef

    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre,
        title="核查",
        category="population",
        targets=[TargetRef("house", house_in(grid).pk) for _ in range(3)],
    )
    issue_batch(actor=centre, batch=batch)
    page = (
        demo.client_for("command_room").get("/instructions/station/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    tab = page.split('data-testid="tab-issued"', 1)[1].split("</a>", 1)[0]
    assert ">3</span>" in tab
