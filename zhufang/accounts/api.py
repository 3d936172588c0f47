"""Accounts API: who am I, users in scope (identifiers masked), audited reveal."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from zhufang.accounts.models import Role, User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import effective_scope, get_visible_or_none
from zhufang.api import principal_of
from zhufang.privacy.masking import mask_phone
from zhufang.privacy.reveal import reveal

router = Router(tags=["accounts"])


class UserOut(Schema):
    id: int
    police_number: str
    name: str
    unit_id: int
    unit_name: str
    title: str
    phone_masked: str | None
    is_active: bool
    roles: list[str]


class MeOut(UserOut):
    permissions: list[str]
    data_scope: dict[str, Any]


class RevealIn(Schema):
    field: str
    reason: str
    instruction_item_id: int | None = None


class RoleOut(Schema):
    id: int
    code: str
    name: str
    data_scope: str
    permissions: list[str]


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "police_number": user.police_number,
        "name": user.name,
        "unit_id": user.unit_id,
        "unit_name": user.unit.name,
        "title": user.title,
        "phone_masked": mask_phone(user.phone) if user.phone else None,
        "is_active": user.is_active,
        "roles": [r.code for r in user.role_list()],
    }


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> Any:
    principal = principal_of(request)
    if not isinstance(principal, User):
        raise HttpError(404, "an API token is not a user")
    scope = effective_scope(principal)
    data = user_out(principal)
    data["permissions"] = sorted(principal.permission_codes())
    data["data_scope"] = {
        "all": scope.sees_all,
        "subtrees": sorted(scope.subtree_paths),
        "units": sorted(scope.exact_unit_ids),
        "self": scope.self_user_id is not None,
    }
    return data


@router.get("/users", response=list[UserOut])
def list_users(request: HttpRequest, unit_id: int | None = None, q: str | None = None, limit: int = 200) -> Any:
    principal = principal_of(request)
    if not (principal.has_permission(Perm.USER_MANAGE) or principal.has_permission(Perm.ORG_VIEW)):
        raise HttpError(403, "permission required")
    users = User.objects.visible_to(principal).select_related("unit").prefetch_related("roles")
    if unit_id:
        users = users.filter(unit_id=unit_id)
    if q:
        users = users.filter(name__contains=q) | users.filter(police_number__startswith=q)
    return [user_out(u) for u in users.order_by("police_number")[: min(limit, 1000)]]


@router.get("/users/{user_id}", response=UserOut)
def user_detail(request: HttpRequest, user_id: int) -> Any:
    user = get_visible_or_none(principal_of(request), User.objects.select_related("unit"), pk=user_id)
    if user is None:
        raise HttpError(404, "user not found")
    return user_out(user)


@router.post("/users/{user_id}/reveal", response=dict[str, Any])
def reveal_user_field(request: HttpRequest, user_id: int, payload: RevealIn) -> Any:
    principal = principal_of(request)
    user = get_visible_or_none(principal, User.objects.all(), pk=user_id)
    if user is None:
        raise HttpError(404, "user not found")
    value = reveal(
        actor=principal,
        obj=user,
        field=payload.field,
        reason=payload.reason,
        instruction_item_id=payload.instruction_item_id,
    )
    return {"field": payload.field, "value": value}


@router.get("/roles", response=list[RoleOut])
def list_roles(request: HttpRequest) -> Any:
    principal = principal_of(request)
    if not principal.has_permission(Perm.ROLE_MANAGE):
        raise HttpError(403, "permission role.manage required")
    return list(Role.objects.all())
