"""Duplicate review API (疑似重复): list candidate pairs in scope side by side (masked), merge one
into the other, or mark them as not the same. Mounted at ``/api/v1/registry/duplicates``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.api import principal_of
from zhufang.registry.dedup.comparison import compare_pairs
from zhufang.registry.dedup.merging import mark_distinct, merge_duplicate
from zhufang.registry.models import DuplicateCandidate, DuplicateKind

router = Router(tags=["registry: duplicates"])


class MergeIn(Schema):
    keep_id: int
    note: str = ""


class DistinctIn(Schema):
    note: str


def _reviewer(request: HttpRequest) -> Any:
    principal = principal_of(request)
    if not (principal.has_permission(Perm.REGISTRY_EDIT) and principal.has_permission(Perm.PERSONAL_DATA_VIEW)):
        raise HttpError(403, "permission denied")
    return principal


@router.get("", response=list[dict[str, Any]])
def list_duplicates(
    request: HttpRequest, kind: str = DuplicateKind.PERSON, status: str = "pending", limit: int = 50, offset: int = 0
) -> Any:
    """Candidate pairs of ``kind`` with ``status`` in scope, highest score first, each side by side."""
    principal = _reviewer(request)
    if kind not in DuplicateKind.values or status not in DuplicateCandidate.Status.values:
        raise HttpError(422, "unknown kind or status")
    rows = DuplicateCandidate.objects.visible_to(principal).filter(kind=kind, status=status).order_by("-score", "id")
    page = rows[max(0, offset) : max(0, offset) + max(1, min(limit, 200))]
    return [pair.as_dict() for pair in compare_pairs(principal, page)]


def _candidate_id(principal: Any, candidate_id: int) -> int:
    if get_visible_or_none(principal, DuplicateCandidate.objects.all(), pk=candidate_id) is None:
        raise HttpError(404, "duplicate candidate not found")
    return candidate_id


def _result(principal: Any, candidate: DuplicateCandidate) -> dict[str, Any]:
    return compare_pairs(principal, [candidate])[0].as_dict()


@router.post("/{candidate_id}/merge", response=dict[str, Any])
def merge(request: HttpRequest, candidate_id: int, payload: MergeIn) -> Any:
    """Keep ``keep_id``, merge the other record into it (history and audit kept)."""
    principal = _reviewer(request)
    pair = merge_duplicate(
        actor=principal, candidate_id=_candidate_id(principal, candidate_id), keep_id=payload.keep_id, note=payload.note
    )
    return _result(principal, pair)


@router.post("/{candidate_id}/distinct", response=dict[str, Any])
def distinct(request: HttpRequest, candidate_id: int, payload: DistinctIn) -> Any:
    """Mark the pair as two different people / units (with a note); it is never proposed again."""
    principal = _reviewer(request)
    pair = mark_distinct(actor=principal, candidate_id=_candidate_id(principal, candidate_id), note=payload.note)
    return _result(principal, pair)
