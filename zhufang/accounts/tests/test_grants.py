"""Granting roles: only within the granter's scope (RuoYi CVE-2026-37669), never to oneself, never
combining two administrators' duties; a user with several roles sees the union of their scopes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhufang.accounts import services
from zhufang.accounts.models import Role, User
from zhufang.accounts.scope import effective_scope
from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.org.models import OrgUnit

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def station_security_admin(demo: Demo) -> User:
    """A security administrator whose own scope is one station."""
    bureau_admin = demo.user("security_admin")
    role = services.save_role(
        actor=bureau_admin,
        code="station_security",
        name="所安全管理员",
        permissions=["role.manage", "org.view"],
        data_scope="unit_and_below",
    )
    user = User.objects.create(police_number="300001", name="所安全员", unit=demo.stations[0])
    services.grant_role(actor=bureau_admin, user=user, role=role)
    return User.objects.get(pk=user.pk)


def test_grant_within_scope_is_recorded_and_audited(demo: Demo) -> None:
    admin = demo.user("security_admin")
    officer = demo.user("community_officer")
    role = Role.objects.get(code="auxiliary_officer")
    services.grant_role(actor=admin, user=officer, role=role, reason="兼任")
    assert set(officer.roles.values_list("code", flat=True)) == {"community_officer", "auxiliary_officer"}
    entry = AuditEntry.objects.filter(action=AuditAction.PERMISSION_CHANGE, object_id=str(officer.pk)).latest("id")
    assert entry.changes == {"roles": [None, "+auxiliary_officer"]}
    assert entry.reason == "兼任" and entry.actor_id == admin.pk


def test_granter_cannot_widen_beyond_own_scope(demo: Demo, station_security_admin: User) -> None:
    officer = demo.user("community_officer")  # inside the first station
    with pytest.raises(ValidationError, match="widen"):
        services.grant_role(actor=station_security_admin, user=officer, role=Role.objects.get(code="leader"))
    other_station_user = User.objects.filter(unit__path__startswith=demo.stations[1].path).first()
    assert other_station_user is not None
    with pytest.raises(ValidationError, match="outside your data scope"):
        services.grant_role(
            actor=station_security_admin, user=other_station_user, role=Role.objects.get(code="grid_worker")
        )
    # within the station it works
    services.grant_role(actor=station_security_admin, user=officer, role=Role.objects.get(code="grid_worker"))


def test_granter_cannot_define_custom_scope_outside_own(demo: Demo, station_security_admin: User) -> None:
    with pytest.raises(ValidationError, match="outside your data scope"):
        services.save_role(
            actor=station_security_admin,
            code="sneaky",
            name="越权",
            permissions=["org.view"],
            data_scope="custom",
            custom_units=[demo.stations[1]],
        )
    with pytest.raises(ValidationError, match="wider than your own"):
        services.save_role(
            actor=station_security_admin, code="sneaky2", name="越权2", permissions=["org.view"], data_scope="all"
        )
    assert not Role.objects.filter(code__startswith="sneaky").exists()


def test_nobody_changes_their_own_roles(demo: Demo) -> None:
    admin = demo.user("security_admin")
    with pytest.raises(PermissionDenied):
        services.grant_role(actor=admin, user=admin, role=Role.objects.get(code="leader"))


def test_three_administrators_stay_separate(demo: Demo) -> None:
    admin = demo.user("security_admin")
    with pytest.raises(ValidationError, match="Separation of duties"):
        services.grant_role(actor=admin, user=demo.user("system_admin"), role=Role.objects.get(code="audit_admin"))
    with pytest.raises(ValidationError, match="Separation of duties"):
        services.save_role(
            actor=admin,
            code="superuser",
            name="超级管理员",
            permissions=["user.manage", "role.manage"],
            data_scope="all",
        )
    with pytest.raises(ValidationError, match="Separation of duties"):
        services.grant_role(actor=admin, user=demo.user("audit_admin"), role=Role.objects.get(code="centre_operator"))


def test_system_admin_cannot_grant_and_security_admin_cannot_create_users(demo: Demo) -> None:
    with pytest.raises(PermissionDenied):
        services.grant_role(
            actor=demo.user("system_admin"), user=demo.user("grid_worker"), role=Role.objects.get(code="leader")
        )
    with pytest.raises(PermissionDenied):
        services.create_user(actor=demo.user("security_admin"), police_number="999999", name="x", unit=demo.stations[0])
    with pytest.raises(PermissionDenied):
        services.create_user(actor=demo.user("audit_admin"), police_number="999998", name="x", unit=demo.stations[0])


def test_several_roles_see_the_union_of_scopes(demo: Demo) -> None:
    admin = demo.user("security_admin")
    officer = demo.user("community_officer")
    second_station = demo.stations[1]
    role = services.save_role(
        actor=admin,
        code="helper_other_station",
        name="协查",
        permissions=["org.view"],
        data_scope="custom",
        custom_units=[second_station],
    )
    before = set(OrgUnit.objects.visible_to(officer).values_list("pk", flat=True))
    services.grant_role(actor=admin, user=officer, role=role)
    officer = User.objects.get(pk=officer.pk)
    after = set(OrgUnit.objects.visible_to(officer).values_list("pk", flat=True))
    second_subtree = set(OrgUnit.objects.subtree(second_station).values_list("pk", flat=True))
    assert second_subtree <= after and not second_subtree <= before
    assert before <= after
    scope = effective_scope(officer)
    assert {officer.unit.path, second_station.path} == scope.subtree_paths


def test_api_token_is_bound_to_its_unit_and_permissions(demo: Demo) -> None:
    admin = demo.user("system_admin")
    token, secret = services.create_api_token(
        actor=admin, name="110 接处警导出", unit=demo.stations[1], permissions=["org.view"]
    )
    from django.test import Client

    client = Client()
    response = client.get("/api/v1/org/units", {"limit": 5000}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()}
    assert {g.pk for g in demo.grids if g.path.startswith(demo.stations[1].path)} <= ids
    assert not {g.pk for g in demo.grids if g.path.startswith(demo.stations[0].path)} & ids
    assert client.get("/api/v1/accounts/roles", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 403
    services.revoke_api_token(actor=admin, token=token)
    assert client.get("/api/v1/org/units", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    with pytest.raises(ValidationError, match="administrator permissions"):
        services.create_api_token(actor=admin, name="bad", unit=demo.stations[0], permissions=["user.manage"])
