"""Group rental (群租): a flag derived from configurable thresholds, never a stored category.

Each city sets its own rule (DOMAIN §1.3). The default is Shanghai's and Beijing's: a house of one of
the configured uses (出租 by default) is a suspected group rental when its active residents number
more than ``max_residents_per_room`` × rooms, or when it gives each resident less than
``min_area_per_resident_m2`` m². ``settings.ZHUFANG_GROUP_RENTAL`` holds the thresholds; ``None``
switches one test off.

Residents are the house's active people, whoever's scope they lie in: crowding is a property of the
house, and only the count leaves this module. The queryset function and the per-house check give the
same answer for the same data (the tests hold them to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, ExpressionWrapper, F, FloatField, Q, QuerySet, Value
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zhufang.registry.models import House, HouseUse

SETTING = "ZHUFANG_GROUP_RENTAL"
#: annotation carrying a house's active residents
RESIDENTS = "active_residents"


@dataclass(frozen=True)
class GroupRentalRule:
    """群租认定标准: the thresholds of one city."""

    max_residents_per_room: float | None = 2
    min_area_per_resident_m2: float | None = 5.0
    uses: tuple[str, ...] = (HouseUse.RENTAL,)


def current_rule() -> GroupRentalRule:
    """The rule in ``settings.ZHUFANG_GROUP_RENTAL``; a bad value fails naming the setting and key."""
    raw: dict[str, Any] = dict(getattr(settings, SETTING, {}) or {})
    defaults = GroupRentalRule()
    unknown = set(raw) - {"max_residents_per_room", "min_area_per_resident_m2", "uses"}
    if unknown:
        raise ImproperlyConfigured(f"{SETTING}: unknown key(s) {', '.join(sorted(unknown))}")
    thresholds: dict[str, float | None] = {}
    for key in ("max_residents_per_room", "min_area_per_resident_m2"):
        value = raw.get(key, getattr(defaults, key))
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
            raise ImproperlyConfigured(f"{SETTING}[{key!r}]: expected a positive number or None, got {value!r}")
        thresholds[key] = value
    uses = tuple(raw.get("uses", defaults.uses))
    invalid = [u for u in uses if u not in HouseUse.values]
    if invalid or not uses:
        raise ImproperlyConfigured(f"{SETTING}['uses']: expected house uses from {HouseUse.values}, got {list(uses)}")
    return GroupRentalRule(
        max_residents_per_room=thresholds["max_residents_per_room"],
        min_area_per_resident_m2=thresholds["min_area_per_resident_m2"],
        uses=uses,
    )


def with_resident_counts(houses: QuerySet[House]) -> QuerySet[House]:
    """Each house annotated with ``active_residents`` (one JOIN + GROUP BY, no query per house)."""
    return houses.annotate(**{RESIDENTS: Count("residents", filter=Q(residents__is_active=True))})


def _crowded(rule: GroupRentalRule) -> Q:
    tests = Q()
    if rule.max_residents_per_room is not None:
        per_room = ExpressionWrapper(F("rooms") * Value(float(rule.max_residents_per_room)), output_field=FloatField())
        tests |= Q(**{f"{RESIDENTS}__gt": per_room})
    if rule.min_area_per_resident_m2 is not None:
        needed = ExpressionWrapper(
            F(RESIDENTS) * Value(float(rule.min_area_per_resident_m2)), output_field=FloatField()
        )
        tests |= Q(area_m2__lt=needed)
    return tests


def group_rental_houses(houses: QuerySet[House], rule: GroupRentalRule | None = None) -> QuerySet[House]:
    """The suspected group rentals among ``houses``, set-based: annotated with ``active_residents``.

    A house without a known room count (or area) is judged by the other test only."""
    rule = rule or current_rule()
    crowded = _crowded(rule)
    if not crowded:
        return houses.none()
    annotated = with_resident_counts(houses.filter(use__in=rule.uses))
    return annotated.filter(Q(**{f"{RESIDENTS}__gt": 0}) & crowded)


def group_rental_ids(houses: QuerySet[House], rule: GroupRentalRule | None = None) -> QuerySet[House, Any]:
    """The primary keys of ``group_rental_houses`` (for ``pk__in``, to count them by any grouping)."""
    return group_rental_houses(houses, rule).values("pk")


def group_rental_reasons(
    *, use: str, rooms: int | None, area_m2: float | None, residents: int, rule: GroupRentalRule | None = None
) -> list[str]:
    """Why one house counts as a suspected group rental (empty: it does not). The same tests as
    ``group_rental_houses``, in Python, for the house page's badge."""
    rule = rule or current_rule()
    if use not in rule.uses or residents <= 0:
        return []
    reasons = []
    limit = rule.max_residents_per_room
    if limit is not None and rooms is not None and residents > rooms * float(limit):
        message = ngettext(
            "%(residents)d residents in %(rooms)d room (more than %(limit)s per room)",
            "%(residents)d residents in %(rooms)d rooms (more than %(limit)s per room)",
            rooms,
        )
        reasons.append(message % {"residents": residents, "rooms": rooms, "limit": _number(limit)})
    minimum = rule.min_area_per_resident_m2
    if minimum is not None and area_m2 is not None and area_m2 < residents * float(minimum):
        reasons.append(
            _("%(area)s m² for %(residents)d residents (less than %(minimum)s m² each)")
            % {"area": _number(area_m2), "residents": residents, "minimum": _number(minimum)}
        )
    return reasons


def house_group_rental_reasons(house: House, residents: int | None = None) -> list[str]:
    """``group_rental_reasons`` of one house; ``residents`` (active) is counted when not given."""
    if residents is None:
        residents = house.residents.filter(is_active=True).count()
    return group_rental_reasons(use=house.use, rooms=house.rooms, area_m2=house.area_m2, residents=residents)


def _number(value: float) -> str:
    return f"{value:g}"
