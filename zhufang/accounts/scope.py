"""Data scope (数据权限): the ONE mechanism that decides which rows a principal may see.

Every list, detail, API endpoint, export, report and job reads domain objects through
``visible_to(principal, queryset)`` (or ``Model.objects.visible_to(principal)``, which calls it).
A model declares how it is scoped with a ``scope_spec`` class attribute:

* ``unit_field`` — the FK to the owning ``OrgUnit`` (every scoped row stores its lowest owning unit,
  usually the grid). Scope and routing read only this column.
* ``self_fields`` — fields whose value is a user id; "self" scope sees rows where the principal is
  one of them (creator, assignee …).
* ``requester_field`` — for a police department (警种): the FK/M2M to the requesting unit; a
  department sees what it requested at any station (the caller masks identifiers).

Union rule: a principal with several roles sees the union of what each role's scope allows
(a row is visible if ANY role makes it visible). Permissions are likewise the union of the roles'
permission lists. API tokens have the scope "own unit and below" of the unit they are bound to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, TypeVar

from django.db import connection, models
from django.db.models import Q, prefetch_related_objects

from zhufang.accounts.models import ApiToken, DataScope, Role, User
from zhufang.accounts.scope_spec import ScopeSpec
from zhufang.org.models import OUTSIDE_KINDS, OrgKind, OrgUnit
from zhufang.sql_rows import ModelColumns

__all__ = [
    "EffectiveScope",
    "Principal",
    "ScopeSpec",
    "effective_scope",
    "lock_visible_row",
    "visible_for_update",
    "visible_to",
]

M = TypeVar("M", bound=models.Model)


class Principal(Protocol):
    """Who is asking: a ``User`` or an ``ApiToken``."""

    @property
    def principal_user_id(self) -> int | None: ...

    @property
    def principal_unit(self) -> OrgUnit: ...

    def permission_codes(self) -> frozenset[str]: ...

    def has_permission(self, code: str) -> bool: ...


@dataclass
class EffectiveScope:
    """The union of a principal's role scopes, resolved to unit paths."""

    sees_all: bool = False
    subtree_paths: set[str] = field(default_factory=set)
    exact_unit_ids: set[int] = field(default_factory=set)
    self_user_id: int | None = None
    department_unit_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.sees_all or self.subtree_paths or self.exact_unit_ids or self.self_user_id or self.department_unit_id
        )

    def covers_unit(self, unit: OrgUnit) -> bool:
        """Whether every row owned by ``unit`` (and below, for subtree grants) is in this scope."""
        if self.sees_all:
            return True
        return any(unit.path.startswith(p) for p in self.subtree_paths)

    def contains_unit(self, unit: OrgUnit) -> bool:
        """Whether rows owned by exactly ``unit`` are visible."""
        return self.covers_unit(unit) or unit.pk in self.exact_unit_ids

    def allows(self, unit_id: int | None, unit_path: str | None, self_values: Iterable[Any] = ()) -> bool:
        """The rule of ``visible_to`` for one row, given its owning unit and its "self" field values —
        what the SQL condition decides, decided in Python (``lock_visible_row``). The department
        rule (requests joined to-many) is not covered: callers check ``department_unit_id`` first."""
        if self.sees_all:
            return True
        if unit_path is not None and any(unit_path.startswith(p) for p in self.subtree_paths):
            return True
        if unit_id is not None and unit_id in self.exact_unit_ids:
            return True
        return self.self_user_id is not None and self.self_user_id in set(self_values)

    def unit_filter(self) -> Q | None:
        """A Q over ``OrgUnit`` selecting the units whose rows are visible (None: no units)."""
        q = Q()
        for path in sorted(self.subtree_paths):
            q |= Q(path__startswith=path)
        if self.exact_unit_ids:
            q |= Q(pk__in=sorted(self.exact_unit_ids))
        return q if q else None


