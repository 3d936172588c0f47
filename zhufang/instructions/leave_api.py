"""API for leave and delegation (请假委托) and the police districts' default officers — the station's
own, through the data scope (mounted under /api/v1/instructions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from zhufang.accounts.models import User
from zhufang.accounts.scope import get_visible_or_none
from zhufang.api import principal_of
from zhufang.instructions import leave as leave_services
from zhufang.instructions.models import Delegation
from zhufang.org.models import OrgUnit

router = Router(tags=["instructions"])


class LeaveIn(Schema):
    officer_id: int
    delegate_id: int
    starts_on: dt.date
    ends_on: dt.date
    reason: str = ""


class DefaultOfficerIn(Schema):
    officer_id: int | None = None


def _officer(principal: Any, user_id: int) -> User:
    officer = get_visible_or_none(principal, User.objects.select_related("unit"), pk=user_id)
    if officer is None:
        raise HttpError(404, "officer not found")
    return officer


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.name, "police_number": user.police_number}


def leave_out(leave: Delegation, today: dt.date) -> dict[str, Any]:
    state = "over" if leave.ends_on < today else ("current" if leave.starts_on <= today else "upcoming")
    return {
        "id": leave.pk,
        "officer": _person(leave.officer),
        "delegate": _person(leave.delegate),
        "starts_on": leave.starts_on,
        "ends_on": leave.ends_on,
        "reason": leave.reason,
        "state": state,
    }


@router.get("/leaves", response=list[dict[str, Any]])
def leave_list(request: HttpRequest) -> Any:
    principal = principal_of(request)
    leave_services.actor_station(principal)
    today = timezone.localdate()
    return [leave_out(row, today) for row in leave_services.leaves_for(principal)[:500]]


@router.post("/leaves", response={201: dict[str, Any]})
def leave_create(request: HttpRequest, payload: LeaveIn) -> Any:
    """Record a leave; a leave covering today hands the officer's open items to the delegate now."""
    principal = principal_of(request)
    done = leave_services.record_leave(
        actor=principal,
        officer=_officer(principal, payload.officer_id),
        delegate=_officer(principal, payload.delegate_id),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
    )
    return Status(201, {**leave_out(done.leave, timezone.localdate()), "handed_over": done.handed_over})


@router.post("/leaves/{int:leave_id}/end", response=dict[str, Any])
def leave_end(request: HttpRequest, leave_id: int) -> Any:
    """End a leave in progress (yesterday was its last day) or cancel one not yet started. Items already
    handed to the delegate stay with the delegate."""
    principal = principal_of(request)
    found = get_visible_or_none(principal, Delegation.objects.all(), pk=leave_id)
    if found is None:
        raise HttpError(404, "leave not found")
    return {"outcome": leave_services.end_leave(actor=principal, leave=found)}


@router.get("/default-officers", response=list[dict[str, Any]])
def default_officers(request: HttpRequest) -> Any:
    principal = principal_of(request)
    return [
        {
            "district_id": d.district.pk,
            "district": d.district.name,
            "officer": _person(d.chosen),
            "effective_officer_id": d.effective_id,
        }
        for d in leave_services.district_defaults(principal)
    ]


@router.put("/default-officers/{int:district_id}", response=dict[str, Any])
def default_officer_set(request: HttpRequest, district_id: int, payload: DefaultOfficerIn) -> Any:
    """Choose a district's default officer; ``officer_id: null`` goes back to its community officer."""
    principal = principal_of(request)
    district = get_visible_or_none(principal, OrgUnit.objects.all(), pk=district_id)
    if district is None:
        raise HttpError(404, "district not found")
    officer = _officer(principal, payload.officer_id) if payload.officer_id else None
    chosen = leave_services.set_default_assignee(actor=principal, district=district, officer=officer)
    return {"district_id": district.pk, "officer": _person(chosen.officer if chosen else None)}
