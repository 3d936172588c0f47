"""Writes to users, roles, grants and tokens. Each checks the actor's permission and scope, runs in
a transaction and writes its audit row (permission changes as ``permission_change``)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhufang.accounts.models import ApiToken, DataScope, Role, RoleGrant, User
from zhufang.accounts.permissions import ALL_PERMISSIONS, Perm, check_separation_of_duties
from zhufang.accounts.scope import EffectiveScope, Principal, effective_scope
from zhufang.audit.models import AuditAction
from zhufang.audit.services import diff, record, snapshot
from zhufang.org.models import OrgUnit
from zhufang.privacy.blind_index import blind_index

USER_AUDITED_FIELDS = ("police_number", "name", "unit", "title", "is_active")


def require(actor: Principal, permission: str) -> None:
    if not actor.has_permission(permission):
        raise PermissionDenied(_("You do not have the permission %(perm)s") % {"perm": permission})


def require_unit_in_scope(actor: Principal, unit: OrgUnit, *, field: str = "unit") -> None:
    if not effective_scope(actor).contains_unit(unit):
        raise ValidationError({field: _("%(unit)s is outside your data scope") % {"unit": unit}})


def _check_password(password: str, user: User, *, field: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def _validate_phone(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    if phone and not (7 <= len(digits) <= 15):
        raise ValidationError({"phone": _("Phone number %(phone)s is not valid") % {"phone": phone}})
    return digits


@transaction.atomic
def create_user(
    *,
    actor: Principal,
    police_number: str,
    name: str,
    unit: OrgUnit,
    title: str = "",
    phone: str = "",
    initial_password: str | None = None,
) -> tuple[User, str]:
    """Create an account with an initial password the user must change at first login.
    Returns the user and the initial password (shown once to the administrator)."""
    require(actor, Perm.USER_MANAGE)
    require_unit_in_scope(actor, unit)
    police_number = police_number.strip()
    if not police_number.isalnum():
        raise ValidationError({"police_number": _("A police number has only letters and digits")})
    if User.objects.filter(police_number=police_number).exists():
        raise ValidationError(
            {"police_number": _("Police number %(number)s already exists") % {"number": police_number}}
        )
    phone_digits = _validate_phone(phone)
    password = initial_password or generate_initial_password()
    user = User(
        police_number=police_number,
        name=name.strip(),
        unit=unit,
        title=title,
        phone=phone_digits or None,
        phone_index=blind_index(phone_digits, kind="phone") if phone_digits else "",
        must_change_password=True,
    )
    _check_password(password, user, field="password")
    user.set_password(password)
    user.save()
    record(action=AuditAction.CREATE, actor=actor, obj=user, changes=diff({}, snapshot(user, USER_AUDITED_FIELDS)))
    return user, password


def generate_initial_password() -> str:
    """A random initial password that meets the complexity rules."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    core = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{core}#{secrets.randbelow(90) + 10}Aa"


@transaction.atomic
def update_user(*, actor: Principal, user: User, **fields: Any) -> User:
    require(actor, Perm.USER_MANAGE)
    require_unit_in_scope(actor, user.unit, field="police_number")
    before = snapshot(user, USER_AUDITED_FIELDS)
    if "unit" in fields:
        require_unit_in_scope(actor, fields["unit"])
    if "phone" in fields:
        digits = _validate_phone(fields.pop("phone") or "")
        user.phone, user.phone_index = digits or None, blind_index(digits, kind="phone") if digits else ""
    for key in ("name", "unit", "title", "is_active"):
        if key in fields:
            setattr(user, key, fields.pop(key))
    if fields:
        raise ValidationError({sorted(fields)[0]: _("This field cannot be changed here")})
    user.save()
    changes = diff(before, snapshot(user, USER_AUDITED_FIELDS))
    if changes:
        record(action=AuditAction.UPDATE, actor=actor, obj=user, changes=changes)
    return user


