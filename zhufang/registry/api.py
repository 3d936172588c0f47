"""Registry API (一标三实): search and show in scope with identifiers masked, register a person
(idempotent), mark a house's use, import spreadsheets (dry run first)."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.api import principal_of
from zhufang.idempotency.services import IdempotencyConflict, run_once
from zhufang.privacy.masking import mask_id_number, mask_name, mask_phone
from zhufang.privacy.reveal import reveal
from zhufang.registry import services
from zhufang.registry.exports import ExportRequest, export_registry
from zhufang.registry.imports.runner import ImportRefused
from zhufang.registry.imports.uploads import IMPORTERS, import_upload
from zhufang.registry.masked import establishment_out, house_out
from zhufang.registry.models import Establishment, House, ImportRun, Person
from zhufang.registry.queries import search_establishments, search_houses, search_people

router = Router(tags=["registry"])
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def person_out(principal: Any, person: Person) -> dict[str, Any]:
    """Masked by default; without pii.view even the name is masked (grid workers)."""
    full = principal.has_permission(Perm.PERSONAL_DATA_VIEW)
    return {
        "id": person.pk,
        "name": person.name if full else mask_name(person.name),
        "id_type": person.id_type,
        "id_number_masked": mask_id_number(person.id_number) if person.id_number else None,
        "sex": person.sex,
        "birth_year": person.birth_date.year if person.birth_date and full else None,
        "phone_masked": mask_phone(person.phone) if person.phone else None,
        "category": person.category,
        "house_id": person.house_id,
        "address": person.house.address.full_text if person.house_id and person.house else None,
        "labels": person.labels if full else [],
    }


class RegisterIn(Schema):
    house_id: int
    name: str
    id_type: str = "resident_id"
    id_number: str
    category: str
    phone: str = ""
    residence_since: dt.date | None = None
    labels: list[str] = []


class HouseUseIn(Schema):
    use: str


class RevealIn(Schema):
    field: str
    reason: str
    instruction_item_id: int | None = None


def _person(request: HttpRequest, person_id: int) -> Person:
    person = get_visible_or_none(principal_of(request), Person.objects.select_related("house__address"), pk=person_id)
    if person is None:
        raise HttpError(404, "person not found")
    return person


@router.get("/people", response=list[dict[str, Any]])
def people(request: HttpRequest, q: str, limit: int = 50) -> Any:
    principal = principal_of(request)
    return [person_out(principal, p) for p in search_people(principal, q)[: max(1, min(limit, 200))]]


@router.get("/people/{person_id}", response=dict[str, Any])
def person_detail(request: HttpRequest, person_id: int) -> Any:
    return person_out(principal_of(request), _person(request, person_id))


@router.post("/people/{person_id}/reveal", response=dict[str, Any])
def person_reveal(request: HttpRequest, person_id: int, payload: RevealIn) -> Any:
    person = _person(request, person_id)
    value = reveal(
        actor=principal_of(request),
        obj=person,
        field=payload.field,
        reason=payload.reason,
        instruction_item_id=payload.instruction_item_id,
    )
    return {"field": payload.field, "value": value}


@router.post("/people", response={201: dict[str, Any], 200: dict[str, Any], 409: dict[str, Any]})
def register(request: HttpRequest, payload: RegisterIn) -> Any:
    """Register a resident at a house. Send an ``Idempotency-Key`` header from phones: a retry
    returns the first answer (200) and never registers twice."""
    principal = principal_of(request)
    house = get_visible_or_none(principal, House.objects.all(), pk=payload.house_id)
    if house is None:
        raise HttpError(404, "house not found")

    def write() -> tuple[int, Any]:
        person = services.register_person(
            actor=principal,
            house=house,
            name=payload.name,
            id_type=payload.id_type,
            id_number=payload.id_number,
            category=payload.category,
            phone=payload.phone,
            residence_since=payload.residence_since,
            labels=payload.labels,
        )
        return 201, person_out(
            principal, Person.objects.visible_to(principal).select_related("house__address").get(pk=person.pk)
        )

    try:
        status, body, replayed = run_once(
            principal=principal,
            endpoint="registry.people.create",
            key=request.headers.get("Idempotency-Key"),
            payload=payload.dict(),
            write=write,
        )
    except IdempotencyConflict:
        return Status(409, {"detail": "Idempotency-Key reused with a different request"})
    return Status(200 if replayed else status, body)


@router.get("/houses", response=list[dict[str, Any]])
def houses(request: HttpRequest, q: str, limit: int = 50) -> Any:
    principal = principal_of(request)
    return [
        {"id": h.pk, "address": h.address.full_text, "use": h.use, "owner_unit_id": h.owner_unit_id}
        for h in search_houses(principal, q)[: max(1, min(limit, 200))]
    ]


@router.get("/houses/{house_id}", response=dict[str, Any])
def house_detail(request: HttpRequest, house_id: int) -> Any:
    principal = principal_of(request)
    house = get_visible_or_none(principal, House.objects.select_related("address"), pk=house_id)
    if house is None:
        raise HttpError(404, "house not found")
    residents = house.residents.filter(is_active=True).select_related("house__address")
    return {**house_out(principal, house), "residents": [person_out(principal, p) for p in residents]}


@router.get("/establishments", response=list[dict[str, Any]])
def establishments(request: HttpRequest, q: str = "", key_only: bool = False, limit: int = 50) -> Any:
    """Establishments in scope by name or address text (a full USCC exactly); masked."""
    principal = principal_of(request)
    units = search_establishments(principal, q, key_only=key_only)[: max(1, min(limit, 200))]
    return [establishment_out(principal, u) for u in units]


@router.get("/establishments/{establishment_id}", response=dict[str, Any])
def establishment_detail(request: HttpRequest, establishment_id: int) -> Any:
    principal = principal_of(request)
    unit = get_visible_or_none(principal, Establishment.objects.select_related("address"), pk=establishment_id)
    if unit is None:
        raise HttpError(404, "establishment not found")
    return establishment_out(principal, unit)


class ExportIn(Schema):
    kind: str
    reason: str
    q: str = ""
    unit_id: int | None = None
    key_only: bool = False
    format: str = "csv"
    unmasked: bool = False


@router.post("/exports")
def export(request: HttpRequest, payload: ExportIn) -> Any:
    """Download people, houses or establishments of the caller's scope (or a search ``q``, or a unit's
    subtree) as CSV (``csv``, ``csv_gbk``) or Excel (``xlsx``); needs data.export and a reason; audited.
    Identifiers are masked unless ``unmasked`` (needs pii.reveal). A POST: a searched document number
    stays out of URLs."""
    principal = principal_of(request)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        result = export_registry(principal, ExportRequest(**payload.dict()), handle)
    except BaseException:  # PermissionDenied → 403, ValidationError → 422 (zhufang.api's handlers)
        handle.close()
        raise
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=result.file_name, content_type=result.content_type)


@router.patch("/houses/{house_id}", response=dict[str, Any])
def house_use(request: HttpRequest, house_id: int, payload: HouseUseIn) -> Any:
    principal = principal_of(request)
    house = get_visible_or_none(principal, House.objects.all(), pk=house_id)
    if house is None:
        raise HttpError(404, "house not found")
    house = services.set_house_use(actor=principal, house=house, use=payload.use)
    return {"id": house.pk, "use": house.use}


@router.post("/imports", response=dict[str, Any])
def upload_import(
    request: HttpRequest,
    kind: Form[str],
    file: File[UploadedFile],
    dry_run: Form[bool] = True,
    ignore_unknown_columns: Form[bool] = False,
) -> Any:
    principal = principal_of(request)
    if kind not in IMPORTERS:
        raise HttpError(422, f"kind must be one of {', '.join(IMPORTERS)}")
    if file.size and file.size > MAX_UPLOAD_BYTES:
        raise HttpError(413, "file too large")
    try:
        report = import_upload(kind, file, actor=principal, dry_run=dry_run, ignore_unknown=ignore_unknown_columns)
    except ImportRefused as exc:
        raise HttpError(422, "；".join(exc.messages)) from exc
    return import_out(report.run)


def import_out(run: ImportRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "kind": run.kind,
        "file_name": run.file_name,
        "encoding": run.encoding,
        "dry_run": run.dry_run,
        "status": run.status,
        "total_rows": run.total_rows,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "review": run.review,
        "dropped_columns": run.dropped_columns,
        "errors": run.errors[:1000],
    }


@router.get("/imports/{run_id}", response=dict[str, Any])
def import_detail(request: HttpRequest, run_id: int) -> Any:
    run = get_visible_or_none(principal_of(request), ImportRun.objects.all(), pk=run_id)
    if run is None:
        raise HttpError(404, "import not found")
    return import_out(run)
