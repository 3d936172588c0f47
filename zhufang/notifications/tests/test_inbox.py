"""Only the recipient reads an inbox, whatever their data scope; the senders run after commit."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from zhufang.conftest import Demo
from zhufang.notifications.models import Notification
from zhufang.notifications.services import notify, unread_count

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
SENT: list[str] = []


class RecordingSender:
    """A sender plugged in through settings, as a bureau plugs in its SMS gateway."""

    def send(self, messages: Sequence[Notification]) -> None:
        SENT.extend(m.title for m in messages)


def test_an_inbox_is_its_owners_alone(demo: Demo, settings: object, django_capture_on_commit_callbacks: object) -> None:
    settings.ZHUFANG_NOTIFICATION_SENDERS = [f"{__name__}.RecordingSender"]  # type: ignore[attr-defined]
    officer, centre = demo.user("community_officer"), demo.user("centre_operator")
    SENT.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        notify([officer.pk], kind="test", title="新的指令", link="/instructions/mine/")
        assert SENT == []  # nothing leaves before the transaction commits
    assert SENT == ["新的指令"]
    assert unread_count(officer) == 1
    assert demo.client_for("centre_operator").get("/api/v1/notifications/").json()["messages"] == []
    mine = demo.client_for("community_officer").get("/api/v1/notifications/").json()
    assert (mine["unread"], [m["title"] for m in mine["messages"]]) == (1, ["新的指令"])
    page = demo.client_for("community_officer").get("/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "新的指令" in page.content.decode()
    demo.client_for("community_officer").post("/notifications/")
    assert unread_count(officer) == 0 and unread_count(centre) == 0
