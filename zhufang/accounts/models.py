"""Users, roles, data scopes and integration tokens (用户、角色、数据权限、接口令牌)."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhufang.accounts.scope_spec import ScopeSpec
from zhufang.org.models import OrgUnit
from zhufang.privacy.fields import BlindIndexField, EncryptedTextField


class DataScope(models.TextChoices):
    """数据权限 (RuoYi-style). A user with several roles gets the union of their scopes."""

    ALL = "all", _("All data")
    UNIT_AND_BELOW = "unit_and_below", _("Own unit and below")
    UNIT = "unit", _("Own unit only")
    SELF = "self", _("Only own records")
    CUSTOM = "custom", _("Custom units (and below)")


class Role(models.Model):
    """角色: a named set of permissions plus a data scope."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=200, blank=True)
    permissions = models.JSONField(_("permissions"), default=list, blank=True)
    data_scope = models.CharField(
        _("data scope"), max_length=20, choices=DataScope.choices, default=DataScope.UNIT_AND_BELOW
    )
    custom_units = models.ManyToManyField(OrgUnit, blank=True, related_name="+", verbose_name=_("custom units"))
    is_builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, principal: Any) -> UserQuerySet:
        from zhufang.accounts.scope import visible_to

        return visible_to(principal, self)  # type: ignore[return-value]  # same class, typed as the base


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def visible_to(self, principal: Any) -> UserQuerySet:
        return self.get_queryset().visible_to(principal)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(police_number=username)


class User(AbstractBaseUser):
    """用户: a police officer, auxiliary, grid worker or administrator, identified by 警号."""

    police_number = models.CharField(_("police number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="users", verbose_name=_("unit"))
    title = models.CharField(_("post"), max_length=50, blank=True)
    phone = EncryptedTextField(_("phone"), context="user.phone", blank=True, null=True)
    phone_index = BlindIndexField(blank=True, default="")
    roles: models.ManyToManyField[Role, RoleGrant] = models.ManyToManyField(
        Role, through="RoleGrant", through_fields=("user", "role"), related_name="users", blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    must_change_password = models.BooleanField(default=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    failed_login_count = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    scope_spec = ScopeSpec(unit_field="unit", self_fields=("id",))

    USERNAME_FIELD = "police_number"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["police_number"]

    def __str__(self) -> str:
        return f"{self.name}（{self.police_number}）"

    # --- principal protocol (shared with ApiToken), read by zhufang.accounts.scope ---------------
    @property
    def principal_user_id(self) -> int | None:
        return self.pk

    @property
    def principal_unit(self) -> OrgUnit:
        return self.unit

    def role_list(self) -> list[Role]:
        """The user's roles, read once per instance (a request's user): the permissions and the data
        scope are both taken from them, so a request asks for the roles once."""
        cached: list[Role] | None = getattr(self, "_role_list", None)
        if cached is None:
            cached = list(self.roles.all())
            self._role_list = cached
        return cached

    def permission_codes(self) -> frozenset[str]:
        cached: frozenset[str] | None = getattr(self, "_permission_codes", None)
        if cached is None:
            codes: set[str] = set()
            for role in self.role_list():
                codes.update(role.permissions or [])
            cached = frozenset(codes)
            self._permission_codes = cached
        return cached

    def has_permission(self, code: str) -> bool:
        return self.is_active and code in self.permission_codes()

    def is_locked(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.locked_until is not None and self.locked_until > now


class RoleGrant(models.Model):
    """授权: a role granted to a user, by whom and when (every grant is audited too)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="grants")
    granted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_grant")]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.role_id}"


class UserSession(AbstractBaseSession):
    """会话: Django's session row bound to the logged-in user, so the session and its user are read
    in one statement (``zhufang.accounts.session_store``) and a user's sessions can be found."""

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions")

    class Meta:
        verbose_name = _("session")

    @classmethod
    def get_session_store_class(cls) -> Any:
        from zhufang.accounts.session_store import SessionStore

        return SessionStore


class ApiToken(models.Model):
    """接口令牌: a credential for one integration, bound to a unit and a set of permissions.

    Only a SHA-256 hash of the secret is stored; the secret is shown once at creation.
    """

    name = models.CharField(_("name"), max_length=80)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    permissions = models.JSONField(_("permissions"), default=list)
    key_prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def principal_user_id(self) -> int | None:
        return None

    @property
    def principal_unit(self) -> OrgUnit:
        return self.unit

    def permission_codes(self) -> frozenset[str]:
        return frozenset(self.permissions or [])

    def has_permission(self, code: str) -> bool:
        return self.is_usable() and code in self.permission_codes()

    def is_usable(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
