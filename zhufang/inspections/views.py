"""Inspection pages: "my inspections" on a phone (overdue first), one object with its cadence and a
form to record an inspection, the station head's per-officer view, the photo (scoped) and the
cadence rules (edited by the control centre)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.idempotency.services import IdempotencyConflict, run_once
from zhufang.inspections import services
from zhufang.inspections.cadence import TO_DO, Status, counts_total, due_list, status_of
from zhufang.inspections.forms import InspectionForm, RuleForm
from zhufang.inspections.models import Inspection, TargetKind
from zhufang.inspections.periods import Period
from zhufang.inspections.photos import check_photo
from zhufang.inspections.presentation import due_item_out, inspection_out, status_out, target_out
from zhufang.inspections.responsibility import community_officers
from zhufang.inspections.rules import rule_by_id, rule_out, rules_list
from zhufang.inspections.summaries import station_of, unit_summary
from zhufang.inspections.targets import get_target
from zhufang.org.models import OrgKind, OrgUnit

PAGE_SIZE = 30
STATUS_FILTERS = ("todo", Status.OVERDUE.value, Status.DUE.value, Status.DONE.value)


def _user(request: HttpRequest, perm: str = Perm.INSPECTION_VIEW) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.has_permission(perm):
        raise PermissionDenied
    return user


def _unit_param(user: User, request: HttpRequest) -> OrgUnit | None:
    raw = request.GET.get("unit", "")
    if not raw.isdigit():
        return None
    unit = get_visible_or_none(user, OrgUnit.objects.all(), pk=int(raw))
    if unit is None:
        raise Http404
    return unit


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的检查: what is due in the user's scope (or under ``?unit=``), overdue first."""
    user = _user(request)
    today = timezone.localdate()
    within = _unit_param(user, request)
    status = request.GET.get("status", "todo")
    status = status if status in STATUS_FILTERS else "todo"
    kind = request.GET.get("kind", "")
    recordable = services.recordable_kinds(user)
    kinds: tuple[str, ...] = (kind,) if kind in TargetKind.values else (recordable or tuple(TargetKind.values))
    counts = counts_total(user, within=within, as_of=today, kinds=kinds)
    total = counts.to_do if status == "todo" else counts.total(status)
    paginator = Paginator(range(total), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = due_list(
        user,
        kinds=kinds,
        statuses=TO_DO if status == "todo" else (status,),
        within=within,
        as_of=today,
        limit=PAGE_SIZE,
        offset=(page.number - 1) * PAGE_SIZE,
    )
    return render(
        request,
        "inspections/mine.html",
        {
            "items": [due_item_out(user, row) for row in rows],
            "counts": counts,
            "status": status,
            "kind": kind if kind in TargetKind.values else "",
            "kinds": [(k, TargetKind(k).label) for k in (recordable or TargetKind.values)],
            "within": within,
            "page": page,
            "today": today,
            "personal_data": True,
        },
    )


def _record(request: HttpRequest, user: User, target: Any, kind: str, form: InspectionForm) -> bool:
    """Record the posted inspection once per form key; False (errors on the form) when refused."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    photo = data.get("photo")
    try:
        checked = check_photo(photo) if photo else None
        payload = {
            "target_kind": kind,
            "target_id": target.pk,
            "inspected_on": data["inspected_on"],
            "result": data["result"],
            "findings": data["findings"],
            "hazards": data["hazards"],
            "photo_sha256": checked.sha256 if checked else None,
        }

        def write() -> tuple[int, Any]:
            inspection = services.record_inspection(
                actor=user,
                target=target,
                inspected_on=data["inspected_on"],
                result=data["result"],
                findings=data["findings"],
                hazards=data["hazards"],
                photo=photo,
            )
            return 201, {"id": inspection.pk}

        _status, _body, replayed = run_once(
            principal=user, endpoint="inspections.page", key=data["idempotency_key"], payload=payload, write=write
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return False
    except IdempotencyConflict:
        form.add_error(None, _("This form was already sent with other values; reload the page and record again"))
        return False
    messages.success(request, _("Inspection already recorded") if replayed else _("Inspection recorded"))
    return True


@login_required
def target(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """One house or establishment: details (masked), cadence status, responsible officers, history,
    and the form to record an inspection."""
    user = _user(request)
    found = get_target(user, kind, pk)
    if found is None:
        raise Http404
    may_record = services.may_record(user, kind)
    form = InspectionForm(request.POST or None, request.FILES or None) if request.method == "POST" else InspectionForm()
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        if _record(request, user, found, kind, form):
            return redirect("inspections:target", kind=kind, pk=pk)
    district_id = found.owner_unit.parent_id if found.owner_unit_id and found.owner_unit else None
    history = Inspection.objects.visible_to(user).filter(**{kind: found}).select_related("inspector")[:30]
    return render(
        request,
        "inspections/target.html",
        {
            "kind": kind,
            "target": target_out(user, found),
            "registry_house_id": found.pk if kind == TargetKind.HOUSE else None,
            "cadence": status_out(status_of(user, kind, found.pk)),
            "officers": community_officers(user, [district_id]).get(district_id, []) if district_id else [],
            "history": [inspection_out(user, i) for i in history],
            "may_record": may_record,
            "form": form,
            "personal_data": True,
        },
    )


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    user = _user(request)
    found = get_visible_or_none(user, Inspection.objects.all(), pk=pk)
    if found is None or not found.photo:
        raise Http404
    response = FileResponse(found.photo.open("rb"), content_type=found.photo_type or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    return response


def _default_station(user: User, stations: list[OrgUnit]) -> OrgUnit | None:
    own = station_of(user.unit)
    if own is not None and any(s.pk == own.pk for s in stations):
        return own
    return stations[0] if stations else None


@login_required
def station(request: HttpRequest) -> HttpResponse:
    """所长看板: due and overdue inspections of each police district and its community officers."""
    user = _user(request)
    today = timezone.localdate()
    stations = list(OrgUnit.objects.visible_to(user).filter(kind=OrgKind.STATION, valid_to__isnull=True))
    chosen = _unit_param(user, request) or _default_station(user, stations)
    result = unit_summary(user, chosen, as_of=today)
    return render(
        request,
        "inspections/station.html",
        {"summary": result, "stations": stations, "chosen": chosen, "today": today},
    )


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """检查周期规则: every rule; the control centre changes cadences, switches rules off, adds rules."""
    user = _user(request)
    can_edit = user.has_permission(Perm.INSPECTION_RULES)
    form = RuleForm(request.POST if request.POST.get("op") == "create" else None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        try:
            if request.POST.get("op") == "update":
                rule = rule_by_id(int(request.POST.get("rule", "0") or 0))
                if rule is None:
                    raise Http404
                services.update_rule(
                    actor=user,
                    rule=rule,
                    period=request.POST.get("period") or None,
                    is_active=request.POST.get("is_active") == "1",
                )
                messages.success(request, _("Cadence saved"))
                return redirect("inspections:rules")
            if form.is_valid():
                services.create_rule(actor=user, **form.cleaned_data)
                messages.success(request, _("Rule added"))
                return redirect("inspections:rules")
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
    return render(
        request,
        "inspections/rules.html",
        {
            "rules": [rule_out(r) for r in rules_list()],
            "periods": Period.choices,
            "can_edit": can_edit,
            "form": form,
        },
    )
