"""Audit trail: completeness, append-only triggers, sealing, tamper detection, retention purge."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from zhufang.accounts import services as account_services
from zhufang.audit.models import AuditAction, AuditCheckpoint, AuditEntry
from zhufang.audit.sealing import purge_expired, seal_pending, verify_chain
from zhufang.audit.services import AuditDraft, record, record_many
from zhufang.conftest import Demo
from zhufang.org import services as org_services

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def drop_append_only_triggers() -> None:
    """Simulate an attacker with direct database access (inside the test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in ("audit_no_update", "audit_seal_once", "audit_no_delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit_auditentry")


def restore_append_only_triggers() -> None:
    migration = importlib.import_module("zhufang.audit.migrations.0002_append_only")
    statements = migration.SQLITE_CREATE if connection.vendor == "sqlite" else migration.POSTGRES_CREATE
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def test_every_service_write_leaves_an_audit_row(demo: Demo) -> None:
    admin = demo.user("system_admin")
    before = AuditEntry.objects.count()
    unit = org_services.create_unit(
        actor=admin, kind="district", code="X-001", name="测试警务区", parent=demo.stations[0]
    )
    org_services.update_unit(actor=admin, unit=unit, name="测试警务区（改）", head_name="李四")
    user, _ = account_services.create_user(actor=admin, police_number="500001", name="张三", unit=unit)
    account_services.update_user(actor=admin, user=user, title="社区民警")
    rows = list(AuditEntry.objects.filter(id__gt=0).order_by("-id")[: AuditEntry.objects.count() - before])
    assert [r.action for r in reversed(rows)] == ["create", "update", "create", "update"]
    update = next(r for r in rows if r.object_type == "org.orgunit" and r.action == "update")
    assert update.changes == {"head_name": ["", "李四"], "name": ["测试警务区", "测试警务区（改）"]}
    assert all(r.actor_id == admin.pk and r.actor_unit_id == admin.unit_id for r in rows)


def test_request_address_is_recorded(demo: Demo) -> None:
    client = Client(REMOTE_ADDR="10.20.30.40")
    client.force_login(demo.user("system_admin"))
    response = client.post(
        "/org/units/new/", {"kind": "district", "code": "X-IP", "name": "地址测试", "parent": demo.stations[0].pk}
    )
    assert response.status_code == 302
    row = AuditEntry.objects.get(object_type="org.orgunit", action="create", object_label__contains="X-IP")
    assert row.ip == "10.20.30.40" and len(row.request_id) == 32


def test_bulk_record_and_chain_verifies(demo: Demo) -> None:
    record_many(
        [
            AuditDraft(action=AuditAction.EXPORT, object_type="test", object_id=str(i), reason="批量")
            for i in range(500)
        ],
        actor=demo.user("centre_operator"),
    )
    sealed = seal_pending()
    assert sealed >= 500
    assert not AuditEntry.objects.filter(seal__isnull=True).exists()
    report = verify_chain()
    assert report.ok and report.checked == AuditEntry.objects.count() and report.unsealed_tail == 0


def test_triggers_refuse_update_reseal_and_delete(demo: Demo) -> None:
    entry = record(action=AuditAction.VIEW, object_type="test", object_id="1", reason="原因")
    for statement in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(reason="改过"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    seal_pending()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(seal="0" * 64)
    entry.refresh_from_db()
    assert entry.reason == "原因"


def test_changed_row_is_detected(demo: Demo) -> None:
    for i in range(5):
        record(action=AuditAction.VIEW, object_type="test", object_id=str(i))
    seal_pending()
    assert verify_chain().ok
    victim = AuditEntry.objects.filter(object_type="test").order_by("id")[2]
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=victim.pk).update(reason="事后篡改")
    report = verify_chain()
    assert not report.ok and report.first_bad_id == victim.pk


def test_deleted_row_is_detected(demo: Demo) -> None:
    for i in range(5):
        record(action=AuditAction.VIEW, object_type="test", object_id=str(i))
    seal_pending()
    rows = list(AuditEntry.objects.filter(object_type="test").order_by("id"))
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=rows[1].pk).delete()
    report = verify_chain()
    assert not report.ok and report.first_bad_id == rows[2].pk


