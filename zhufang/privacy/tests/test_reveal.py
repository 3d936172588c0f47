"""Revealing a protected identifier: permission, scope and a reason, always audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhufang.accounts import services
from zhufang.accounts.models import User
from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.privacy.reveal import reveal

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def officer_with_phone(demo: Demo) -> User:
    officer = demo.user("community_officer")
    services.update_user(actor=demo.user("system_admin"), user=officer, phone="13812345678")
    officer.refresh_from_db()
    return officer


def test_reveal_with_reason_returns_plaintext_and_is_audited(demo: Demo, officer_with_phone: User) -> None:
    head = demo.user("station_head")
    value = reveal(actor=head, obj=officer_with_phone, field="phone", reason="联系核查指令", instruction_item_id=42)
    assert value == "13812345678"
    entry = AuditEntry.objects.filter(action=AuditAction.REVEAL).latest("id")
    assert (entry.actor_id, entry.reason, entry.instruction_item_id, entry.changes) == (
        head.pk,
        "联系核查指令",
        42,
        {"field": "phone"},
    )


def test_reveal_refused_without_permission_reason_or_scope(demo: Demo, officer_with_phone: User) -> None:
    before = AuditEntry.objects.filter(action=AuditAction.REVEAL).count()
    with pytest.raises(PermissionDenied):
        reveal(actor=demo.user("system_admin"), obj=officer_with_phone, field="phone", reason="管理需要")
    with pytest.raises(ValidationError, match="reason"):
        reveal(actor=demo.user("station_head"), obj=officer_with_phone, field="phone", reason=" ")
    other_station_head = demo.user("station_head")
    other_station_head.unit = demo.stations[1]
    with pytest.raises(PermissionDenied, match="scope"):
        reveal(actor=other_station_head, obj=officer_with_phone, field="phone", reason="越权查看")
    with pytest.raises(ValidationError, match="not a protected identifier"):
        reveal(actor=demo.user("station_head"), obj=officer_with_phone, field="name", reason="随便看看")
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL).count() == before


def test_api_masks_by_default_and_reveals_with_reason(demo: Demo, officer_with_phone: User) -> None:
    client = demo.client_for("station_head")
    listed = client.get(f"/api/v1/accounts/users/{officer_with_phone.pk}").json()
    assert listed["phone_masked"] == "138****5678"
    url = f"/api/v1/accounts/users/{officer_with_phone.pk}/reveal"
    refused = client.post(url, {"field": "phone", "reason": ""}, content_type="application/json")
    assert refused.status_code == 422
    shown = client.post(url, {"field": "phone", "reason": "回访联系"}, content_type="application/json")
    assert shown.status_code == 200 and shown.json()["value"] == "13812345678"


def test_reveal_page_carries_the_viewers_watermark(demo: Demo, officer_with_phone: User) -> None:
    client = demo.client_for("station_head")
    html = client.post(
        f"/accounts/users/{officer_with_phone.pk}/reveal/",
        {"reason": "联系核查"},
    ).content.decode()
    assert "13812345678" in html and 'data-testid="watermark"' in html
    import base64
    import re

    encoded = re.search(r"base64,([A-Za-z0-9+/=]+)\)", html)
    assert encoded is not None
    head = demo.user("station_head")
    assert f"{head.name} {head.police_number}" in base64.b64decode(encoded.group(1)).decode()
