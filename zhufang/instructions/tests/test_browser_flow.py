"""Chromium walks one item from issue to approval: the centre issues, the station signs for, the
officer feeds back on the phone page (location granted, draft kept), the station approves."""

from __future__ import annotations

import pytest

from zhufang.conftest import load_demo
from zhufang.instructions.models import InstructionItem, ItemStatus
from zhufang.instructions.tests.factories import house_in
from zhufang.org.demo import DEMO_PASSWORD
from zhufang.web.tests.test_browser import browser_page  # noqa: F401 - the shared Chromium fixture

pytestmark = [pytest.mark.browser, pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _login(page: object, base: str, number: str) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_police_number", number)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("whoami")).to_contain_text(number)


def test_one_item_from_issue_to_approval(live_server: object, browser_page: object) -> None:  # noqa: F811
    from playwright.sync_api import Page, expect

    demo = load_demo()
    page = browser_page
    assert isinstance(page, Page)
    base = live_server.url  # type: ignore[attr-defined]
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    house = house_in(grid)

    _login(page, base, "100001")  # the centre
    page.goto(f"{base}/instructions/")
    form = page.get_by_test_id("new-batch")
    form.locator("[name=title]").fill("出租屋人口核查")
    form.locator("[name=category]").select_option("population")
    form.locator("[name=targets]").fill(f"house:{house.pk}")
    form.locator("button").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("草稿")
    page.get_by_test_id("issue").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("已下发")

    _login(page, base, "100003")  # the station's command room
    page.goto(f"{base}/instructions/station/")
    item = InstructionItem.objects.get()
    page.locator(f"input[name=item][value='{item.pk}']").check()
    page.get_by_test_id("sign").click()
    expect(page.locator(".alert-success")).to_contain_text("已签收1条")

    _login(page, base, "100005")  # the community officer, on a phone-sized screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.grant_permissions(["geolocation"])
    assert grid.centroid_lon is not None and grid.centroid_lat is not None
    page.context.set_geolocation({"longitude": grid.centroid_lon, "latitude": grid.centroid_lat, "accuracy": 12})
    page.goto(f"{base}/instructions/mine/")
    page.get_by_test_id("my-items").locator("a").first.click()
    expect(page.get_by_test_id("target")).to_have_text(house.address.full_text)
    feedback = page.get_by_test_id("feedback-form")
    expect(feedback).to_have_attribute("data-ready", "1")  # the draft script is listening
    feedback.locator("[name=result]").select_option("信息属实")
    feedback.locator("[name=remarks]").fill("租户三人，已登记")
    page.reload()  # a dropped page keeps its draft
    expect(feedback).to_have_attribute("data-ready", "1")
    expect(feedback.locator("[name=remarks]")).to_have_value("租户三人，已登记")
    page.locator("[data-action=locate]").click()
    expect(page.get_by_test_id("location")).to_contain_text("±12m")
    with page.expect_navigation(timeout=30000):  # accepted: the page reloads itself
        page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("item-status")).to_have_text("已反馈")
    item.refresh_from_db()
    assert item.feedback == {"result": "信息属实", "remarks": "租户三人，已登记"}
    assert item.feedback_accuracy_m == 12

    page.set_viewport_size({"width": 1400, "height": 900})
    _login(page, base, "100003")
    page.goto(f"{base}/instructions/items/{item.pk}/")
    page.get_by_test_id("approve-one").click()
    expect(page.locator(".alert-success")).to_contain_text("已审核通过1条")
    item.refresh_from_db()
    assert item.status == ItemStatus.APPROVED
