"""Inspections API (检查): to-do lists and station summaries in scope, one object's cadence and history,
recording an inspection from a phone (multipart with a photo, ``Idempotency-Key``), the photo itself,
and the cadence rules (read by everyone with ``inspection.view``, changed by the control centre)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.api import principal_of
from zhufang.idempotency.services import IdempotencyConflict, run_once
from zhufang.inspections import services
from zhufang.inspections.cadence import TO_DO, counts_total, due_list, status_of
from zhufang.inspections.cadence import Status as CadenceStatus
from zhufang.inspections.models import Inspection, InspectionRule, TargetKind
from zhufang.inspections.photos import check_photo
from zhufang.inspections.presentation import due_item_out, inspection_out, status_out, target_out
from zhufang.inspections.responsibility import community_officers
from zhufang.inspections.rules import rule_by_id, rule_out, rules_list
from zhufang.inspections.summaries import unit_summary
from zhufang.inspections.targets import get_target
from zhufang.org.models import OrgUnit

router = Router(tags=["inspections"])


def _viewer(request: HttpRequest) -> Any:
    principal = principal_of(request)
    if not principal.has_permission(Perm.INSPECTION_VIEW):
        raise HttpError(403, "permission denied")
    return principal


def _as_of(as_of: dt.date | None) -> dt.date:
    today = timezone.localdate()
    if as_of is not None and as_of > today:
        raise HttpError(422, "as_of must not be in the future")
    return as_of or today


def _unit(principal: Any, unit_id: int | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = get_visible_or_none(principal, OrgUnit.objects.all(), pk=unit_id)
    if unit is None:
        raise HttpError(404, "unit not found")
    return unit


def _statuses(status: str) -> tuple[str, ...]:
    if status == "todo":
        return TO_DO
    if status in CadenceStatus.values:
        return (status,)
    raise HttpError(422, "status must be todo, due, overdue or done")


def _kinds(kind: str | None) -> tuple[str, ...]:
    if kind is None:
        return ()
    if kind not in TargetKind.values:
        raise HttpError(422, "kind must be house or establishment")
    return (kind,)


@router.get("/due", response=dict[str, Any])
def due(
    request: HttpRequest,
    status: str = "todo",
    kind: str | None = None,
    unit_id: int | None = None,
    as_of: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Any:
    """我的检查: houses and establishments in scope that are due or overdue (``status=todo``, the
    default), or ``due``/``overdue``/``done`` only; overdue first, then by deadline."""
    principal = _viewer(request)
    day, within, kinds = _as_of(as_of), _unit(principal, unit_id), _kinds(kind)
    items = due_list(
        principal,
        kinds=kinds,
        statuses=_statuses(status),
        within=within,
        as_of=day,
        limit=max(1, min(limit, 500)),
        offset=max(0, offset),
    )
    return {
        "as_of": day.isoformat(),
        "counts": counts_total(principal, within=within, as_of=day, kinds=kinds).as_dict(),
        "items": [due_item_out(principal, row) for row in items],
    }


@router.get("/summary", response=dict[str, Any])
def summary(request: HttpRequest, unit_id: int | None = None, as_of: dt.date | None = None) -> Any:
    """所长看板: counts per police district and per responsible community officer under a unit."""
    principal = _viewer(request)
    day, unit = _as_of(as_of), _unit(principal, unit_id)
    result = unit_summary(principal, unit, as_of=day)
    return {
        "unit": {"id": unit.pk, "name": unit.name, "kind": unit.kind} if unit else None,
        "as_of": day.isoformat(),
        "total": result.total.as_dict(),
        "districts": [
            {
                "district_id": row.district.pk if row.district else None,
                "district": row.district.name if row.district else None,
                "officers": [{"id": u.pk, "name": u.name, "police_number": u.police_number} for u in row.officers],
                "counts": row.counts.as_dict(),
            }
            for row in result.districts
        ],
        "officers": [
            {
                "officer_id": row.officer.pk,
                "name": row.officer.name,
                "police_number": row.officer.police_number,
                "district_id": row.district.pk,
                "district": row.district.name,
                "counts": row.counts.as_dict(),
            }
            for row in result.officers
        ],
    }


@router.get("/targets/{kind}/{target_id}", response=dict[str, Any])
def target_detail(request: HttpRequest, kind: str, target_id: int, as_of: dt.date | None = None) -> Any:
    """One house or establishment: masked details, its cadence status, responsible officers, history."""
    principal = _viewer(request)
    target = get_target(principal, kind, target_id)
    if target is None:
        raise HttpError(404, "not found")
    day = _as_of(as_of)
    district_id = target.owner_unit.parent_id if target.owner_unit_id and target.owner_unit else None
    officers = community_officers(principal, [district_id]).get(district_id, []) if district_id else []
    history = Inspection.objects.visible_to(principal).filter(**{kind: target}).select_related("inspector")[:50]
    return {
        "target": target_out(principal, target),
        "cadence": status_out(status_of(principal, kind, target.pk, as_of=day)),
        "officers": [{"id": u.pk, "name": u.name, "police_number": u.police_number} for u in officers],
        "may_record": services.may_record(principal, kind),
        "inspections": [inspection_out(principal, i) for i in history],
    }


@router.get("", response=list[dict[str, Any]])
def inspections(
    request: HttpRequest, kind: str | None = None, target_id: int | None = None, limit: int = 50, offset: int = 0
) -> Any:
    """Inspection records in scope, newest first; optionally of one object."""
    principal = _viewer(request)
    rows = Inspection.objects.visible_to(principal).select_related("inspector")
    if kind is not None:
        _kinds(kind)
        rows = rows.filter(**{f"{kind}__isnull": False})
        if target_id is not None:
            rows = rows.filter(**{f"{kind}_id": target_id})
    limit = max(1, min(limit, 200))
    return [inspection_out(principal, i) for i in rows[max(0, offset) : max(0, offset) + limit]]


@router.post("", response={201: dict[str, Any], 200: dict[str, Any], 409: dict[str, Any]})
def record(
    request: HttpRequest,
    target_kind: Form[str],
    target_id: Form[int],
    inspected_on: Form[dt.date],
    result: Form[str],
    findings: Form[str] = "",
    hazards: Form[list[str]] = [],  # noqa: B006 - ninja reads the default, never mutates it
    photo: File[UploadedFile | None] = None,
) -> Any:
    """记录检查 (multipart/form-data): ``hazards`` repeated once per hazard, ``photo`` a JPEG, PNG or
    WebP image. Send an ``Idempotency-Key`` header from phones: a retry returns the first answer
    (200) and never records twice; the same key with another request is refused (409)."""
    principal = principal_of(request)
    target = get_target(principal, target_kind, target_id)
    if target is None:
        raise HttpError(404, "not found")
    checked = check_photo(photo) if photo is not None else None
    payload = {
        "target_kind": target_kind,
        "target_id": target_id,
        "inspected_on": inspected_on,
        "result": result,
        "findings": findings,
        "hazards": hazards,
        "photo_sha256": checked.sha256 if checked else None,
    }

    def write() -> tuple[int, Any]:
        inspection = services.record_inspection(
            actor=principal,
            target=target,
            inspected_on=inspected_on,
            result=result,
            findings=findings,
            hazards=hazards,
            photo=photo,
        )
        return 201, inspection_out(principal, inspection)

    try:
        status, body, replayed = run_once(
            principal=principal,
            endpoint="inspections.create",
            key=request.headers.get("Idempotency-Key"),
            payload=payload,
            write=write,
        )
    except IdempotencyConflict:
        return Status(409, {"detail": "Idempotency-Key reused with a different request"})
    return Status(200 if replayed else status, body)


@router.get("/rules", response=list[dict[str, Any]])
def rules(request: HttpRequest) -> Any:
    _viewer(request)
    return [rule_out(r) for r in rules_list()]


class RuleIn(Schema):
    target_kind: str
    selector: str
    value: str
    period: str
    is_active: bool = True
    note: str = ""


class RuleChange(Schema):
    period: str | None = None
    is_active: bool | None = None
    note: str | None = None


@router.post("/rules", response={201: dict[str, Any]})
def create_rule(request: HttpRequest, payload: RuleIn) -> Any:
    rule = services.create_rule(actor=principal_of(request), **payload.dict())
    return Status(201, rule_out(rule))


@router.patch("/rules/{rule_id}", response=dict[str, Any])
def change_rule(request: HttpRequest, rule_id: int, payload: RuleChange) -> Any:
    principal = principal_of(request)
    rule: InspectionRule | None = rule_by_id(rule_id)
    if rule is None:
        raise HttpError(404, "rule not found")
    return rule_out(services.update_rule(actor=principal, rule=rule, **payload.dict()))


@router.get("/{inspection_id}", response=dict[str, Any])
def inspection_detail(request: HttpRequest, inspection_id: int) -> Any:
    principal = _viewer(request)
    found = get_visible_or_none(principal, Inspection.objects.select_related("inspector"), pk=inspection_id)
    if found is None:
        raise HttpError(404, "inspection not found")
    return inspection_out(principal, found)


@router.get("/{inspection_id}/photo")
def photo(request: HttpRequest, inspection_id: int) -> Any:
    """The photo of an inspection in scope (never a public media URL)."""
    principal = _viewer(request)
    found = get_visible_or_none(principal, Inspection.objects.all(), pk=inspection_id)
    if found is None or not found.photo:
        raise HttpError(404, "photo not found")
    return FileResponse(found.photo.open("rb"), content_type=found.photo_type or "application/octet-stream")
