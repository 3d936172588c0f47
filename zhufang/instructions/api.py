"""Instruction-centre API (指令中心): batches, items, transitions, photos, progress and the work log —
every read through the data scope, every phone submission idempotent (``Idempotency-Key`` header)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from zhufang.accounts.models import User
from zhufang.accounts.scope import get_visible_or_none
from zhufang.api import principal_of
from zhufang.idempotency.services import IdempotencyConflict, run_once
from zhufang.instructions import closing, editing, issuing, transitions
from zhufang.instructions.attachments import add_photo
from zhufang.instructions.categories import categories, get_category
from zhufang.instructions.models import InstructionBatch, InstructionItem
from zhufang.instructions.queries import batches_for, item_out, items_for
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.stats import batch_progress, merged_counts, station_progress
from zhufang.instructions.worklog import work_log, work_log_csv
from zhufang.privacy.exporting import record_export

router = Router(tags=["instructions"])


class TargetIn(Schema):
    kind: str
    id: int | None = None
    lon: float | None = None
    lat: float | None = None
    label: str = ""


class BatchIn(Schema):
    title: str
    category: str
    requirements: str = ""
    deadline: dt.datetime | None = None
    targets: list[TargetIn] = []


class TargetsIn(Schema):
    targets: list[TargetIn]


class ItemsIn(Schema):
    item_ids: list[int]


class SignIn(ItemsIn):
    assignee_id: int | None = None


class AssignIn(ItemsIn):
    officer_id: int


class ReasonIn(ItemsIn):
    reason: str


class RerouteIn(ItemsIn):
    station_id: int
    district_id: int | None = None


class FeedbackIn(Schema):
    data: dict[str, Any]
    attachment_ids: list[int] = []
    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None


class CloseIn(Schema):
    cancel_open_reason: str = ""


def _refs(targets: list[TargetIn]) -> list[TargetRef]:
    return [TargetRef(t.kind, t.id, t.lon, t.lat, t.label) for t in targets]


def _batch(request: HttpRequest, batch_id: int) -> InstructionBatch:
    batch = get_visible_or_none(principal_of(request), InstructionBatch.objects.all(), pk=batch_id)
    if batch is None:
        raise HttpError(404, "batch not found")
    return batch


def _officer(request: HttpRequest, user_id: int) -> User:
    officer = get_visible_or_none(principal_of(request), User.objects.select_related("unit"), pk=user_id)
    if officer is None:
        raise HttpError(404, "officer not found")
    return officer


def batch_out(principal: Any, batch: InstructionBatch, progress: dict[str, Any] | None = None) -> dict[str, Any]:
    category = get_category(batch.category)
    return {
        "id": batch.pk,
        "title": batch.title,
        "category": batch.category,
        "category_name": category.name,
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "requirements": batch.requirements,
        "deadline": batch.deadline,
        "requesting_unit": batch.requesting_unit.name if batch.requesting_unit else None,
        "issued_at": batch.issued_at,
        "closed_at": batch.closed_at,
        "progress": progress,
    }


@router.get("/categories", response=list[dict[str, Any]])
def category_list(request: HttpRequest) -> Any:
    principal_of(request)
    return [
        {
            "code": c.code,
            "name": c.name,
            "deadline": {"unit": c.deadline_unit, "amount": c.deadline_amount},
            "targets": list(c.targets),
            "photos": c.photos,
            "location": c.location,
            "form": [
                {"name": f.name, "label": f.label, "type": f.type, "required": f.required, "options": list(f.options)}
                for f in c.form
            ],
        }
        for c in categories().values()
    ]


@router.post("/batches", response={201: dict[str, Any]})
def batch_create(request: HttpRequest, payload: BatchIn) -> Any:
    principal = principal_of(request)
    batch = issuing.create_batch(
        actor=principal,
        title=payload.title,
        category=payload.category,
        requirements=payload.requirements,
        deadline=payload.deadline,
        targets=_refs(payload.targets),
    )
    return Status(201, batch_out(principal, batch))


@router.get("/batches", response=list[dict[str, Any]])
def batch_list(request: HttpRequest, status: str = "", limit: int = 50) -> Any:
    principal = principal_of(request)
    batches = list(batches_for(principal, status=status)[: max(1, min(limit, 200))])
    progress = batch_progress(principal, [b.pk for b in batches])
    merged = merged_counts([b.pk for b in batches])
    return [batch_out(principal, b, {**progress[b.pk].as_dict(), "merged": merged.get(b.pk, 0)}) for b in batches]


@router.get("/batches/{int:batch_id}", response=dict[str, Any])
def batch_detail(request: HttpRequest, batch_id: int) -> Any:
    principal = principal_of(request)
    batch = _batch(request, batch_id)
    progress = batch_progress(principal, [batch.pk])[batch.pk].as_dict()
    progress["merged"] = merged_counts([batch.pk]).get(batch.pk, 0)
    body = batch_out(principal, batch, progress)
    body["stations"] = [p.as_dict() for p in station_progress(principal, batch_id=batch.pk).values()]
    return body


class BatchEditIn(Schema):
    title: str | None = None
    requirements: str | None = None
    deadline: dt.datetime | None = None
    clear_deadline: bool = False
    remove_targets: list[int] = []


@router.patch("/batches/{int:batch_id}", response=dict[str, Any])
def batch_edit(request: HttpRequest, batch_id: int, payload: BatchEditIn) -> Any:
    """The centre's review of a request (or a department's own draft) before it is issued."""
    principal = principal_of(request)
    batch = editing.update_batch(
        actor=principal,
        batch=_batch(request, batch_id),
        title=payload.title,
        requirements=payload.requirements,
        deadline=payload.deadline,
        clear_deadline=payload.clear_deadline,
        remove_targets=payload.remove_targets,
    )
    return batch_out(principal, batch)


@router.post("/batches/{int:batch_id}/targets", response=dict[str, Any])
def batch_add_targets(request: HttpRequest, batch_id: int, payload: TargetsIn) -> Any:
    added = issuing.add_targets(
        actor=principal_of(request), batch=_batch(request, batch_id), targets=_refs(payload.targets)
    )
    return {"added": added}


@router.post("/batches/{int:batch_id}/submit", response=dict[str, Any])
def batch_submit(request: HttpRequest, batch_id: int) -> Any:
    principal = principal_of(request)
    return batch_out(principal, issuing.submit_request(actor=principal, batch=_batch(request, batch_id)))


@router.post("/batches/{int:batch_id}/issue", response=dict[str, Any])
def batch_issue(request: HttpRequest, batch_id: int) -> Any:
    report = issuing.issue_batch(actor=principal_of(request), batch=_batch(request, batch_id))
    return {
        "created": report.created,
        "merged": report.merged,
        "duplicates_in_batch": report.duplicates_in_batch,
        "stations": len(report.stations),
        "approximate_deadline": report.approximate_deadline,
    }


@router.post("/batches/{int:batch_id}/close", response=dict[str, Any])
def batch_close(request: HttpRequest, batch_id: int, payload: CloseIn) -> Any:
    principal = principal_of(request)
    batch = closing.close_batch(
        actor=principal, batch=_batch(request, batch_id), cancel_open_reason=payload.cancel_open_reason
    )
    return batch_out(principal, batch)


@router.get("/items", response=list[dict[str, Any]])
def item_list(
    request: HttpRequest, status: str = "", mine: bool = False, batch_id: int | None = None, limit: int = 100
) -> Any:
    principal = principal_of(request)
    items = items_for(principal, status=status, mine=mine, batch_id=batch_id)[: max(1, min(limit, 1000))]
    now = timezone.now()
    return [item_out(principal, i, now) for i in items]


@router.get("/items/{int:item_id}", response=dict[str, Any])
def item_detail(request: HttpRequest, item_id: int) -> Any:
    principal = principal_of(request)
    item = get_visible_or_none(principal, InstructionItem.objects.select_related("assignee", "station"), pk=item_id)
    if item is None:
        raise HttpError(404, "item not found")
    return item_out(principal, item, timezone.now(), detail=True)


@router.post("/items/sign", response=dict[str, Any])
def items_sign(request: HttpRequest, payload: SignIn) -> Any:
    assignee = _officer(request, payload.assignee_id) if payload.assignee_id else None
    return {"signed": transitions.sign_for(actor=principal_of(request), item_ids=payload.item_ids, assignee=assignee)}


@router.post("/items/assign", response=dict[str, Any])
def items_assign(request: HttpRequest, payload: AssignIn) -> Any:
    officer = _officer(request, payload.officer_id)
    return {"assigned": transitions.assign(actor=principal_of(request), item_ids=payload.item_ids, officer=officer)}


@router.post("/items/return", response=dict[str, Any])
def items_return(request: HttpRequest, payload: ReasonIn) -> Any:
    count = transitions.return_to_centre(actor=principal_of(request), item_ids=payload.item_ids, reason=payload.reason)
    return {"returned": count}


@router.post("/items/reroute", response=dict[str, Any])
def items_reroute(request: HttpRequest, payload: RerouteIn) -> Any:
    count = transitions.reroute(
        actor=principal_of(request),
        item_ids=payload.item_ids,
        station_id=payload.station_id,
        district_id=payload.district_id,
    )
    return {"rerouted": count}


@router.post("/items/approve", response=dict[str, Any])
def items_approve(request: HttpRequest, payload: ItemsIn) -> Any:
    return {"approved": transitions.approve(actor=principal_of(request), item_ids=payload.item_ids)}


@router.post("/items/rework", response=dict[str, Any])
def items_rework(request: HttpRequest, payload: ReasonIn) -> Any:
    count = transitions.return_for_rework(actor=principal_of(request), item_ids=payload.item_ids, reason=payload.reason)
    return {"rework": count}


@router.post("/items/cancel", response=dict[str, Any])
def items_cancel(request: HttpRequest, payload: ReasonIn) -> Any:
    count = transitions.cancel(actor=principal_of(request), item_ids=payload.item_ids, reason=payload.reason)
    return {"cancelled": count}


def _idempotent(request: HttpRequest, endpoint: str, payload: Any, write: Any) -> Any:
    try:
        status, body, _replayed = run_once(
            principal=principal_of(request),
            endpoint=endpoint,
            key=request.headers.get("Idempotency-Key"),
            payload=payload,
            write=write,
        )
    except IdempotencyConflict:
        raise HttpError(409, "Idempotency-Key reused with a different request") from None
    return Status(status, body)


@router.post("/items/{int:item_id}/photos", response={201: dict[str, Any]})
def item_photo(
    request: HttpRequest,
    item_id: int,
    file: File[UploadedFile],
    lon: Form[float | None] = None,
    lat: Form[float | None] = None,
    accuracy_m: Form[float | None] = None,
) -> Any:
    """Upload one photo before submitting the feedback. With an ``Idempotency-Key`` a retried upload
    returns the first photo instead of storing it twice."""

    def write() -> tuple[int, Any]:
        photo = add_photo(
            actor=principal_of(request), item_id=item_id, upload=file, lon=lon, lat=lat, accuracy_m=accuracy_m
        )
        return 201, {"id": photo.pk, "size": photo.size, "content_type": photo.content_type}

    payload = {"item": item_id, "name": file.name, "size": file.size, "lon": lon, "lat": lat}
    return _idempotent(request, f"instructions.photo:{item_id}", payload, write)


@router.post("/items/{int:item_id}/feedback", response={200: dict[str, Any], 201: dict[str, Any]})
def item_feedback(request: HttpRequest, item_id: int, payload: FeedbackIn) -> Any:
    """Submit the category's feedback form. Send an ``Idempotency-Key`` from phones: a retry returns
    the first answer and never submits twice."""
    principal = principal_of(request)

    def write() -> tuple[int, Any]:
        item = transitions.feed_back(
            actor=principal,
            item_id=item_id,
            data=payload.data,
            attachment_ids=payload.attachment_ids,
            lon=payload.lon,
            lat=payload.lat,
            accuracy_m=payload.accuracy_m,
            savepoint=False,  # run_once's transaction rolls back whole on any error
        )
        return 201, {"id": item.pk, "status": item.status}

    return _idempotent(request, f"instructions.feedback:{item_id}", payload.dict(), write)


@router.get("/stations", response=list[dict[str, Any]])
def stations(request: HttpRequest) -> Any:
    return [p.as_dict() for p in station_progress(principal_of(request)).values()]


@router.get("/worklog", response=list[dict[str, Any]])
def worklog(request: HttpRequest, day: dt.date | None = None) -> Any:
    user = principal_of(request)
    if not isinstance(user, User):
        raise HttpError(400, "a work log belongs to a person, not a token")
    return [e.__dict__ for e in work_log(user, day or timezone.localdate())]


@router.get("/worklog.csv")
def worklog_csv(request: HttpRequest, day: dt.date | None = None) -> HttpResponse:
    user = principal_of(request)
    if not isinstance(user, User):
        raise HttpError(400, "a work log belongs to a person, not a token")
    when = day or timezone.localdate()
    body, rows = work_log_csv(user, when)
    # one's own log: no data.export needed, but audited like every export
    record_export(user, object_type="instructions.worklog", reason="警务日志导出", rows=rows, filters={"day": when})
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="worklog-{when.isoformat()}.csv"'
    return response


# the station's leave desk and a draft batch's target import / an item's target history, in their own modules
router.add_router("", "zhufang.instructions.leave_api.router")
router.add_router("", "zhufang.instructions.target_api.router")
