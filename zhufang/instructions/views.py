"""Instruction-centre pages: the centre's batch desk, a batch's progress, the station's command room,
the officer's phone list and the item page with its feedback form (photos, location, drafts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.instructions import closing, editing, issuing, transitions
from zhufang.instructions.attachments import photos_of
from zhufang.instructions.categories import categories
from zhufang.instructions.history import item_history
from zhufang.instructions.models import InstructionBatch, InstructionItem, ItemStatus
from zhufang.instructions.queries import batches_for, item_out, items_for
from zhufang.instructions.stats import batch_progress, late_items, merged_counts, station_progress
from zhufang.instructions.targets import parse_target_lines
from zhufang.instructions.worklog import work_log
from zhufang.org.models import OrgKind, OrgUnit
from zhufang.workdays.deadlines import coverage_warning


def _user(request: HttpRequest, perm: str = Perm.ORG_VIEW) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.has_permission(perm):
        raise PermissionDenied
    return user


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for field_errors in exc.message_dict.values():
        for error in field_errors:
            messages.error(request, error)


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    """指令中心: batches with their progress; a new batch (draft or a department's request)."""
    user = _user(request)
    if request.method == "POST":
        _user(request, Perm.INSTRUCTION_REQUEST)
        deadline = None
        if request.POST.get("deadline"):
            try:
                deadline = timezone.make_aware(dt.datetime.fromisoformat(request.POST["deadline"]))
            except ValueError:
                messages.error(request, _("The deadline is not a valid date and time"))
                return redirect("instructions:centre")
        try:
            targets, problems = parse_target_lines(request.POST.get("targets", ""))
            if problems:
                raise ValidationError({"targets": problems})
            batch = issuing.create_batch(
                actor=user,
                title=request.POST.get("title", ""),
                category=request.POST.get("category", ""),
                requirements=request.POST.get("requirements", ""),
                deadline=deadline,
                targets=targets,
            )
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("instructions:centre")
        messages.success(request, _("Batch saved as a draft"))
        return redirect("instructions:batch", pk=batch.pk)
    batches = list(batches_for(user)[:100])
    progress = batch_progress(user, [b.pk for b in batches])
    merged = merged_counts([b.pk for b in batches])
    names = {code: c.name for code, c in categories().items()}
    rows = [
        {"batch": b, "p": progress[b.pk], "merged": merged.get(b.pk, 0), "category": names.get(b.category, b.category)}
        for b in batches
    ]
    return render(
        request,
        "instructions/centre.html",
        {
            "rows": rows,
            "categories": categories().values(),
            "can_request": user.has_permission(Perm.INSTRUCTION_REQUEST),
            "stations": _station_rows(user),
        },
    )


def _station_rows(user: User) -> list[dict[str, Any]]:
    progress = station_progress(user)
    names = dict(OrgUnit.objects.visible_to(user).filter(pk__in=list(progress)).values_list("pk", "name"))
    ordered = sorted(progress.items(), key=lambda kv: names.get(kv[0], ""))
    return [{"name": names.get(pk, "—"), "p": p, "station_id": pk} for pk, p in ordered]


@login_required
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    found = get_visible_or_none(user, InstructionBatch.objects.select_related("requesting_unit"), pk=pk)
    if found is None:
        raise Http404
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "submit":
                issuing.submit_request(actor=user, batch=found)
                messages.success(request, _("Sent to the control centre for review"))
            elif op == "issue":
                report = issuing.issue_batch(actor=user, batch=found)
                messages.success(
                    request,
                    _("Issued: %(created)s new items, %(merged)s merged into open ones, %(stations)s stations")
                    % {"created": report.created, "merged": report.merged, "stations": len(report.stations)},
                )
                if report.approximate_deadline:
                    latest = InstructionItem.objects.visible_to(user).filter(memberships__batch=found)
                    last = latest.aggregate(last=Max("deadline"))["last"] or timezone.now()
                    messages.warning(request, coverage_warning(timezone.now(), last) or "")
            elif op == "edit":
                deadline = None
                if request.POST.get("deadline"):
                    deadline = timezone.make_aware(dt.datetime.fromisoformat(request.POST["deadline"]))
                editing.update_batch(
                    actor=user,
                    batch=found,
                    title=request.POST.get("title"),
                    requirements=request.POST.get("requirements"),
                    deadline=deadline,
                    clear_deadline=not request.POST.get("deadline"),
                    remove_targets=[int(i) for i in request.POST.getlist("remove") if i.isdigit()],
                )
                messages.success(request, _("Batch saved"))
            elif op == "close":
                closing.close_batch(actor=user, batch=found, cancel_open_reason=request.POST.get("reason", ""))
                messages.success(request, _("Batch closed"))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("instructions:batch", pk=pk)
    progress = batch_progress(user, [found.pk])[found.pk]
    stations = station_progress(user, batch_id=found.pk)
    names = dict(OrgUnit.objects.visible_to(user).filter(pk__in=list(stations)).values_list("pk", "name"))
    now = timezone.now()
    late = [
        item_out(user, i, now) for i in late_items(user, batch_id=found.pk).select_related("assignee", "station")[:200]
    ]
    return render(
        request,
        "instructions/batch.html",
        {
            "batch": found,
            "category": categories().get(found.category),
            "p": progress,
            "merged": merged_counts([found.pk]).get(found.pk, 0),
            "stations": [{"name": names.get(k, "—"), "p": v} for k, v in stations.items()],
            "late": late,
            "targets": found.memberships.count(),
            "can_issue": user.has_permission(Perm.INSTRUCTION_ISSUE),
            "can_edit": found.status in ("draft", "requested")
            and (user.has_permission(Perm.INSTRUCTION_ISSUE) or found.status == "draft")
            and user.has_permission(Perm.INSTRUCTION_REQUEST),
            "requested": list(found.memberships.filter(item__isnull=True)[:500]),
        },
    )


@login_required
def station(request: HttpRequest) -> HttpResponse:
    """综合指挥室: what arrived, sign for and assign in bulk, return misrouted items, review feedback."""
    user = _user(request, Perm.INSTRUCTION_SIGN)
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("item") if i.isdigit()]
        op = request.POST.get("op")
        reason = request.POST.get("reason", "")
        try:
            if op == "sign":
                officer = _officer(user, request.POST.get("officer", ""))
                count = transitions.sign_for(actor=user, item_ids=ids, assignee=officer)
                messages.success(request, _("Signed for %(n)s items") % {"n": count})
            elif op == "assign":
                officer = _officer(user, request.POST.get("officer", ""))
                if officer is None:
                    raise ValidationError({"officer": _("Choose an officer")})
                count = transitions.assign(actor=user, item_ids=ids, officer=officer)
                messages.success(request, _("Assigned %(n)s items") % {"n": count})
            elif op == "return":
                count = transitions.return_to_centre(actor=user, item_ids=ids, reason=reason)
                messages.success(request, _("Returned %(n)s items to the centre") % {"n": count})
            elif op == "approve":
                count = transitions.approve(actor=user, item_ids=ids)
                messages.success(request, _("Approved %(n)s items") % {"n": count})
            elif op == "rework":
                count = transitions.return_for_rework(actor=user, item_ids=ids, reason=reason)
                messages.success(request, _("Returned %(n)s items for rework") % {"n": count})
        except ValidationError as exc:
            _errors(request, exc)
        return redirect(request.get_full_path())
    status = request.GET.get("status", ItemStatus.ISSUED)
    batch_id = int(request.GET["batch"]) if request.GET.get("batch", "").isdigit() else None
    now = timezone.now()
    items = [item_out(user, i, now) for i in items_for(user, status=status, batch_id=batch_id)[:500]]
    counts = dict(
        items_for(user, batch_id=batch_id)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    officers = (
        User.objects.visible_to(user)
        .filter(is_active=True, unit__kind=OrgKind.DISTRICT)
        .order_by("unit__code", "police_number")
    )
    return render(
        request,
        "instructions/station.html",
        {
            "items": items,
            "status": status,
            "statuses": [(code, label, counts.get(code, 0)) for code, label in ItemStatus.choices],
            "officers": [o for o in officers.select_related("unit") if o.has_permission(Perm.INSTRUCTION_WORK)],
        },
    )


def _officer(user: User, value: str) -> User | None:
    if not value.isdigit():
        return None
    officer = get_visible_or_none(user, User.objects.select_related("unit"), pk=int(value))
    if officer is None:
        raise ValidationError({"officer": _("Choose an officer of your station")})
    return officer


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的指令 (phone): open items assigned to me, nearest deadline first, overdue highlighted."""
    user = _user(request, Perm.INSTRUCTION_WORK)
    now = timezone.now()
    items = [item_out(user, i, now) for i in items_for(user, mine=True)[:300]]
    return render(request, "instructions/mine.html", {"items": items, "body_class": "mobile"})


@login_required
def item(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    found = get_visible_or_none(user, InstructionItem.objects.select_related("assignee", "station", "district"), pk=pk)
    if found is None:
        raise Http404
    now = timezone.now()
    data = item_out(user, found, now, detail=True)
    return render(
        request,
        "instructions/item.html",
        {
            "item": data,
            "history": item_history(found),
            "photos": [p for p in photos_of(user, found.pk) if p.submitted],
            "can_feed_back": found.assignee_id == user.pk
            and found.status in (ItemStatus.SIGNED, ItemStatus.IN_PROGRESS, ItemStatus.REWORK),
            "can_review": user.has_permission(Perm.INSTRUCTION_REVIEW) and found.status == ItemStatus.FED_BACK,
            "personal_data": True,
        },
    )


@login_required
def late(request: HttpRequest) -> HttpResponse:
    """超期指令: the drill-down from a station's overdue count, most overdue first, in scope."""
    user = _user(request)
    station_id = int(request.GET["station"]) if request.GET.get("station", "").isdigit() else None
    now = timezone.now()
    rows = late_items(user, station_id=station_id).select_related("assignee", "station", "district")[:500]
    station_name = None
    if station_id is not None:
        station_name = OrgUnit.objects.visible_to(user).filter(pk=station_id).values_list("name", flat=True).first()
    return render(
        request, "instructions/late.html", {"items": [item_out(user, i, now) for i in rows], "station": station_name}
    )


@login_required
def worklog(request: HttpRequest) -> HttpResponse:
    """警务日志: what I did on a day, assembled from the events; exportable as CSV."""
    user = _user(request)
    try:
        day = dt.date.fromisoformat(request.GET["day"]) if request.GET.get("day") else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return render(request, "instructions/worklog.html", {"entries": work_log(user, day), "day": day})


@login_required
def photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    """反馈照片: served only to those who may see the item (never a public media URL)."""
    user = _user(request)
    found = next((p for p in photos_of(user, pk) if p.pk == photo_id), None)
    if found is None:
        raise Http404
    response = FileResponse(found.file.open("rb"), content_type=found.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
