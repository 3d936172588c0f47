"""``{% search_result_map %}`` and ``{% house_location_map house %}``: the map panels of the registry's
search and house pages, built from the page's own scoped results (see ``zhufang.registry.result_map``)."""

from __future__ import annotations

from typing import Any

from django import template

from zhufang.registry.models import House
from zhufang.registry.result_map import ResultMap, establishments_map, house_map, search_map

register = template.Library()


@register.simple_tag(takes_context=True)
def search_result_map(context: template.Context) -> ResultMap:
    """The search page's map: its ``q`` (as shown) and the houses of its ``people``, for its user."""
    people: list[dict[str, Any]] = list(context.get("people") or [])
    return search_map(context["request"].user, str(context.get("q") or ""), [p["house_id"] for p in people])


@register.simple_tag(takes_context=True)
def house_location_map(context: template.Context, house: House) -> ResultMap:
    return house_map(context["request"].user, house)


@register.simple_tag(takes_context=True)
def establishment_result_map(context: template.Context) -> ResultMap:
    """The establishments page's map: its filter (``q``, key venues only), for its user."""
    return establishments_map(
        context["request"].user, str(context.get("q") or ""), key_only=bool(context.get("key_only"))
    )
