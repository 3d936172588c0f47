"""Background jobs: a scheduled slot fires once across workers, runs are claimed once, failures
are recorded without killing the worker, crashed runs are re-queued."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.audit.services import record
from zhufang.conftest import Demo
from zhufang.jobs import runner
from zhufang.jobs.models import JobRun, JobStatus
from zhufang.jobs.registry import job, registered_jobs
from zhufang.schedules import SCHEDULES, Schedule

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CALLS: list[dict[str, object]] = []


@job("tests.echo")
def echo(**kwargs: object) -> dict[str, object]:
    CALLS.append(kwargs)
    return {"echo": kwargs}


@job("tests.boom")
def boom() -> None:
    raise RuntimeError("simulated failure")


def test_every_schedule_names_a_registered_job() -> None:
    runner.discover_jobs()
    assert {s.job for s in SCHEDULES} <= set(registered_jobs())


def test_slots_align_in_local_time() -> None:
    daily = Schedule("x", every=dt.timedelta(days=1), offset=dt.timedelta(hours=3))
    now = dt.datetime(2026, 10, 1, 2, 59, tzinfo=SHANGHAI)
    assert runner.slot_for(daily, now) == dt.datetime(2026, 9, 30, 3, 0, tzinfo=SHANGHAI)
    assert runner.slot_for(daily, now + dt.timedelta(minutes=1)) == dt.datetime(2026, 10, 1, 3, 0, tzinfo=SHANGHAI)
    five = Schedule("y", every=dt.timedelta(seconds=5))
    assert runner.slot_for(five, dt.datetime(2026, 10, 1, 8, 0, 7, tzinfo=SHANGHAI)).second == 5


def test_a_slot_is_enqueued_once_however_many_workers_tick() -> None:
    now = timezone.now()
    first = runner.enqueue_due(now)
    second = runner.enqueue_due(now)  # another worker, same moment
    assert first == len(SCHEDULES) and second == 0
    assert JobRun.objects.filter(name="audit.seal").count() == 1
    assert runner.enqueue_due(now + dt.timedelta(seconds=5)) >= 1  # the next 5-second slot


def test_queued_job_runs_once_and_records_result(django_capture_on_commit_callbacks: object) -> None:
    runner.discover_jobs()
    CALLS.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        runner.enqueue("tests.echo", args={"n": 1})
    run = JobRun.objects.get(name="tests.echo")
    claimed = runner.claim("w1")
    assert claimed is not None and claimed.pk == run.pk
    assert runner.claim("w2") is None or runner.claim("w2").name != "tests.echo"  # type: ignore[union-attr]
    runner.execute(claimed)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.result == {"echo": {"n": 1}} and CALLS == [{"n": 1}]


def test_enqueue_unknown_job_fails_in_the_caller() -> None:
    with pytest.raises(LookupError, match="no job named"):
        runner.enqueue("tests.nope")


def test_failure_is_recorded_and_worker_goes_on() -> None:
    run = JobRun.objects.create(name="tests.boom")
    claimed = runner.claim("w1")
    assert claimed is not None and claimed.pk == run.pk
    runner.execute(claimed)
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and "simulated failure" in run.error


def test_a_crashed_run_is_requeued_then_given_up() -> None:
    long_ago = timezone.now() - dt.timedelta(hours=1)
    run = JobRun.objects.create(name="tests.echo", status=JobStatus.RUNNING, started_at=long_ago, attempts=1)
    runner._requeue_stale(timezone.now())
    run.refresh_from_db()
    assert run.status == JobStatus.QUEUED
    JobRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, started_at=long_ago, attempts=3)
    runner._requeue_stale(timezone.now())
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED


def test_worker_tick_seals_the_audit_trail(demo: Demo) -> None:
    runner.discover_jobs()
    record(action=AuditAction.VIEW, object_type="test", object_id="1")
    assert AuditEntry.objects.filter(seal__isnull=True).exists()
    for _ in range(len(SCHEDULES)):
        runner.work_once(worker="w1")
    assert not AuditEntry.objects.filter(seal__isnull=True).exists()
    assert JobRun.objects.get(name="audit.seal").status == JobStatus.DONE
