"""Background jobs (后台任务) kept in the main database: no extra server in the embedded mode,
several workers on PostgreSQL (rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobRun(models.Model):
    """One run of a named job. A scheduled run carries its time slot; (name, slot) is unique, so
    a periodic job fires once per slot however many workers there are."""

    name = models.CharField(max_length=80, db_index=True)
    slot = models.DateTimeField(null=True, blank=True)
    args = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    enqueued_at = models.DateTimeField(default=timezone.now)
    not_before = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=80, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "slot"], name="job_once_per_slot", condition=models.Q(slot__isnull=False)
            ),
        ]
        indexes = [models.Index(fields=["status", "not_before"], name="job_ready")]

    def __str__(self) -> str:
        return f"{self.name}@{self.slot or self.enqueued_at:%Y-%m-%d %H:%M:%S} {self.status}"
