"""Logging in by 警号: audit of every attempt, lockout, forced change of initial passwords,
password complexity, idle session expiry."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from zhufang.accounts import services
from zhufang.accounts.models import User
from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def login(client: Client, number: str, password: str) -> int:
    return client.post("/login/", {"police_number": number, "password": password}).status_code


def test_login_success_and_failure_are_audited(demo: Demo, demo_password: str) -> None:
    client = Client(REMOTE_ADDR="10.1.2.3")
    assert login(client, "100005", "wrong-password") == 401
    failure = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILURE).latest("id")
    assert failure.ip == "10.1.2.3" and failure.object_id == str(demo.users["community_officer"].pk)
    assert login(client, "100005", demo_password) == 302
    success = AuditEntry.objects.filter(action=AuditAction.LOGIN_SUCCESS).latest("id")
    assert success.actor_id == demo.users["community_officer"].pk
    assert client.get("/").status_code == 200


def test_account_locks_after_repeated_failures(demo: Demo, demo_password: str, settings: object) -> None:
    client = Client()
    for _ in range(5):
        assert login(client, "100006", "nope-nope") == 401
    user = User.objects.get(police_number="100006")
    assert user.locked_until is not None
    # even the right password is refused while locked
    response = client.post("/login/", {"police_number": "100006", "password": demo_password})
    assert response.status_code == 401
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILURE, reason="account locked").exists()
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_unknown_police_number_gets_the_same_answer(demo: Demo) -> None:
    client = Client()
    a = client.post("/login/", {"police_number": "999999", "password": "x"}).content.decode()
    b = client.post("/login/", {"police_number": "100005", "password": "x"}).content.decode()
    assert 'data-testid="login-error"' in a
    error_a = a.split('data-testid="login-error">')[1].split("<")[0]
    error_b = b.split('data-testid="login-error">')[1].split("<")[0]
    assert error_a == error_b


def test_new_user_must_change_initial_password(demo: Demo) -> None:
    admin = demo.user("system_admin")
    user, initial = services.create_user(
        actor=admin, police_number="400001", name="新民警", unit=demo.districts[0], phone="138 1234 5678"
    )
    client = Client()
    assert login(client, "400001", initial) == 302
    response = client.get("/org/")
    assert response.status_code == 302 and response["Location"].endswith("/accounts/password/")
    assert client.get("/api/v1/org/units").status_code in (401, 403)
    response = client.post(
        "/accounts/password/", {"old_password": initial, "new_password": "short", "new_password2": "short"}
    )
    assert response.status_code == 200  # re-shown with errors
    new = "Qingshan#2026x"
    response = client.post("/accounts/password/", {"old_password": initial, "new_password": new, "new_password2": new})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/org/").status_code == 403  # no role granted yet: the security admin's job
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(new)


def test_password_complexity(demo: Demo) -> None:
    user = demo.user("grid_worker")
    with pytest.raises(ValidationError, match="three of"):
        services.change_own_password(user=user, old_password="Zhufang@2026", new_password="alllowercaseletters")
    with pytest.raises(ValidationError):
        services.change_own_password(user=user, old_password="Zhufang@2026", new_password="Ab1!")


def test_idle_session_expires(demo: Demo, settings: object) -> None:
    client = demo.client_for("community_officer")
    session = client.session
    session["last_seen"] = time.time() - 3600
    session.save()
    response = client.get("/org/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/api/v1/org/units").status_code == 401


def test_phone_is_encrypted_at_rest_and_found_by_blind_index(demo: Demo) -> None:
    from django.db import connection

    from zhufang.privacy.blind_index import blind_index

    user, _ = services.create_user(
        actor=demo.user("system_admin"), police_number="400002", name="甲", unit=demo.districts[0], phone="13912345678"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        stored = cursor.fetchone()[0]
    assert "13912345678" not in stored
    assert User.objects.get(phone_index=blind_index("+86 139 1234 5678", kind="phone")).pk == user.pk
