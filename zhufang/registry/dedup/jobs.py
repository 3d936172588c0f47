"""The nightly duplicate detection (查重) job; also queued from the review page for one reviewer's scope."""

from __future__ import annotations

from typing import Any

from zhufang.jobs.registry import job
from zhufang.registry.dedup.detection import find_duplicates

FIND_DUPLICATES = "registry.find_duplicates"


@job(FIND_DUPLICATES)
def find_duplicates_job(actor_id: int | None = None, kind: str | None = None) -> dict[str, Any]:
    """Whole registry without ``actor_id`` (the schedule); that user's scope with it."""
    from zhufang.accounts.models import User

    actor = User.objects.select_related("unit").get(pk=actor_id) if actor_id is not None else None
    return find_duplicates(actor, kind=kind).as_dict()
