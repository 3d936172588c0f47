"""The sealer never seals past a sequence number that a transaction still in flight may commit
(PostgreSQL, where writers do not serialise; SQLite's single write lock makes this moot)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.audit.sealing import seal_pending, verify_chain
from zhufang.audit.services import record
from zhufang.conftest import Demo

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def test_sealer_waits_for_an_older_transaction_in_flight(demo: Demo) -> None:
    assert connection.vendor == "postgresql"
    seal_pending()
    params = connection.get_connection_params()
    with psycopg.connect(**params) as other:  # a second writer, its transaction left open
        inserted = other.execute(
            "INSERT INTO audit_auditentry (at, actor_label, request_id, action, object_type, object_id, "
            "object_label, changes, reason) VALUES (now(), '', '', 'view', 'slow', '1', '', '{}', '') RETURNING id"
        ).fetchone()
        assert inserted is not None
        slow_id = inserted[0]
        later = record(action=AuditAction.VIEW, object_type="fast", object_id="2")
        assert later.pk > slow_id
        seal_pending()
        later.refresh_from_db()
        assert later.seal is None  # the slow transaction might still commit its lower number
        other.rollback()
    assert seal_pending() >= 1
    later.refresh_from_db()
    assert later.seal is not None
    assert not AuditEntry.objects.filter(pk=slow_id).exists()
    assert verify_chain().ok
