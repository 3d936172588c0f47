"""Data-scope matrix: every role × every endpoint and page that lists or shows objects.

The expected sets are computed here from first principles (materialised paths and the role
definitions), not through ``visible_to``, so a bug in the mechanism cannot hide itself.
"""

from __future__ import annotations

import pytest

from zhufang.accounts.builtin_roles import BUILTIN_ROLES
from zhufang.accounts.models import User
from zhufang.conftest import Demo
from zhufang.org.models import OUTSIDE_KINDS, OrgUnit

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

ROLES = [d.code for d in BUILTIN_ROLES]
SCOPE_OF = {d.code: d.data_scope for d in BUILTIN_ROLES}
PERMS_OF = {d.code: set(d.permissions) for d in BUILTIN_ROLES}


def expected_unit_ids(user: User) -> set[int]:
    """Units in scope, their ancestors, and the outside units."""
    scope = SCOPE_OF[user.roles.get().code]
    units = list(OrgUnit.objects.all())
    if scope == "all":
        return {u.pk for u in units}
    if scope == "unit_and_below":
        in_scope = [u for u in units if u.path.startswith(user.unit.path)]
    elif scope == "unit":
        in_scope = [user.unit]
    else:
        in_scope = [user.unit]
    ancestors = {int(p) for u in in_scope for p in u.path.strip("/").split("/")}
    return {u.pk for u in in_scope} | ancestors | {u.pk for u in units if u.kind in OUTSIDE_KINDS}


def expected_user_ids(user: User) -> set[int]:
    scope = SCOPE_OF[user.roles.get().code]
    everyone = list(User.objects.select_related("unit"))
    if scope == "all":
        return {u.pk for u in everyone}
    if scope == "unit_and_below":
        return {u.pk for u in everyone if u.unit.path.startswith(user.unit.path)}
    if scope == "unit":
        return {u.pk for u in everyone if u.unit_id == user.unit_id}
    return {user.pk}


@pytest.mark.parametrize("role", ROLES)
def test_units_api_lists_exactly_the_scope(demo: Demo, role: str) -> None:
    user = demo.user(role)
    response = demo.client_for(role).get("/api/v1/org/units", {"limit": 5000})
    if "org.view" not in PERMS_OF[role]:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {row["id"] for row in response.json()} == expected_unit_ids(user)


@pytest.mark.parametrize("role", ROLES)
def test_unit_detail_hides_units_outside_scope(demo: Demo, role: str) -> None:
    user = demo.user(role)
    client = demo.client_for(role)
    expected = expected_unit_ids(user)
    for grid in demo.grids:
        response = client.get(f"/api/v1/org/units/{grid.pk}")
        if "org.view" not in PERMS_OF[role]:
            assert response.status_code == 403
        else:
            assert response.status_code == (200 if grid.pk in expected else 404), (role, grid.code)


@pytest.mark.parametrize("role", ROLES)
def test_map_layer_holds_only_visible_grids(demo: Demo, role: str) -> None:
    user = demo.user(role)
    response = demo.client_for(role).get("/api/v1/org/map", {"kind": "grid"})
    if "org.view" not in PERMS_OF[role]:
        assert response.status_code == 403
        return
    ids = {f["id"] for f in response.json()["features"]}
    assert ids == {g.pk for g in demo.grids} & expected_unit_ids(user)


@pytest.mark.parametrize("role", ROLES)
def test_users_api_lists_exactly_the_scope_with_phones_masked(demo: Demo, role: str) -> None:
    user = demo.user(role)
    response = demo.client_for(role).get("/api/v1/accounts/users", {"limit": 1000})
    if not PERMS_OF[role] & {"org.view", "user.manage"}:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    rows = response.json()
    assert {row["id"] for row in rows} == expected_user_ids(user)
    assert all(row["phone_masked"] is None or "****" in row["phone_masked"] for row in rows)


@pytest.mark.parametrize("role", ROLES)
def test_user_detail_answers_404_outside_scope(demo: Demo, role: str) -> None:
    user = demo.user(role)
    visible = expected_user_ids(user)
    client = demo.client_for(role)
    for other in User.objects.order_by("pk")[:60]:
        response = client.get(f"/api/v1/accounts/users/{other.pk}")
        assert response.status_code == (200 if other.pk in visible else 404), (role, other.police_number)


@pytest.mark.parametrize("role", ROLES)
def test_org_tree_page_names_only_visible_units(demo: Demo, role: str) -> None:
    user = demo.user(role)
    response = demo.client_for(role).get("/org/")
    if "org.view" not in PERMS_OF[role]:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    html = response.content.decode()
    expected = expected_unit_ids(user)
    for station in demo.stations:
        assert (station.code in html) == (station.pk in expected), (role, station.code)


@pytest.mark.parametrize(
    ("path", "permission"),
    [
        ("/accounts/users/", "user.manage"),
        ("/accounts/roles/", "role.manage"),
        ("/accounts/grants/", "role.manage"),
        ("/accounts/tokens/", "token.manage"),
        ("/audit/", "audit.read"),
        ("/org/import/", "org.manage"),
        ("/org/mergers/", "org.manage"),
        ("/api/v1/audit/entries", "audit.read"),
        ("/api/v1/accounts/roles", "role.manage"),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_administrative_pages_need_their_permission(demo: Demo, role: str, path: str, permission: str) -> None:
    response = demo.client_for(role).get(path)
    assert response.status_code == (200 if permission in PERMS_OF[role] else 403), (role, path)


def test_users_page_of_system_admin_lists_scope_and_carries_watermark(demo: Demo) -> None:
    admin = demo.user("system_admin")
    response = demo.client_for("system_admin").get("/accounts/users/", {"q": "1000"})
    html = response.content.decode()
    assert 'data-testid="watermark"' in html
    assert "100005" in html and admin.police_number in html


def test_anonymous_sees_nothing(client: object, demo: Demo) -> None:
    from django.test import Client

    anonymous = Client()
    assert anonymous.get("/api/v1/org/units").status_code == 401
    assert anonymous.get("/org/").status_code == 302
    assert OrgUnit.objects.visible_to(None).count() == 0
