"""``{% group_rental_check house residents as reasons %}``: why a house counts as a suspected group
rental (群租), from the residents the page already lists — no extra query."""

from __future__ import annotations

from collections.abc import Sized

from django import template

from zhufang.registry.group_rental import house_group_rental_reasons
from zhufang.registry.models import House

register = template.Library()


@register.simple_tag
def group_rental_check(house: House, residents: Sized) -> list[str]:
    """``residents``: the house's active residents as listed on the page."""
    return house_group_rental_reasons(house, residents=len(residents))
