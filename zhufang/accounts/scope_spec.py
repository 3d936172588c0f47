"""``ScopeSpec``: how a model declares its data scope (kept apart so models can import it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class ScopeSpec:
    """How a model is scoped; read by ``zhufang.accounts.scope.visible_to``.

    ``unit_field``: FK to the owning ``OrgUnit``; ``self_fields``: fields holding a user id for
    "self" scope; ``requester_field``: FK/M2M to the requesting department for department scope.
    """

    unit_field: str
    self_fields: tuple[str, ...] = ()
    requester_field: str | None = None


class ScopedQuerySet(models.QuerySet[Any]):
    """A queryset whose model declares ``scope_spec``: ``Model.objects.visible_to(principal)``."""

    def visible_to(self, principal: Any) -> ScopedQuerySet:
        from zhufang.accounts.scope import visible_to

        return visible_to(principal, self)  # type: ignore[return-value]