@transaction.atomic
def reset_password(*, actor: Principal, user: User) -> str:
    """Administrator reset: a new initial password that must be changed at next login."""
    require(actor, Perm.USER_MANAGE)
    require_unit_in_scope(actor, user.unit, field="police_number")
    password = generate_initial_password()
    user.set_password(password)
    user.must_change_password, user.locked_until, user.failed_login_count = True, None, 0
    user.save(update_fields=["password", "must_change_password", "locked_until", "failed_login_count"])
    record(action=AuditAction.PASSWORD_CHANGE, actor=actor, obj=user, reason="reset by administrator")
    return password


@transaction.atomic
def change_own_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("The current password is wrong")})
    if old_password == new_password:
        raise ValidationError({"new_password": _("The new password must differ from the current one")})
    _check_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.must_change_password, user.password_changed_at = False, timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    record(action=AuditAction.PASSWORD_CHANGE, actor=user, obj=user)


# --- roles and grants (security administrator) ---------------------------------------------------


def grant_is_within(granter: EffectiveScope, role: Role, target_unit: OrgUnit) -> bool:
    """Whether everything ``role`` would let a user in ``target_unit`` see is inside the granter's
    own scope (the RuoYi CVE-2026-37669 hole: a granter must never widen a scope beyond their own)."""
    if granter.sees_all:
        return True
    scope = role.data_scope
    if scope == DataScope.ALL:
        return False
    if scope == DataScope.UNIT_AND_BELOW:
        return granter.covers_unit(target_unit)
    if scope in (DataScope.UNIT, DataScope.SELF):
        return granter.contains_unit(target_unit)
    return all(granter.covers_unit(u) for u in role.custom_units.all())


@transaction.atomic
def save_role(
    *,
    actor: Principal,
    code: str,
    name: str,
    permissions: list[str],
    data_scope: str,
    custom_units: list[OrgUnit] | None = None,
    description: str = "",
    role: Role | None = None,
) -> Role:
    require(actor, Perm.ROLE_MANAGE)
    unknown = sorted(set(permissions) - ALL_PERMISSIONS)
    if unknown:
        raise ValidationError({"permissions": _("Unknown permission %(perm)s") % {"perm": unknown[0]}})
    if data_scope not in DataScope.values:
        raise ValidationError({"data_scope": _("Unknown data scope %(scope)s") % {"scope": data_scope}})
    try:
        check_separation_of_duties(set(permissions))
    except ValueError as exc:
        raise ValidationError({"permissions": str(exc)}) from exc
    granter = effective_scope(actor)
    custom_units = list(custom_units or [])
    if data_scope == DataScope.ALL and not granter.sees_all:
        raise ValidationError({"data_scope": _("You cannot define a scope wider than your own")})
    for unit in custom_units:
        if not granter.covers_unit(unit):
            raise ValidationError({"custom_units": _("%(unit)s is outside your data scope") % {"unit": unit}})
    if role is None:
        if Role.objects.filter(code=code).exists():
            raise ValidationError({"code": _("Role code %(code)s already exists") % {"code": code}})
        role = Role(code=code)
        before: dict[str, Any] = {}
    else:
        if role.is_builtin and role.code != code:
            raise ValidationError({"code": _("A built-in role keeps its code")})
        before = {
            "name": role.name,
            "permissions": sorted(role.permissions),
            "data_scope": role.data_scope,
            "custom_units": sorted(role.custom_units.values_list("code", flat=True)),
        }
        if role.grants.exists():
            # every existing holder must still end up within separation of duties
            for grant in role.grants.select_related("user"):
                others = set().union(*[r.permissions for r in grant.user.roles.exclude(pk=role.pk)] or [set()])
                try:
                    check_separation_of_duties(others | set(permissions))
                except ValueError as exc:
                    raise ValidationError({"permissions": f"{grant.user}: {exc}"}) from exc
    role.name, role.description, role.permissions, role.data_scope = name, description, sorted(permissions), data_scope
    role.save()
    role.custom_units.set(custom_units if data_scope == DataScope.CUSTOM else [])
    after = {
        "name": role.name,
        "permissions": role.permissions,
        "data_scope": role.data_scope,
        "custom_units": sorted(u.code for u in custom_units) if data_scope == DataScope.CUSTOM else [],
    }
    record(action=AuditAction.PERMISSION_CHANGE, actor=actor, obj=role, changes=diff(before, after))
    return role


