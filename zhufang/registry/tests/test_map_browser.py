"""A real browser searches the registry and sees the result map: the canvas drawn on the bureau's own
polygons and exactly the in-scope houses as points in the chart."""

from __future__ import annotations

import pytest

from zhufang.conftest import load_demo
from zhufang.org.demo import DEMO_PASSWORD
from zhufang.registry.tests.test_map import new_house
from zhufang.web.tests.test_browser import SCREENSHOTS, browser_page  # noqa: F401 - the fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
POINT_COUNT = "echarts.getInstanceByDom(document.getElementById('search-map')).getOption().series[0].data.length"


def test_search_shows_the_scoped_result_on_the_map(live_server: object, browser_page: object) -> None:  # noqa: F811
    from playwright.sync_api import Page, expect

    demo = load_demo()
    head = demo.user("station_head")
    own_grids = [g for g in demo.grids if g.path.startswith(head.unit.path)]
    other_grid = next(g for g in demo.grids if not g.path.startswith(head.unit.path))
    for i, grid in enumerate(own_grids[:3]):
        new_house(grid, f"B{i}", "幸福路")
    new_house(other_grid, "B9", "幸福路")  # another station's: never on this map

    page = browser_page
    assert isinstance(page, Page)
    base = live_server.url  # type: ignore[attr-defined]
    page.goto(f"{base}/login/")
    page.fill("#id_police_number", head.police_number)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("whoami")).to_contain_text(head.police_number)
    page.goto(f"{base}/registry/")
    page.fill("input[name=q]", "幸福路")
    page.locator("form button.btn-primary").click()
    search_map = page.get_by_test_id("search-map")
    expect(search_map).to_have_attribute("data-ready", "1", timeout=15000)
    assert page.locator("#search-map canvas").count() >= 1
    assert page.evaluate(POINT_COUNT) == 3
    expect(search_map).to_have_attribute("data-point-count", "3")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "registry-search-map.png"), full_page=True)
