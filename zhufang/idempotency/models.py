"""Idempotency keys (幂等键) for submissions from phones: a retried request with the same key gets
the first answer back and never writes twice."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """The stored answer to one (principal, endpoint, key). Inserted in the same transaction as the
    write it guards, so a retry racing the first attempt waits on the unique index, then replays."""

    key = models.CharField(max_length=80)
    principal = models.CharField(max_length=40)  # "user:12" or "token:3"
    endpoint = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "endpoint", "key"], name="idempotency_once"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.endpoint} {self.key}"
