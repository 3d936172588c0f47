"""Data-quality API (数据质量), mounted at ``/api/v1/registry/quality``: the same table as the page, and
the lists behind it (stale people masked, suspected group rentals), in scope."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.api import principal_of
from zhufang.org.models import OrgUnit
from zhufang.registry.api import person_out
from zhufang.registry.group_rental import RESIDENTS, group_rental_houses, group_rental_reasons
from zhufang.registry.models import House, Person
from zhufang.registry.quality import CHILD_KIND, default_level, quality_table, scoped_to_unit, table_as_dict
from zhufang.registry.stale import LAST_UPDATE, stale_people, stale_reasons

router = Router(tags=["registry"])
MAX_LIMIT = 500


def _principal(request: HttpRequest) -> Any:
    principal = principal_of(request)
    if not principal.has_permission(Perm.ORG_VIEW):
        raise HttpError(403, f"permission {Perm.ORG_VIEW} required")
    return principal


def _unit(principal: Any, unit_id: int | None) -> OrgUnit:
    unit = (
        default_level(principal)
        if unit_id is None
        else get_visible_or_none(principal, OrgUnit.objects.defer("polygon"), pk=unit_id)
    )
    if unit is None:
        raise HttpError(404, "unit not found")
    return unit


@router.get("", response=dict[str, Any])
def quality(request: HttpRequest, unit_id: int | None = None) -> Any:
    """One row per station / police district / grid below ``unit_id`` (default: where the caller's
    scope starts), what lies in none of them, and the total."""
    principal = _principal(request)
    unit = _unit(principal, unit_id)
    if unit.kind not in CHILD_KIND:
        raise HttpError(422, "unit_id must be a bureau, a police station or a police district")
    return table_as_dict(quality_table(principal, unit))


@router.get("/stale", response=dict[str, Any])
def stale(request: HttpRequest, unit_id: int | None = None, limit: int = 100, offset: int = 0) -> Any:
    principal = _principal(request)
    unit = _unit(principal, unit_id)
    today = timezone.localdate()
    people = stale_people(scoped_to_unit(Person, principal, unit).select_related("house__address"), today)
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    page = people.order_by(LAST_UPDATE, "pk")[offset : offset + limit]
    return {
        "count": people.count(),
        "as_of": today.isoformat(),
        "people": [
            {
                **person_out(principal, p),
                "last_update": getattr(p, LAST_UPDATE),
                "permit_expires": p.permit_expires,
                "reasons": stale_reasons(
                    last_update=getattr(p, LAST_UPDATE), permit_expires=p.permit_expires, today=today
                ),
            }
            for p in page
        ],
    }


@router.get("/group-rentals", response=dict[str, Any])
def group_rentals(request: HttpRequest, unit_id: int | None = None, limit: int = 100, offset: int = 0) -> Any:
    principal = _principal(request)
    unit = _unit(principal, unit_id)
    houses = group_rental_houses(scoped_to_unit(House, principal, unit).select_related("address"))
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    page = houses.order_by(f"-{RESIDENTS}", "pk")[offset : offset + limit]
    return {
        "count": houses.count(),
        "houses": [
            {
                "id": h.pk,
                "address": h.address.full_text,
                "use": h.use,
                "rooms": h.rooms,
                "area_m2": h.area_m2,
                "residents": getattr(h, RESIDENTS),
                "reasons": group_rental_reasons(
                    use=h.use, rooms=h.rooms, area_m2=h.area_m2, residents=getattr(h, RESIDENTS)
                ),
            }
            for h in page
        ],
    }
