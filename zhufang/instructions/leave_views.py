"""The station's leave page (请假委托): record an officer's leave with a delegate, end or cancel it, and
choose each police district's default officer. Parses input, calls ``leave`` services, renders."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.instructions import leave as leave_services
from zhufang.instructions.models import Delegation
from zhufang.org.models import OrgUnit


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _officer(user: User, value: str, field: str) -> User:
    found = get_visible_or_none(user, User.objects.select_related("unit"), pk=int(value)) if value.isdigit() else None
    if found is None:
        raise ValidationError({field: _("Choose an officer of your station")})
    return found


def _post(request: HttpRequest, user: User) -> None:
    op = request.POST.get("op")
    if op == "record":
        officer = _officer(user, request.POST.get("officer", ""), "officer")
        delegate = _officer(user, request.POST.get("delegate", ""), "delegate")
        starts_on, ends_on = _date(request.POST.get("starts_on", "")), _date(request.POST.get("ends_on", ""))
        done = leave_services.record_leave(
            actor=user,
            officer=officer,
            delegate=delegate,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=request.POST.get("reason", ""),
        )
        messages.success(
            request,
            _("Leave recorded: %(officer)s → %(delegate)s; %(n)s open instructions handed over now")
            % {"officer": officer.name, "delegate": delegate.name, "n": done.handed_over},
        )
    elif op == "end":
        value = request.POST.get("leave", "")
        found = get_visible_or_none(user, Delegation.objects.all(), pk=int(value)) if value.isdigit() else None
        if found is None:
            raise ValidationError({"leave": _("Choose a leave of your station")})
        outcome = leave_services.end_leave(actor=user, leave=found)
        messages.success(request, _("Leave cancelled") if outcome == "cancelled" else _("Leave ended yesterday"))
    elif op == "default":
        value = request.POST.get("district", "")
        district = get_visible_or_none(user, OrgUnit.objects.all(), pk=int(value)) if value.isdigit() else None
        if district is None:
            raise ValidationError({"district": _("Choose a police district of your station")})
        chosen = request.POST.get("officer", "")
        default = _officer(user, chosen, "officer") if chosen else None
        leave_services.set_default_assignee(actor=user, district=district, officer=default)
        messages.success(request, _("Default officer of %(district)s saved") % {"district": district.name})


@login_required
def leave_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not user.has_permission(Perm.INSTRUCTION_SIGN):
        raise PermissionDenied
    station = leave_services.actor_station(user)
    if request.method == "POST":
        try:
            _post(request, user)
        except ValidationError as exc:
            for errors in exc.message_dict.values():
                for error in errors:
                    messages.error(request, error)
        return redirect("instructions:leave")
    today = timezone.localdate()
    officers = list(leave_services.station_officers(user, station))
    names = {o.pk: o for o in officers}
    leaves = [
        {
            "leave": row,
            "state": "over" if row.ends_on < today else ("current" if row.starts_on <= today else "upcoming"),
        }
        for row in leave_services.leaves_for(user)[:100]
    ]
    defaults = [
        {"row": d, "effective": names.get(d.effective_id) if d.effective_id else None}
        for d in leave_services.district_defaults(user, today)
    ]
    return render(
        request,
        "instructions/leave.html",
        {
            "station": station,
            "officers": officers,
            "leaves": leaves,
            "defaults": defaults,
            "today": today,
        },
    )
