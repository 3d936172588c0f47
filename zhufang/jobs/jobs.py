"""Housekeeping jobs of the job system itself."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhufang.jobs.models import JobRun, JobStatus
from zhufang.jobs.registry import job


@job("jobs.prune_history")
def prune_history(keep_days: int = 30) -> dict[str, int]:
    cutoff = timezone.now() - dt.timedelta(days=keep_days)
    deleted, _ = JobRun.objects.filter(status=JobStatus.DONE, finished_at__lt=cutoff).delete()
    return {"deleted": deleted}
