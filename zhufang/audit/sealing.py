"""Sealing, verifying and purging the audit trail (审计日志防篡改).

Writers never wait for each other: an audit row is a plain insert that gets the next sequence number.
The sealer (a job every few seconds) walks committed, unsealed rows in sequence order and sets
``seal = HMAC(audit_key, previous seal | canonical row content)``. A sequence gap is either a row
still being written by a transaction in flight, or a number burnt by a rollback. The sealer stops at
a gap while a transaction that could own it is still running (on PostgreSQL: any other transaction
in this database that started before the row after the gap was written; on SQLite the sealer holds
the single write lock, so nothing is in flight) and seals over it otherwise. A row that commits
after its successors were sealed stays unsealed and verification reports it. Any changed, deleted or
inserted sealed row breaks the chain from that point.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhufang.audit.models import AuditCheckpoint, AuditEntry, PurgePermit
from zhufang.privacy.keyring import get_keyring

GENESIS = "0" * 64
SEAL_BATCH = 5000
_CONTENT_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "actor_unit_id",
    "ip",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "changes",
    "reason",
    "instruction_item_id",
)


def _canonical(row: dict[str, Any]) -> bytes:
    values = dict(row)
    at = values["at"]
    values["at"] = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_seal(previous: str, row: dict[str, Any]) -> str:
    key = get_keyring().audit_key
    return hmac.new(key, previous.encode() + b"|" + _canonical(row), hashlib.sha256).hexdigest()


def _sign_checkpoint(upto_id: int, upto_seal: str, purged_count: int, purged_before: dt.datetime) -> str:
    message = f"{upto_id}|{upto_seal}|{purged_count}|{purged_before.astimezone(dt.UTC).isoformat()}"
    return hmac.new(get_keyring().audit_key, message.encode(), hashlib.sha256).hexdigest()


def _chain_head() -> tuple[int, str]:
    """(last sealed id, its seal), or the latest checkpoint, or genesis."""
    last = AuditEntry.objects.filter(seal__isnull=False).order_by("-id").values_list("id", "seal").first()
    if last:
        return int(last[0]), str(last[1])
    checkpoint = AuditCheckpoint.objects.order_by("-upto_id").first()
    if checkpoint:
        return checkpoint.upto_id, checkpoint.upto_seal
    return 0, GENESIS


def _gap_may_still_fill(row_written_at: dt.datetime) -> bool:
    """Whether a transaction that could hold a lower sequence number is still in flight."""
    if connection.vendor != "postgresql":
        return False  # SQLite: our write transaction holds the database's only write lock
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # activity is otherwise frozen per transaction
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND xact_start IS NOT NULL AND xact_start <= %s LIMIT 1",
            [row_written_at],
        )
        return cursor.fetchone() is not None


def seal_pending(*, now: dt.datetime | None = None) -> int:
    """Seal committed rows after the chain head; returns how many were sealed."""
    now = now or timezone.now()
    sealed = 0
    while True:
        with transaction.atomic():
            head_id, head_seal = _chain_head()
            rows = list(
                AuditEntry.objects.filter(id__gt=head_id, seal__isnull=True)
                .order_by("id")
                .values(*_CONTENT_FIELDS)[:SEAL_BATCH]
            )
            updates: list[AuditEntry] = []
            expected, previous = head_id + 1, head_seal
            for row in rows:
                if row["id"] != expected and _gap_may_still_fill(row["at"]):
                    break  # a lower sequence number may still commit: wait for it
                previous = compute_seal(previous, row)
                updates.append(AuditEntry(id=row["id"], seal=previous, sealed_at=now))
                expected = row["id"] + 1
            if updates:
                AuditEntry.objects.bulk_update(updates, ["seal", "sealed_at"], batch_size=1000)
            sealed += len(updates)
        if len(updates) < SEAL_BATCH:
            return sealed


@dataclass
class VerificationReport:
    """结果: whether the chain holds, and where it breaks."""

    ok: bool = True
    checked: int = 0
    unsealed_tail: int = 0
    first_bad_id: int | None = None
    problems: list[str] = field(default_factory=list)

    def fail(self, entry_id: int | None, message: str) -> None:
        self.ok = False
        if self.first_bad_id is None:
            self.first_bad_id = entry_id
        if len(self.problems) < 50:
            self.problems.append(message)


def verify_chain() -> VerificationReport:
    """Recompute every seal from the latest checkpoint (or genesis) and compare."""
    report = VerificationReport()
    checkpoint = AuditCheckpoint.objects.order_by("-upto_id").first()
    previous, after_id = GENESIS, 0
    if checkpoint is not None:
        expected_sig = _sign_checkpoint(
            checkpoint.upto_id, checkpoint.upto_seal, checkpoint.purged_count, checkpoint.purged_before
        )
        if not hmac.compare_digest(expected_sig, checkpoint.signature):
            report.fail(None, _("Checkpoint up to #%(id)s has an invalid signature") % {"id": checkpoint.upto_id})
        previous, after_id = checkpoint.upto_seal, checkpoint.upto_id
        if AuditEntry.objects.filter(id__lte=after_id).exists():
            report.fail(after_id, _("Rows at or below the purge checkpoint #%(id)s still exist") % {"id": after_id})
    head_id, _head_seal = _chain_head()
    rows = AuditEntry.objects.filter(id__gt=after_id).order_by("id").values(*_CONTENT_FIELDS, "seal")
    for row in rows.iterator(chunk_size=5000):
        seal = row.pop("seal")
        if seal is None:
            if row["id"] < head_id:
                report.fail(
                    row["id"],
                    _("Entry #%(id)s is unsealed inside the sealed chain (inserted later?)") % {"id": row["id"]},
                )
            else:
                report.unsealed_tail += 1
            continue
        expected = compute_seal(previous, row)
        report.checked += 1
        if not hmac.compare_digest(expected, seal):
            report.fail(
                row["id"],
                _("Entry #%(id)s does not match its seal: changed, or an entry before it was deleted")
                % {"id": row["id"]},
            )
            previous = seal  # continue from the stored seal to find further breaks
        else:
            previous = expected
    return report


def purge_expired(*, now: dt.datetime | None = None, retention_days: int | None = None) -> int:
    """Delete the sealed prefix older than the retention period and leave a signed checkpoint."""
    now = now or timezone.now()
    days = settings.ZHUFANG_AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if days < 183:
        raise ValueError(_("Audit retention must be at least six months (Cybersecurity Law, Art. 21)"))
    cutoff = now - dt.timedelta(days=days)
    with transaction.atomic():
        # the prefix ends at the last sealed row older than the cutoff with no newer-or-unsealed row before it
        boundary = (
            AuditEntry.objects.filter(at__lt=cutoff, seal__isnull=False).order_by("-id").values("id", "seal").first()
        )
        if boundary is None:
            return 0
        upto_id = int(boundary["id"])
        first_kept_young = AuditEntry.objects.filter(id__lte=upto_id, at__gte=cutoff).order_by("id").first()
        if first_kept_young is not None:
            prior = AuditEntry.objects.filter(id__lt=first_kept_young.id, seal__isnull=False)
            prior_row = prior.order_by("-id").values("id", "seal").first()
            if prior_row is None:
                return 0
            upto_id, boundary = int(prior_row["id"]), prior_row
        previous_checkpoint = AuditCheckpoint.objects.order_by("-upto_id").first()
        permit = PurgePermit.objects.create()
        count, _details = AuditEntry.objects.filter(id__lte=upto_id).delete()
        permit.delete()
        total = count + (previous_checkpoint.purged_count if previous_checkpoint else 0)
        signature = _sign_checkpoint(upto_id, str(boundary["seal"]), total, cutoff)
        AuditCheckpoint.objects.create(
            upto_id=upto_id,
            upto_seal=str(boundary["seal"]),
            purged_count=total,
            purged_before=cutoff,
            signature=signature,
        )
    return count
