"""Searching the registry within scope: people by full document number (blind index, no plaintext
scan) or by name; houses by address text."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db.models import Q, QuerySet

from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.validators import IdNumberError, check_id_number
from zhufang.registry.models import Establishment, House, Person, StandardAddress


def looks_like_document_number(q: str) -> bool:
    text = q.strip().upper()
    return len(text) >= 8 and sum(c.isdigit() for c in text) >= len(text) - 2


def search_people(principal: Any, q: str) -> QuerySet[Person]:
    """A full document number is looked up by its blind index; anything else is a name prefix."""
    people = Person.objects.visible_to(principal).select_related("house__address").filter(is_active=True)
    q = q.strip()
    if not q:
        return people.none()
    if looks_like_document_number(q):
        number = q.upper()
        with contextlib.suppress(IdNumberError):  # a passport or another document: search as typed
            number = check_id_number(number).normalised
        return people.filter(id_index=blind_index(number, kind="id_number"))
    return people.filter(name__startswith=q)


def search_houses(principal: Any, q: str) -> QuerySet[House]:
    houses = House.objects.visible_to(principal).select_related("address")
    q = q.strip()
    if not q:
        return houses.none()
    return houses.filter(address__full_text__contains=q)


def search_establishments(principal: Any, q: str, *, key_only: bool = False) -> QuerySet[Establishment]:
    """Establishments in scope by name or address text (a full 统一社会信用代码 exactly); every one in
    scope when ``q`` is empty. Merged duplicates are left out."""
    units = Establishment.objects.visible_to(principal).select_related("address").filter(is_active=True)
    if key_only:
        units = units.filter(is_key_industry=True)
    q = q.strip()
    if len(q) == 18 and q.isalnum() and q.isascii():
        return units.filter(uscc=q.upper())
    if q:
        units = units.filter(Q(name__contains=q) | Q(address__full_text__contains=q))
    return units.order_by("name", "pk")


def search_addresses(principal: Any, q: str) -> QuerySet[StandardAddress]:
    q = q.strip()
    addresses = StandardAddress.objects.visible_to(principal)
    return addresses.filter(full_text__contains=q) if q else addresses.none()
