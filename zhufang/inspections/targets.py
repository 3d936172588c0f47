"""Finding the object of an inspection (a house or an establishment) in the principal's scope."""

from __future__ import annotations

from typing import Any

from zhufang.accounts.scope import get_visible_or_none
from zhufang.inspections.models import TargetKind
from zhufang.registry.models import Establishment, House


def get_target(principal: Any, kind: str, pk: int) -> House | Establishment | None:
    """The house or establishment if the principal may see it; ``None`` when missing or forbidden
    (callers answer 404 for both)."""
    if kind == TargetKind.HOUSE:
        return get_visible_or_none(principal, House.objects.select_related("address", "owner_unit"), pk=pk)
    if kind == TargetKind.ESTABLISHMENT:
        return get_visible_or_none(
            principal, Establishment.objects.select_related("address", "owner_unit"), pk=pk, is_active=True
        )
    return None
