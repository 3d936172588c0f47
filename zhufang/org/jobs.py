"""Periodic organisation jobs."""

from __future__ import annotations

from zhufang.jobs.registry import job
from zhufang.org.services import apply_due_mergers


@job("org.apply_due_mergers")
def apply_mergers() -> dict[str, int]:
    return {"applied": apply_due_mergers()}