def _minimal_paths(paths: Iterable[str]) -> set[str]:
    """Drop paths already covered by a shorter one (keeps the SQL small)."""
    result: set[str] = set()
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(p) for p in result):
            result.add(path)
    return result


def effective_scope(principal: Principal) -> EffectiveScope:
    """Resolve a principal's scope once per request (cached on the principal object)."""
    cached: EffectiveScope | None = getattr(principal, "_effective_scope", None)
    if cached is not None:
        return cached
    scope = EffectiveScope()
    unit = principal.principal_unit
    if isinstance(principal, ApiToken):
        scope.subtree_paths.add(unit.path)
    elif isinstance(principal, User):
        if not principal.is_active:
            principal._effective_scope = scope  # type: ignore[attr-defined]
            return scope
        roles = principal.role_list()
        # custom units only where a role has a custom scope (most users: no second query)
        prefetch_related_objects([r for r in roles if r.data_scope == DataScope.CUSTOM], "custom_units")
        for role in roles:
            _apply_role(scope, role, unit, principal)
        if unit.kind == OrgKind.DEPARTMENT:
            scope.department_unit_id = unit.pk
    scope.subtree_paths = _minimal_paths(scope.subtree_paths)
    principal._effective_scope = scope  # type: ignore[attr-defined]
    return scope


def _apply_role(scope: EffectiveScope, role: Role, unit: OrgUnit, user: User) -> None:
    kind = role.data_scope
    if kind == DataScope.ALL:
        scope.sees_all = True
    elif kind == DataScope.UNIT_AND_BELOW:
        scope.subtree_paths.add(unit.path)
    elif kind == DataScope.UNIT:
        scope.exact_unit_ids.add(unit.pk)
    elif kind == DataScope.SELF:
        scope.self_user_id = user.pk
    elif kind == DataScope.CUSTOM:
        scope.subtree_paths.update(u.path for u in role.custom_units.all())


