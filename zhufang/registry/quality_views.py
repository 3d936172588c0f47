"""Data-quality pages (数据质量): the table per station / police district with drill-down, and the
lists behind its figures — stale people (masked) and suspected group rentals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.org.models import OrgUnit
from zhufang.registry.api import person_out
from zhufang.registry.group_rental import RESIDENTS, group_rental_houses, group_rental_reasons
from zhufang.registry.models import House, Person, PersonCategory
from zhufang.registry.quality import CHILD_KIND, default_level, quality_table, scoped_to_unit
from zhufang.registry.stale import LAST_UPDATE, stale_people, stale_reasons

PAGE_SIZE = 50
#: figure → the page listing the records behind it (a page another part of the registry provides is
#: linked once its URL exists; the duplicate review queue lists the whole scope, so only the total links there)
LIST_PAGES = {
    "stale_people": "registry:quality_stale",
    "group_rentals": "registry:quality_group_rentals",
    "duplicates_pending": "registry:duplicates",
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.has_permission(Perm.ORG_VIEW):
        raise PermissionDenied
    return user


def _unit(user: User, raw: str | None) -> OrgUnit:
    """The unit named by ``?unit=`` if the user may see it, else their default level (404 for both
    missing and forbidden)."""
    if not raw:
        unit = default_level(user)
    else:
        try:
            pk = int(raw)
        except ValueError:
            raise Http404 from None
        unit = get_visible_or_none(user, OrgUnit.objects.defer("polygon"), pk=pk)
    if unit is None:
        raise Http404
    return unit


def _list_urls() -> dict[str, str]:
    urls = {}
    for figure, name in LIST_PAGES.items():
        try:
            urls[figure] = reverse(name)
        except NoReverseMatch:
            continue
    return urls


@login_required
def quality(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    level = _unit(user, request.GET.get("unit"))
    if level.kind not in CHILD_KIND:
        raise Http404
    table = quality_table(user, level)
    ancestors = (
        OrgUnit.objects.visible_to(user).filter(pk__in=level.ancestor_ids()[:-1]).defer("polygon").order_by("depth")
    )
    return render(
        request,
        "registry/quality.html",
        {"table": table, "ancestors": ancestors, "links": _list_urls()},
    )


def _page(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def stale_list(request: HttpRequest) -> HttpResponse:
    """过期人员: the stale records under one unit, oldest first, identifiers masked."""
    user = _user(request)
    unit = _unit(user, request.GET.get("unit"))
    today = timezone.localdate()
    people = stale_people(scoped_to_unit(Person, user, unit).select_related("house__address"), today)
    page = _page(request, people.order_by(LAST_UPDATE, "pk"))
    rows = [
        {
            **person_out(user, p),
            "category_label": PersonCategory(p.category).label if p.category in PersonCategory.values else p.category,
            "last_update": getattr(p, LAST_UPDATE),
            "permit_expires": p.permit_expires,
            "reasons": stale_reasons(last_update=getattr(p, LAST_UPDATE), permit_expires=p.permit_expires, today=today),
        }
        for p in page
    ]
    return render(
        request,
        "registry/quality_stale.html",
        {"unit": unit, "page": page, "rows": rows, "today": today, "personal_data": True},
    )


@login_required
def group_rental_list(request: HttpRequest) -> HttpResponse:
    """疑似群租: the suspected group rentals under one unit, most crowded first."""
    user = _user(request)
    unit = _unit(user, request.GET.get("unit"))
    houses = group_rental_houses(scoped_to_unit(House, user, unit).select_related("address"))
    page = _page(request, houses.order_by(f"-{RESIDENTS}", "pk"))
    rows = [
        {
            "house": h,
            "residents": getattr(h, RESIDENTS),
            "reasons": group_rental_reasons(
                use=h.use, rooms=h.rooms, area_m2=h.area_m2, residents=getattr(h, RESIDENTS)
            ),
        }
        for h in page
    ]
    return render(request, "registry/quality_group_rentals.html", {"unit": unit, "page": page, "rows": rows})