def test_row_slipped_in_below_the_seal_head_is_detected(demo: Demo) -> None:
    for i in range(3):
        record(action=AuditAction.VIEW, object_type="test", object_id=str(i))
    seal_pending()
    first = AuditEntry.objects.order_by("id").first()
    assert first is not None
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=first.pk).delete()
    AuditEntry.objects.create(id=first.pk, action=AuditAction.VIEW, object_type="forged")
    report = verify_chain()
    assert not report.ok


def test_sealer_seals_over_a_gap_nobody_can_fill(demo: Demo) -> None:
    seal_pending()
    a = record(action=AuditAction.VIEW, object_type="gap", object_id="a")
    b = record(action=AuditAction.VIEW, object_type="gap", object_id="b")
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=a.pk).delete()  # as if a's transaction had rolled back
    assert seal_pending() == 1
    b.refresh_from_db()
    assert b.seal is not None and verify_chain().ok


def test_retention_purge_leaves_a_checkpoint_and_the_rest_verifies(demo: Demo) -> None:
    old = timezone.now() - dt.timedelta(days=400)
    for i in range(10):
        record(action=AuditAction.VIEW, object_type="old", object_id=str(i))
    drop_append_only_triggers()  # back-date the rows as if written 400 days ago …
    AuditEntry.objects.all().update(at=old)
    restore_append_only_triggers()  # … then the purge must work with the rules in force
    newest_old = AuditEntry.objects.order_by("-id").first()
    assert newest_old is not None
    expected_purged = AuditEntry.objects.count()
    for i in range(5):
        record(action=AuditAction.VIEW, object_type="new", object_id=str(i))
    seal_pending()
    assert purge_expired(retention_days=365) == expected_purged
    assert set(AuditEntry.objects.values_list("object_type", flat=True)) == {"new"}
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.upto_id == newest_old.pk and checkpoint.purged_count == expected_purged
    report = verify_chain()
    assert report.ok and report.checked == 5
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(object_type="new").delete()  # outside the purge: still refused
    AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(purged_count=1)
    assert not verify_chain().ok  # a forged checkpoint fails its signature


def test_retention_cannot_be_shorter_than_six_months(demo: Demo) -> None:
    with pytest.raises(ValueError, match="six months"):
        purge_expired(retention_days=30)


def test_audit_pages_browse_filter_and_verify(demo: Demo) -> None:
    record(
        action=AuditAction.EXPORT,
        actor=demo.user("centre_operator"),
        object_type="registry.person",
        object_id="7",
        reason="核查指令",
    )
    client = demo.client_for("audit_admin")
    html = client.get("/audit/", {"action": "export"}).content.decode()
    assert "核查指令" in html and "registry.person" in html
    assert "核查指令" not in client.get("/audit/", {"action": "login_success"}).content.decode()
    response = client.post("/audit/verify/")
    assert response.status_code == 200 and 'data-testid="verify-result"' in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.VERIFY, actor=demo.user("audit_admin")).exists()
    api = client.post("/api/v1/audit/verify").json()
    assert api["ok"] is True


def test_the_auditors_own_reading_is_audited(demo: Demo) -> None:
    auditor = demo.user("audit_admin")
    client = demo.client_for("audit_admin")
    client.get("/audit/", {"action": "reveal", "actor": "100004"})
    client.get("/api/v1/audit/entries", {"object_type": "accounts.user"})
    views = AuditEntry.objects.filter(action=AuditAction.VIEW, actor=auditor).order_by("id")
    assert [v.changes["filters"] for v in views] == [
        {"action": "reveal", "actor": "100004"},
        {"object_type": "accounts.user"},
    ]
