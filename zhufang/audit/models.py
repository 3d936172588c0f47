"""Audit trail (审计日志): who read, revealed, exported or changed what, from where, and why.

Append-only and tamper-evident: rows get a sequence number (the primary key) when written, and the
sealer job chains committed rows every few seconds with an HMAC over the previous seal and the row's
content. Database triggers refuse UPDATE of content columns, re-sealing and DELETE (except inside the
retention purge, which leaves a signed checkpoint).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    LOGIN_SUCCESS = "login_success", _("Login")
    LOGIN_FAILURE = "login_failure", _("Login failed")
    LOGOUT = "logout", _("Logout")
    REVEAL = "reveal", _("Reveal personal data")
    EXPORT = "export", _("Export")
    PERMISSION_CHANGE = "permission_change", _("Permission change")
    PASSWORD_CHANGE = "password_change", _("Password change")
    VERIFY = "verify", _("Verify audit trail")
    PURGE = "purge", _("Retention purge")
    VIEW = "view", _("View")


class AuditEntry(models.Model):
    """审计记录: one audited action. Content columns never change after insert."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(max_length=80, blank=True)
    actor_unit_id = models.BigIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    action = models.CharField(max_length=24, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(max_length=60, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    instruction_item_id = models.BigIntegerField(null=True, blank=True)
    seal = models.CharField(max_length=64, null=True, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["action", "ip", "at"], name="audit_action_ip_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            models.Index(fields=["seal"], name="audit_unsealed", condition=models.Q(seal__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditCheckpoint(models.Model):
    """保留期清理检查点: what a retention purge removed, signed so the rest still verifies."""

    upto_id = models.BigIntegerField()
    upto_seal = models.CharField(max_length=64)
    purged_count = models.BigIntegerField()
    purged_before = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["-upto_id"]

    def __str__(self) -> str:
        return f"checkpoint ≤ #{self.upto_id} ({self.purged_count} purged)"


class PurgePermit(models.Model):
    """Present only inside the retention purge's own transaction; the DELETE trigger requires it."""

    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"purge permit {self.pk}"
