"""Picking free locations for a draft batch: the draft page carries the map (polygons from the
organisation map API, drawn offline) and the targets form; points inside the county are added, points
outside are refused by the routing check; Chromium clicks the map and adds the point."""

from __future__ import annotations

import pytest

from zhufang.conftest import Demo, load_demo
from zhufang.instructions.issuing import create_batch, issue_batch
from zhufang.instructions.models import BatchMembership, InstructionItem
from zhufang.web.tests.test_browser import browser_page  # noqa: F401 - the shared Chromium fixture


@pytest.mark.django_db
@pytest.mark.sqlite
def test_map_picked_lines_inside_the_county_are_added_and_outside_refused(demo: Demo) -> None:
    grid = demo.grids[3]
    centre = demo.user("centre_operator")
    batch = create_batch(actor=centre, title="巡查点位", category="hazard")
    client = demo.client_for("centre_operator")
    page = client.get(f"/instructions/batches/{batch.pk}/").content.decode()
    assert 'data-testid="target-map"' in page and "/static/instructions/targetmap.js" in page
    url = f"/instructions/batches/{batch.pk}/targets/"
    inside = f"{grid.centroid_lon:.6f},{grid.centroid_lat:.6f} 河道东岸"
    refused = client.post(url, {"targets": f"{inside}\n100.000000,30.000000 外县"}, follow=True)
    assert "第2条：该位置不在本局辖区内" in refused.content.decode()
    assert not BatchMembership.objects.filter(batch=batch).exists()  # all lines or none
    client.post(url, {"targets": inside + "\n"})
    assert list(BatchMembership.objects.filter(batch=batch).values_list("target_kind", "label")) == [
        ("location", "河道东岸")
    ]
    issue_batch(actor=centre, batch=batch)
    item = InstructionItem.objects.get()
    assert item.owner_unit_id == grid.pk
    # a department's draft, an issued batch: no targets form
    assert 'data-testid="target-map"' not in client.get(f"/instructions/batches/{batch.pk}/").content.decode()
    other = create_batch(actor=centre, title="他人草稿", category="hazard")
    assert demo.client_for("department").post(f"/instructions/batches/{other.pk}/targets/", {}).status_code == 404
    assert demo.client_for("command_room").get(f"/instructions/batches/{other.pk}/import/").status_code == 403


@pytest.mark.browser
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_clicking_the_map_adds_a_location(live_server: object, browser_page: object) -> None:  # noqa: F811
    from playwright.sync_api import Page, expect

    demo = load_demo()
    page = browser_page
    assert isinstance(page, Page)
    base = live_server.url  # type: ignore[attr-defined]
    grid = demo.grids[5]
    batch = create_batch(actor=demo.user("centre_operator"), title="地图选点", category="hazard")
    page.goto(f"{base}/login/")
    page.fill("#id_police_number", "100001")
    page.fill("#id_password", "Zhufang@2026")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("whoami")).to_contain_text("100001")
    page.goto(f"{base}/instructions/batches/{batch.pk}/")
    chart = page.get_by_test_id("target-map")
    expect(chart).to_have_attribute("data-ready", "1")
    # where the grid's centre is drawn, as ECharts computes it
    x, y = page.evaluate(
        "([lon, lat]) => echarts.getInstanceByDom(document.querySelector('[data-target-map]'))"
        ".convertToPixel({geoIndex: 0}, [lon, lat])",
        [grid.centroid_lon, grid.centroid_lat],
    )
    page.get_by_test_id("target-label").fill("桥头")
    chart.click(position={"x": x, "y": y})
    expect(chart).to_have_attribute("data-picked", "1")
    line = page.get_by_test_id("target-lines").input_value().strip()
    lon, rest = line.split(",", 1)
    lat, label = rest.split(" ", 1)
    assert label == "桥头"
    assert abs(float(lon) - grid.centroid_lon) < 0.002 and abs(float(lat) - grid.centroid_lat) < 0.002  # type: ignore[operator]
    page.get_by_test_id("add-targets").click()
    expect(page.locator(".alert-success")).to_contain_text("已添加1个目标")
    membership = BatchMembership.objects.get(batch=batch)
    assert (membership.target_kind, membership.label) == ("location", "桥头")
