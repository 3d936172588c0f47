"""Enqueueing, scheduling, claiming and running jobs; ``zhufang worker`` loops over ``work_once``."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import traceback
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from zhufang.jobs.models import JobRun, JobStatus
from zhufang.jobs.registry import get_job
from zhufang.schedules import SCHEDULES, Schedule

log = logging.getLogger("zhufang.jobs")
STALE_AFTER = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 3


def discover_jobs() -> None:
    """Import every app's ``jobs`` module so its ``@job`` functions register."""
    autodiscover_modules("jobs")


def enqueue(name: str, *, args: dict[str, Any] | None = None, not_before: dt.datetime | None = None) -> None:
    """Queue a run after the current transaction commits (never a job for a rolled-back change)."""
    get_job(name)  # fail now, in the caller, for an unknown name

    def insert() -> None:
        JobRun.objects.create(name=name, args=args or {}, not_before=not_before or timezone.now())

    transaction.on_commit(insert)


def slot_for(schedule: Schedule, now: dt.datetime) -> dt.datetime:
    """Start of the schedule's current slot, aligned in the bureau's local time."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    epoch = dt.datetime(2000, 1, 1, tzinfo=tz) + schedule.offset
    periods = (now - epoch) // schedule.every
    return epoch + periods * schedule.every


def enqueue_due(now: dt.datetime | None = None) -> int:
    """Insert the current slot's run of every schedule; the unique (name, slot) constraint makes
    this a no-op for slots another worker already queued."""
    now = now or timezone.now()
    rows = [JobRun(name=s.job, slot=slot_for(s, now), not_before=slot_for(s, now)) for s in SCHEDULES]
    before = JobRun.objects.filter(slot__isnull=False).count()
    JobRun.objects.bulk_create(rows, ignore_conflicts=True)
    return JobRun.objects.filter(slot__isnull=False).count() - before


def _requeue_stale(now: dt.datetime) -> None:
    stale = JobRun.objects.filter(status=JobStatus.RUNNING, started_at__lt=now - STALE_AFTER)
    stale.filter(attempts__lt=MAX_ATTEMPTS).update(status=JobStatus.QUEUED, worker="")
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=JobStatus.FAILED, finished_at=now, error="worker vanished while running"
    )


def claim(worker: str, now: dt.datetime | None = None) -> JobRun | None:
    now = now or timezone.now()
    with transaction.atomic():
        queryset = JobRun.objects.filter(status=JobStatus.QUEUED, not_before__lte=now).order_by("not_before", "id")
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True)
        run = queryset.first()
        if run is None:
            return None
        run.status, run.started_at, run.worker = JobStatus.RUNNING, now, worker
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "worker", "attempts"])
        return run


def execute(run: JobRun) -> JobRun:
    func = get_job(run.name)
    started = time.monotonic()
    try:
        result = func(**run.args)
    except Exception:  # a failing job must not kill the worker: record and go on
        run.status, run.error = JobStatus.FAILED, traceback.format_exc()[-4000:]
        log.exception("job %s failed", run.name)
    else:
        run.status, run.result = JobStatus.DONE, result if isinstance(result, dict | list | int | str) else None
    run.finished_at = timezone.now()
    JobRun.objects.filter(pk=run.pk).update(
        status=run.status, result=run.result, error=run.error, finished_at=run.finished_at
    )
    log.debug("job %s %s in %.3fs", run.name, run.status, time.monotonic() - started)
    return run


def work_once(worker: str | None = None, now: dt.datetime | None = None) -> JobRun | None:
    """One scheduler tick and at most one job run."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    now = now or timezone.now()
    enqueue_due(now)
    _requeue_stale(now)
    run = claim(worker, now)
    return execute(run) if run else None


def run_worker(*, poll_seconds: float = 1.0, max_runs: int | None = None, stop_after: float | None = None) -> int:
    """The worker loop. ``max_runs``/``stop_after`` bound it for tests and benchmarks."""
    discover_jobs()
    done, started = 0, time.monotonic()
    while max_runs is None or done < max_runs:
        if stop_after is not None and time.monotonic() - started > stop_after:
            break
        run = work_once()
        if run is None:
            time.sleep(poll_seconds)
        else:
            done += 1
    return done
