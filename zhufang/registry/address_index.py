"""The process-wide address matcher over the standard addresses (rebuilt when they change), and the
lookups an import needs: address → grid, address → house."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from zhufang.registry.addressing.match import AddressMatcher
from zhufang.registry.addressing.structure import LEVELS, AddressParts
from zhufang.registry.models import StandardAddress

_lock = threading.Lock()
_cache: dict[str, Any] = {}


@dataclass
class AddressIndex:
    matcher: AddressMatcher
    owner_unit_of: dict[int, int | None]


def _state() -> tuple[int, Any]:
    agg = StandardAddress.objects.aggregate(n=Count("id"), t=Max("updated_at"), m=Max("id"))
    return int(agg["n"]), (agg["t"], agg["m"])


def current_index() -> AddressIndex:
    """The matcher for the current standard addresses (one aggregate query to check freshness)."""
    state = _state()
    with _lock:
        if _cache.get("state") != state:
            rows = StandardAddress.objects.values_list("pk", "owner_unit_id", *LEVELS).iterator(chunk_size=20000)
            standard: list[tuple[int, AddressParts]] = []
            owner_unit_of: dict[int, int | None] = {}
            for pk, owner_unit_id, *levels in rows:
                standard.append((pk, AddressParts(*levels)))
                owner_unit_of[pk] = owner_unit_id
            _cache["index"] = AddressIndex(AddressMatcher(standard), owner_unit_of)
            _cache["state"] = state
        index = _cache["index"]
    assert isinstance(index, AddressIndex)
    return index


def forget_index() -> None:
    with _lock:
        _cache.clear()
