"""Periodic audit jobs: the sealer and the retention purge (declared in zhufang.schedules)."""

from __future__ import annotations

from zhufang.audit.sealing import purge_expired, seal_pending
from zhufang.jobs.registry import job


@job("audit.seal")
def seal() -> dict[str, int]:
    return {"sealed": seal_pending()}


@job("audit.purge")
def purge() -> dict[str, int]:
    return {"purged": purge_expired()}