def visible_to(principal: Principal | None, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """Restrict ``queryset`` to the rows ``principal`` may see, per the model's ``scope_spec``."""
    return _visible(principal, queryset, for_update=False)


def visible_for_update(principal: Principal | None, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """``visible_to`` for a locking read (``.select_for_update()``) of a ``queryset`` that does not
    itself join to-many rows. FOR UPDATE does not go with DISTINCT, which only a department's scope
    needs (its requests join to-many): that scope is applied as ``pk IN (visible rows)``, every other
    one directly — one query level less on the hot path of phone submissions."""
    return _visible(principal, queryset, for_update=True)


def _visible(principal: Principal | None, queryset: models.QuerySet[M], *, for_update: bool) -> models.QuerySet[M]:
    if principal is None or not getattr(principal, "is_authenticated", True):
        return queryset.none()
    spec: ScopeSpec | None = getattr(queryset.model, "scope_spec", None)
    if spec is None:
        raise TypeError(f"{queryset.model.__name__} declares no scope_spec: it cannot be read through scope")
    scope = effective_scope(principal)
    if scope.sees_all:
        return queryset
    condition = Q()
    unit_q = scope.unit_filter()
    if unit_q is not None:
        condition |= Q(**{f"{spec.unit_field}__in": OrgUnit.objects.filter(unit_q).values("pk")})
    if scope.self_user_id is not None:
        for name in spec.self_fields:
            condition |= Q(**{name: scope.self_user_id})
    requester = spec.requester_field if scope.department_unit_id is not None else None
    joins_requests = bool(requester)
    if requester:
        condition |= Q(**{requester: scope.department_unit_id})
    if not condition:
        return queryset.none()
    if not for_update:
        return queryset.filter(condition).distinct() if spec.requester_field else queryset.filter(condition)
    if joins_requests:
        visible = queryset.filter(condition).distinct().values("pk")
        return queryset.model._default_manager.filter(pk__in=visible)
    return queryset.filter(condition)


def lock_visible_row(principal: Principal | None, model: type[M], pk: int, fields: Sequence[str]) -> M | None:
    """The row ``pk`` of ``model`` (``fields`` and the primary key loaded), locked ``FOR UPDATE``,
    if ``principal`` may see it; None when it is missing or out of scope.

    The hot path of phone submissions: one plain statement (row + its owning unit's path), the scope
    decided by ``EffectiveScope.allows`` — the same rule ``visible_for_update`` puts in SQL, without
    compiling a query per request. A department's scope (requests joined to-many) goes through
    ``visible_for_update``."""
    if principal is None or not getattr(principal, "is_authenticated", True):
        return None
    spec: ScopeSpec = model.scope_spec  # type: ignore[attr-defined]
    scope = effective_scope(principal)
    if scope.department_unit_id is not None and spec.requester_field:
        return visible_for_update(principal, model._default_manager.filter(pk=pk)).select_for_update().first()
    sql, columns, unit_attname, self_attnames = _row_lock_statement(model, tuple(fields), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    instance = columns.build(row)
    unit_id = getattr(instance, unit_attname)
    self_values = [getattr(instance, name) for name in self_attnames]
    return instance if scope.allows(unit_id, row[-1], self_values) else None


@cache
def _row_lock_statement(
    model: type[models.Model], fields: tuple[str, ...], vendor: str
) -> tuple[str, ModelColumns[Any], str, list[str]]:
    spec: ScopeSpec = model.scope_spec  # type: ignore[attr-defined]
    unit: Any = model._meta.get_field(spec.unit_field)
    self_fields: list[Any] = [model._meta.get_field(name) for name in spec.self_fields]
    columns = ModelColumns(model, "t", [*fields, unit.name, *(f.name for f in self_fields)])
    quote = connection.ops.quote_name
    table, unit_t, pk = quote(model._meta.db_table), quote(OrgUnit._meta.db_table), quote(model._meta.pk.column)
    join = f"LEFT JOIN {unit_t} o ON o.{quote('id')} = t.{quote(unit.column)}"
    # identifiers from the model's metadata; the key is a parameter
    sql = f"SELECT {columns.sql}, o.{quote('path')} FROM {table} t {join} WHERE t.{pk} = %s"  # noqa: S608
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF t"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql, columns, unit.attname, [f.attname for f in self_fields]


def visible_org_units(principal: Any, queryset: models.QuerySet[OrgUnit]) -> models.QuerySet[OrgUnit]:
    """Org units a principal may see: those in scope, their ancestors (to draw the tree from the
    root), and the outside units (townships, departments) that work is handed to."""
    if principal is None or not getattr(principal, "is_authenticated", True):
        return queryset.none()
    scope = effective_scope(principal)
    if scope.sees_all:
        return queryset
    unit_q = scope.unit_filter()
    in_scope = list(OrgUnit.objects.filter(unit_q).values_list("path", flat=True)) if unit_q else []
    if scope.self_user_id is not None or scope.department_unit_id is not None:
        in_scope.append(principal.principal_unit.path)
    ancestor_ids = {int(p) for path in in_scope for p in path.strip("/").split("/") if p}
    condition = Q(pk__in=sorted(ancestor_ids)) | Q(kind__in=OUTSIDE_KINDS)
    if unit_q is not None:
        condition |= unit_q
    return queryset.filter(condition)


def get_visible_or_none(principal: Principal, queryset: models.QuerySet[M], **lookup: Any) -> M | None:
    """One row by lookup if the principal may see it; ``None`` both when missing and when forbidden
    (callers answer 404 for both, so existence does not leak)."""
    return visible_to_any(principal, queryset).filter(**lookup).first()


def visible_to_any(principal: Principal, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    if queryset.model is OrgUnit:
        return visible_org_units(principal, queryset)  # type: ignore[arg-type,return-value]
    return visible_to(principal, queryset)
