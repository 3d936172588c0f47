"""The request's user in one statement (``zhufang.accounts.request_user``) and the session engine
that reads its row without the ORM: the same user, unit and roles the ORM would give, nothing kept
between requests (a revoked role or a deactivated account counts on the next request)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhufang.accounts import services
from zhufang.accounts.models import Role, RoleGrant, User, UserSession
from zhufang.accounts.request_user import load_request_user
from zhufang.conftest import Demo

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_user_unit_and_roles_equal_what_the_orm_reads_in_one_query(demo: Demo) -> None:
    officer = demo.user("community_officer")
    second = Role.objects.get(code="grid_worker")
    RoleGrant.objects.create(user=officer, role=second)
    officer.phone = "13912345678"
    officer.save(update_fields=["phone"])
    expected = User.objects.select_related("unit").get(pk=officer.pk)
    with CaptureQueriesContext(connection) as queries:
        loaded = load_request_user(officer.pk)
        assert loaded is not None
        roles = loaded.role_list()
        codes = loaded.permission_codes()
        unit = loaded.unit
    assert len(queries) == 1
    assert [r.code for r in roles] == [r.code for r in officer.roles.order_by("id")]
    assert len(roles) == 2 and all(isinstance(r.permissions, list) and r.pk for r in roles)
    assert codes == frozenset(p for r in Role.objects.filter(grants__user=officer) for p in r.permissions)
    assert (unit.pk, unit.path, unit.kind, unit.polygon) == (
        expected.unit.pk,
        expected.unit.path,
        expected.unit.kind,
        expected.unit.polygon,
    )
    for name in ("police_number", "name", "is_active", "must_change_password", "date_joined", "password"):
        assert getattr(loaded, name) == getattr(expected, name), name
    assert loaded.phone == "13912345678"  # decrypted by the field's converter, as a queryset does
    assert isinstance(loaded.date_joined, dt.datetime) and timezone.is_aware(loaded.date_joined)


def test_a_user_without_roles_and_unknown_ids(demo: Demo) -> None:
    lonely = User.objects.create(police_number="990010", name="无角色", unit=demo.districts[0])
    loaded = load_request_user(lonely.pk)
    assert loaded is not None and loaded.role_list() == [] and not loaded.has_permission("org.view")
    assert load_request_user(10**9) is None
    assert load_request_user("not-a-number") is None


def test_revoked_role_and_deactivation_count_on_the_next_request(demo: Demo, demo_password: str) -> None:
    client = Client()
    assert client.post("/login/", {"police_number": "100005", "password": demo_password}).status_code == 302
    officer = User.objects.get(police_number="100005")
    officer.must_change_password = False
    officer.save(update_fields=["must_change_password"])
    first = client.get("/api/v1/accounts/me").json()
    assert "instruction.work" in first["permissions"]
    admin = demo.user("security_admin")
    role = Role.objects.get(code="community_officer")
    services.revoke_role(actor=admin, user=officer, role=role, reason="调岗")
    assert "instruction.work" not in client.get("/api/v1/accounts/me").json()["permissions"]
    User.objects.filter(pk=officer.pk).update(is_active=False)
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_session_rows_are_read_by_key_and_expiry(demo: Demo, demo_password: str) -> None:
    client = Client()
    assert client.post("/login/", {"police_number": "100009", "password": demo_password}).status_code == 302
    assert client.get("/").status_code == 200
    key = client.cookies["sessionid"].value
    UserSession.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/").status_code == 302  # expired: back to the login page
    UserSession.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(hours=1))
    client.cookies["sessionid"] = key  # the expired answer dropped it; the row is valid again
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert not UserSession.objects.filter(session_key=key).exists()
    stranger = Client()
    stranger.cookies["sessionid"] = key
    assert stranger.get("/").status_code == 302


def test_a_request_reads_session_user_unit_and_roles_in_one_statement(demo: Demo, demo_password: str) -> None:
    client = Client()
    assert client.post("/login/", {"police_number": "100009", "password": demo_password}).status_code == 302
    leader = User.objects.get(police_number="100009")
    row = UserSession.objects.get(session_key=client.cookies["sessionid"].value)
    assert row.user_id == leader.pk  # the session row is bound to its user
    leader.must_change_password = False
    leader.save(update_fields=["must_change_password"])
    with CaptureQueriesContext(connection) as queries:
        me = client.get("/api/v1/accounts/me").json()
    assert me["police_number"] == "100009" and me["permissions"]
    reads = [q["sql"] for q in queries.captured_queries if "session_data" in q["sql"]]
    assert len(reads) == 1 and "accounts_user" in reads[0]
    assert not [q for q in queries.captured_queries if "accounts_rolegrant" in q["sql"] and q["sql"] not in reads]


def test_a_changed_password_ends_other_sessions(demo: Demo, demo_password: str) -> None:
    """Django's session-hash check still runs on the user read with the session."""
    client = Client()
    assert client.post("/login/", {"police_number": "100009", "password": demo_password}).status_code == 302
    assert client.get("/").status_code == 200
    leader = User.objects.get(police_number="100009")
    leader.set_password("Another@Pass2026")
    leader.save(update_fields=["password"])
    assert client.get("/").status_code == 302


def test_the_user_read_with_a_session_is_taken_once_and_never_by_another_id(demo: Demo) -> None:
    from django.core.signals import request_started

    from zhufang.accounts.request_user import hand_over, take_over

    officer = load_request_user(demo.users["community_officer"].pk)
    assert officer is not None
    hand_over(officer)
    assert take_over(officer.pk + 1) is None  # another id: not handed over, and gone
    assert take_over(officer.pk) is None
    hand_over(officer)
    assert take_over(str(officer.pk)) is officer
    assert take_over(officer.pk) is None  # once
    hand_over(officer)
    request_started.send(sender=None)  # a new request on this thread starts clean
    assert take_over(officer.pk) is None


def test_the_daily_job_deletes_expired_sessions_only(demo: Demo, demo_password: str) -> None:
    from zhufang.accounts.jobs import clear_sessions

    live, stale = Client(), Client()
    for client in (live, stale):
        assert client.post("/login/", {"police_number": "100009", "password": demo_password}).status_code == 302
    stale_key = stale.cookies["sessionid"].value
    UserSession.objects.filter(session_key=stale_key).update(expire_date=timezone.now() - dt.timedelta(minutes=1))
    assert clear_sessions()["deleted"] == 1
    assert not UserSession.objects.filter(session_key=stale_key).exists()
    assert UserSession.objects.filter(session_key=live.cookies["sessionid"].value).exists()
    assert live.get("/").status_code == 200
