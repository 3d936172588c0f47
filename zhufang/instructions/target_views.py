"""The batch draft page's target forms: lines typed or picked on the map, and a spreadsheet import with
its dry run (目标录入 / 地图选点 / 导入). They parse input, call the services and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.instructions import issuing
from zhufang.instructions.models import InstructionBatch
from zhufang.instructions.target_import import TargetImportReport, import_target_upload
from zhufang.instructions.targets import parse_target_lines


def _batch(request: HttpRequest, pk: int) -> tuple[User, InstructionBatch]:
    user = request.user
    assert isinstance(user, User)
    if not user.has_permission(Perm.INSTRUCTION_REQUEST):
        raise PermissionDenied
    found = get_visible_or_none(user, InstructionBatch.objects.all(), pk=pk)
    if found is None:
        raise Http404
    return user, found


def _errors(exc: ValidationError) -> list[str]:
    return [error for field_errors in exc.message_dict.values() for error in field_errors]


@login_required
@require_POST
def batch_targets(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the typed (or map-picked) lines to a draft batch: all of them or, on any bad line, none."""
    user, batch = _batch(request, pk)
    try:
        targets, problems = parse_target_lines(request.POST.get("targets", ""))
        if problems:
            raise ValidationError({"targets": problems})
        if not targets:
            raise ValidationError({"targets": _("Type or pick at least one target")})
        added = issuing.add_targets(actor=user, batch=batch, targets=targets)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Added %(n)s targets") % {"n": added})
    return redirect("instructions:batch", pk=batch.pk)


@login_required
def batch_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Check or import a targets file; the report lists every bad row with its file, row and field."""
    user, batch = _batch(request, pk)
    report: TargetImportReport | None = None
    refused: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            refused.append(_("Choose a file"))
        else:
            try:
                report = import_target_upload(
                    actor=user, batch=batch, upload=upload, dry_run=request.POST.get("apply") != "1"
                )
            except ValidationError as exc:
                refused = _errors(exc)
        batch.refresh_from_db()
    return render(
        request,
        "instructions/target_import.html",
        {"batch": batch, "report": report, "refused": refused},
        status=422 if refused else 200,
    )