@transaction.atomic
def grant_role(*, actor: Principal, user: User, role: Role, reason: str = "") -> RoleGrant:
    require(actor, Perm.ROLE_MANAGE)
    if actor.principal_user_id == user.pk:
        raise PermissionDenied(_("Nobody may change their own roles"))
    granter = effective_scope(actor)
    if not granter.contains_unit(user.unit):
        raise ValidationError({"user": _("%(user)s is outside your data scope") % {"user": user}})
    if not grant_is_within(granter, role, user.unit):
        raise ValidationError(
            {
                "role": _("Granting %(role)s to %(user)s would widen a scope beyond your own")
                % {"role": role, "user": user}
            }
        )
    held = set().union(*[set(r.permissions) for r in user.roles.all()] or [set()])
    try:
        check_separation_of_duties(held | set(role.permissions))
    except ValueError as exc:
        raise ValidationError({"role": str(exc)}) from exc
    grant, created = RoleGrant.objects.get_or_create(
        user=user, role=role, defaults={"granted_by": actor if isinstance(actor, User) else None}
    )
    if created:
        record(
            action=AuditAction.PERMISSION_CHANGE,
            actor=actor,
            obj=user,
            reason=reason,
            changes={"roles": [None, f"+{role.code}"]},
        )
    return grant


@transaction.atomic
def revoke_role(*, actor: Principal, user: User, role: Role, reason: str = "") -> None:
    require(actor, Perm.ROLE_MANAGE)
    if actor.principal_user_id == user.pk:
        raise PermissionDenied(_("Nobody may change their own roles"))
    if not effective_scope(actor).contains_unit(user.unit):
        raise ValidationError({"user": _("%(user)s is outside your data scope") % {"user": user}})
    deleted, _details = RoleGrant.objects.filter(user=user, role=role).delete()
    if deleted:
        record(
            action=AuditAction.PERMISSION_CHANGE,
            actor=actor,
            obj=user,
            reason=reason,
            changes={"roles": [f"-{role.code}", None]},
        )


# --- integration tokens --------------------------------------------------------------------------


@transaction.atomic
def create_api_token(
    *,
    actor: Principal,
    name: str,
    unit: OrgUnit,
    permissions: list[str],
    expires_at: Any = None,
) -> tuple[ApiToken, str]:
    """Create a token bound to ``unit`` (scope: that unit and below). Returns it and the secret,
    which is shown once and stored only as a hash."""
    require(actor, Perm.API_TOKEN_MANAGE)
    require_unit_in_scope(actor, unit)
    unknown = sorted(set(permissions) - ALL_PERMISSIONS)
    if unknown:
        raise ValidationError({"permissions": _("Unknown permission %(perm)s") % {"perm": unknown[0]}})
    try:
        check_separation_of_duties(set(permissions))
    except ValueError as exc:
        raise ValidationError({"permissions": str(exc)}) from exc
    if set(permissions) & {
        Perm.ROLE_MANAGE,
        Perm.USER_MANAGE,
        Perm.AUDIT_READ,
        Perm.AUDIT_VERIFY,
        Perm.API_TOKEN_MANAGE,
        Perm.ORG_MANAGE,
    }:
        raise ValidationError({"permissions": _("An integration token cannot carry administrator permissions")})
    secret = "zf_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        unit=unit,
        permissions=sorted(permissions),
        key_prefix=secret[:10],
        key_hash=ApiToken.hash_secret(secret),
        created_by=actor if isinstance(actor, User) else None,
        expires_at=expires_at,
    )
    record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        obj=token,
        changes={"token": [None, {"unit": unit.code, "permissions": token.permissions}]},
    )
    return token, secret


@transaction.atomic
def revoke_api_token(*, actor: Principal, token: ApiToken) -> None:
    require(actor, Perm.API_TOKEN_MANAGE)
    require_unit_in_scope(actor, token.unit)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(action=AuditAction.PERMISSION_CHANGE, actor=actor, obj=token, changes={"revoked": [False, True]})


def authenticate_token(secret: str) -> ApiToken | None:
    token = ApiToken.objects.select_related("unit").filter(key_hash=ApiToken.hash_secret(secret)).first()
    if token is None or not token.is_usable():
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
