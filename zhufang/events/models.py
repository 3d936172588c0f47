"""Domain events (业务事件): what happened in the work — issued, signed for, fed back, mediated,
visited … Kept as long as the data; they feed the police work log (警务日志), statistics and
indicators. Separate from the audit trail, which records who read or changed what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DomainEvent(models.Model):
    """业务事件: one named event about one object, owned by a unit for scope and statistics."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=60)  # indexed in Meta: no second (LIKE) index, nothing reads by prefix
    # no index of its own: (actor, at) leads with it; every event insert writes each index
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    owner_unit = models.ForeignKey("org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="event_object_at"),
            models.Index(fields=["actor", "at"], name="event_actor_at"),
            models.Index(fields=["kind"], name="event_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}:{self.object_id}"
