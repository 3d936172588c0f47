"""A real browser (Debian's Chromium through Playwright) logs in and sees the tree and the map."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from zhufang.conftest import load_demo
from zhufang.org.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


@pytest.fixture
def browser_page() -> Iterator[object]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes between
    # browser steps are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        context.route(
            "**/*",
            lambda route: route.continue_()
            if route.request.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else route.abort(),
        )  # prove nothing is fetched from outside
        page = context.new_page()
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_login_tree_and_map(live_server: object, browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    demo = load_demo()
    page = browser_page
    assert isinstance(page, Page)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    base = live_server.url  # type: ignore[attr-defined]
    page.goto(f"{base}/login/")
    expect(page.locator("h1")).to_contain_text("主防")
    page.fill("#id_police_number", "100001")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("whoami")).to_contain_text("100001")
    expect(page.get_by_test_id("count-stations")).to_have_text(str(len(demo.stations)))

    page.goto(f"{base}/org/")
    tree = page.get_by_test_id("org-tree")
    for station in demo.stations:
        expect(tree).to_contain_text(station.name)
    map_div = page.get_by_test_id("org-map")
    expect(map_div).to_have_attribute("data-ready", "1", timeout=15000)
    expect(map_div).to_have_attribute("data-features", str(len(demo.stations)))
    assert page.locator("#map canvas").count() >= 1
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"')"), "fonts-noto-cjk is missing"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "org-tree.png"), full_page=True)

    # drill into a station: the map now shows its districts
    page.locator(f"a[href='?unit={demo.stations[0].pk}']").first.click()
    expect(page.get_by_test_id("current-unit")).to_have_text(demo.stations[0].name)
    districts = [d for d in demo.districts if d.parent_id == demo.stations[0].pk]
    expect(page.get_by_test_id("org-map")).to_have_attribute("data-features", str(len(districts)), timeout=15000)

    # expanding a district loads its grids with HTMX
    district = districts[0]
    page.locator(f"summary:has(a[href='?unit={district.pk}'])").click()
    first_grid = next(g for g in demo.grids if g.parent_id == district.pk)
    expect(tree).to_contain_text(first_grid.name)

    # switch to English
    page.get_by_test_id("language").select_option("en")
    expect(page.locator("h3.card-title").first).to_have_text("Organisation tree")
    assert not failed, f"requests failed: {failed}"
