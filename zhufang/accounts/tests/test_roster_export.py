"""The roster follows scope and filters; its export needs the permission and a reason, is audited,
and keeps phone numbers masked."""

from __future__ import annotations

import csv
import io

import pytest

from zhufang.accounts import services
from zhufang.accounts.models import User
from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_station_head_exports_own_station_with_reason(demo: Demo) -> None:
    officer = demo.user("community_officer")
    services.update_user(actor=demo.user("system_admin"), user=officer, phone="13812345678")
    head = demo.user("station_head")
    client = demo.client_for("station_head")
    page = client.get("/accounts/roster/").content.decode()
    assert "138****5678" in page and "13812345678" not in page and 'data-testid="watermark"' in page

    refused = client.post("/accounts/roster/", {"reason": ""})
    assert refused.status_code == 200 and not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()

    response = client.post("/accounts/roster/", {"reason": "月度警力统计"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    exported = {row[0] for row in rows[1:]}
    in_scope = {u.police_number for u in User.objects.filter(unit__path__startswith=head.unit.path, is_active=True)}
    assert exported == in_scope
    assert "13812345678" not in response.content.decode() and "138****5678" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.actor_id, entry.reason, entry.changes["rows"]) == (head.pk, "月度警力统计", len(in_scope))


def test_export_follows_filters_and_needs_permission(demo: Demo) -> None:
    district = demo.districts[0]
    client = demo.client_for("station_head")
    response = client.post(f"/accounts/roster/?unit={district.pk}", {"reason": "警务区人员核对"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    expected = {u.police_number for u in User.objects.filter(unit__path__startswith=district.path, is_active=True)}
    assert {r[0] for r in rows} == expected and expected
    officer_client = demo.client_for("community_officer")  # no data.export
    assert officer_client.post("/accounts/roster/", {"reason": "想导出看看"}).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1
