"""The duplicate review page (疑似重复审核, ``/registry/duplicates/``): pending pairs in scope side by
side, merge (choosing the record to keep) or mark as not the same with a note."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.jobs.runner import enqueue
from zhufang.registry.dedup.comparison import compare_pairs
from zhufang.registry.dedup.detection import pending_duplicates
from zhufang.registry.dedup.jobs import FIND_DUPLICATES
from zhufang.registry.dedup.merging import mark_distinct, merge_duplicate
from zhufang.registry.models import DuplicateCandidate, DuplicateKind

PAGE_SIZE = 20


def reviewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not (user.has_permission(Perm.REGISTRY_EDIT) and user.has_permission(Perm.PERSONAL_DATA_VIEW)):
        raise PermissionDenied
    return user


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    user = reviewer(request)
    kind = request.GET.get("kind", DuplicateKind.PERSON)
    if kind not in DuplicateKind.values:
        kind = DuplicateKind.PERSON
    pending = DuplicateCandidate.objects.visible_to(user).filter(kind=kind, status=DuplicateCandidate.Status.PENDING)
    counts = pending_duplicates(user)
    page = Paginator(pending.order_by("-score", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/dedup.html",
        {
            "kind": kind,
            "tabs": [(value, label, counts[value]) for value, label in DuplicateKind.choices],
            "page": page,
            "pairs": compare_pairs(user, page.object_list),
            "personal_data": True,
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    user = reviewer(request)
    op = request.POST.get("op")
    back = request.POST.get("next") or reverse("registry:duplicates")
    if not back.startswith("/registry/duplicates/"):
        back = reverse("registry:duplicates")
    try:
        if op == "merge":
            try:
                keep = int(request.POST.get("keep", ""))
            except ValueError:
                raise ValidationError(_("Choose one of the two records to keep")) from None
            merge_duplicate(actor=user, candidate_id=pk, keep_id=keep, note=request.POST.get("note", ""))
            messages.success(request, _("Merged: record %(id)s kept") % {"id": keep})
        elif op == "distinct":
            mark_distinct(actor=user, candidate_id=pk, note=request.POST.get("note", ""))
            messages.success(request, _("Marked as not the same"))
        else:
            raise ValidationError(_("Unknown action"))
    except DuplicateCandidate.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(back)


@login_required
@require_POST
def detect(request: HttpRequest) -> HttpResponse:
    """Queue a detection run over the reviewer's scope (the nightly job covers the whole registry)."""
    user = reviewer(request)
    enqueue(FIND_DUPLICATES, args={"actor_id": user.pk})
    messages.success(request, _("Duplicate detection queued; the list refreshes when it has run"))
    return redirect("registry:duplicates")
