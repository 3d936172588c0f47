"""The reviewed merge (合并) of a duplicate pair, and marking a pair as not the same (非重复).

``merge_duplicate`` keeps the record the reviewer chose; the other one stays in the database as
history: ``is_active=False``, ``merged_into`` = the kept record. In one transaction, every step
audited with before → after:

1. **gaps filled, never overwritten** — a field empty on the kept record takes the merged record's
   value (document number with its blind index and type, phone with its index, birth date, sex,
   nationality, dates, the old system's number …; for units USCC, category, trade, legal
   representative, security contact, staff …); labels are united. The residence (house, or a unit's
   address) is taken when the kept record has none — or when the kept record is inactive and the merged
   one is active (the person lives where the current record says), and the kept record becomes active;
2. **references re-pointed** — every foreign key pointing at the merged record (the address review
   queue, inspections, records merged into it earlier, anything a later app adds) now points at the
   kept one (a one-to-one that the kept record already has stays where it was);
3. **other candidate pairs re-settled** — a pending or distinct pair of the merged record with a third
   record moves to (kept, third) unless that pair exists already, in which case a pending duplicate is
   withdrawn and a distinct verdict stays as history; the reviewed pair becomes ``merged``.

Both records must be in the reviewer's data scope; ``registry.edit`` and ``pii.view`` are required.
Audit values of encrypted identifiers are masked; blind indexes are never written to the trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.audit.models import AuditAction
from zhufang.audit.services import jsonable, object_type_of, record
from zhufang.privacy.masking import mask_id_number, mask_phone
from zhufang.registry.models import DuplicateCandidate, DuplicateKind, Establishment, Person

Record = Person | Establishment


@dataclass(frozen=True)
class MergeRules:
    """How one model merges: fields moved as a group when the first is empty on the kept record,
    the residence group, fields united or or-ed, and how its secrets appear in the audit trail."""

    model: type[Record]
    groups: tuple[tuple[str, ...], ...]
    residence: tuple[str, ...]
    united: tuple[str, ...]
    either: tuple[str, ...]
    masked: dict[str, Callable[[Any], Any]]
    hidden: frozenset[str]

    @property
    def audited(self) -> tuple[str, ...]:
        names = [f for g in self.groups for f in g] + list(self.residence) + list(self.united) + list(self.either)
        names += ["is_active", "merged_into"]
        return tuple(dict.fromkeys(n for n in names if n not in self.hidden))


RULES: dict[str, MergeRules] = {
    DuplicateKind.PERSON: MergeRules(
        model=Person,
        groups=(
            ("id_index", "id_number", "id_type"),
            ("phone_index", "phone"),
            ("birth_date",),
            ("sex",),
            ("nationality",),
            ("registered_at",),
            ("permit_expires",),
            ("source_updated_at",),
            ("legacy_number",),
        ),
        residence=("house", "owner_unit", "residence_since"),
        united=("labels",),
        either=(),
        masked={"id_number": mask_id_number, "phone": mask_phone},
        hidden=frozenset({"id_index", "phone_index"}),
    ),
    DuplicateKind.ESTABLISHMENT: MergeRules(
        model=Establishment,
        groups=(
            ("uscc",),
            ("category",),
            ("industry",),
            ("trade",),
            ("legal_rep_name",),
            ("legal_rep_id_index", "legal_rep_id_number"),
            ("security_contact", "security_contact_phone"),
            ("staff_count",),
            ("legacy_number",),
        ),
        residence=("address", "owner_unit"),
        united=(),
        either=("is_key_industry",),
        masked={"legal_rep_id_number": mask_id_number, "security_contact_phone": mask_phone},
        hidden=frozenset({"legal_rep_id_index"}),
    ),
}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _attname(obj: models.Model, name: str) -> str:
    field = obj._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.attname


def _value(obj: models.Model, name: str) -> Any:
    return getattr(obj, _attname(obj, name))


def _audit_view(rules: MergeRules, obj: models.Model) -> dict[str, Any]:
    """The audited fields of ``obj`` with secrets masked (never decrypted into the trail)."""
    out: dict[str, Any] = {}
    for name in rules.audited:
        value = _value(obj, name)
        out[name] = rules.masked[name](value) if name in rules.masked else jsonable(value)
    return out


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before[k], after[k]] for k in before if before[k] != after[k]}


def _fill_gaps(rules: MergeRules, kept: Record, merged: Record) -> list[str]:
    """Copy the merged record's values into the kept one's empty fields; returns the fields set."""
    touched: list[str] = []

    def take(names: tuple[str, ...]) -> None:
        for name in names:
            attname = _attname(kept, name)
            setattr(kept, attname, getattr(merged, attname))
            touched.append(attname)

    for group in rules.groups:
        if _empty(_value(kept, group[0])) and not _empty(_value(merged, group[0])):
            take(group)
    where = rules.residence[0]
    has_residence = not _empty(_value(merged, where))
    if has_residence and (_empty(_value(kept, where)) or (not kept.is_active and merged.is_active)):
        take(rules.residence)
    if merged.is_active and not kept.is_active:
        kept.is_active = True
        touched.append("is_active")
    for name in rules.united:
        mine, theirs = list(getattr(kept, name) or []), list(getattr(merged, name) or [])
        union = mine + [v for v in theirs if v not in mine]
        if union != mine:
            setattr(kept, name, union)
            touched.append(name)
    for name in rules.either:
        if getattr(merged, name) and not getattr(kept, name):
            setattr(kept, name, True)
            touched.append(name)
    return touched


def _repoint_references(model: type[Record], merged: Record, kept: Record, actor: Any, reason: str) -> None:
    """Every foreign key at ``merged`` → ``kept`` (one audit row per referencing model)."""
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.is_relation and rel.auto_created and not rel.concrete):
            continue
        related: type[models.Model] = rel.related_model  # type: ignore[assignment]
        field = rel.field  # type: ignore[union-attr]
        if rel.many_to_many:
            through = getattr(field.remote_field, "through", None)
            raise NotImplementedError(f"merging does not re-point many-to-many {through} yet")
        rows = related._base_manager.filter(**{field.name: merged.pk})
        if rel.one_to_one and related._base_manager.filter(**{field.name: kept.pk}).exists():
            continue  # the kept record has its own; the merged one's stays as history
        ids = list(rows.values_list("pk", flat=True))
        if not ids:
            continue
        rows.update(**{field.name: kept.pk})
        record(
            action=AuditAction.UPDATE,
            actor=actor,
            object_type=object_type_of(related),
            object_id=",".join(map(str, ids))[:64],
            object_label=f"{len(ids)} × {related._meta.label}",
            changes={field.name: [merged.pk, kept.pk], "ids": ids},
            reason=reason,
        )


def _resettle_candidates(kind: str, pair: DuplicateCandidate, merged: Record, kept: Record, actor: Any) -> None:
    model = RULES[kind].model
    others = (
        DuplicateCandidate.objects.select_for_update()
        .filter(kind=kind)
        .filter(Q(first_id=merged.pk) | Q(second_id=merged.pk))
        .exclude(pk=pair.pk)
        .exclude(status=DuplicateCandidate.Status.MERGED)  # earlier merges are history
        .order_by("pk")
    )
    reason = f"merge of duplicate pair {pair.pk}"
    for row in others:
        third = row.second_id if row.first_id == merged.pk else row.first_id
        first, second = sorted((kept.pk, third))
        if third == kept.pk:
            continue
        if DuplicateCandidate.objects.filter(kind=kind, first_id=first, second_id=second).exists():
            if row.status == DuplicateCandidate.Status.PENDING:
                record(
                    action=AuditAction.DELETE,
                    actor=actor,
                    obj=row,
                    changes={"status": [row.status, None], "pair": [[row.first_id, row.second_id], None]},
                    reason=reason,
                )
                row.delete()
            continue
        before = {"first_id": row.first_id, "second_id": row.second_id, "owner_unit": row.owner_unit_id}
        row.first_id, row.second_id = first, second
        row.owner_unit_id = model._base_manager.filter(pk=first).values_list("owner_unit_id", flat=True).first()
        row.save(update_fields=["first_id", "second_id", "owner_unit"])
        after = {"first_id": first, "second_id": second, "owner_unit": row.owner_unit_id}
        record(action=AuditAction.UPDATE, actor=actor, obj=row, changes=_changes(before, after), reason=reason)


def _require_reviewer(actor: Any) -> None:
    if not (actor.has_permission(Perm.REGISTRY_EDIT) and actor.has_permission(Perm.PERSONAL_DATA_VIEW)):
        raise PermissionDenied(_("You may not review duplicates"))


def _pending_pair(actor: Any, candidate_id: int) -> tuple[DuplicateCandidate, dict[int, Record]]:
    """The pair (locked) and both its records (locked), or an error: not found / not in scope / done."""
    pair = visible_to(actor, DuplicateCandidate.objects.select_for_update().filter(pk=candidate_id)).first()
    if pair is None:
        raise DuplicateCandidate.DoesNotExist(_("No such duplicate candidate"))
    if pair.status != DuplicateCandidate.Status.PENDING:
        raise ValidationError(_("This pair was already reviewed"))
    model = RULES[pair.kind].model
    ids = [pair.first_id, pair.second_id]
    records = {r.pk: r for r in visible_to(actor, model.objects.select_for_update().filter(pk__in=ids))}
    if len(records) != 2:
        raise PermissionDenied(_("One of the two records is outside your data scope"))
    if any(r.merged_into_id is not None for r in records.values()):
        raise ValidationError(_("One of the two records was already merged into another"))
    return pair, records


def _close(pair: DuplicateCandidate, actor: Any, status: str, note: str, kept_id: int | None) -> None:
    before = {"status": pair.status, "kept_id": pair.kept_id, "note": pair.note}
    pair.status, pair.kept_id, pair.note = status, kept_id, note[:200]
    pair.reviewed_by_id = actor.principal_user_id
    pair.reviewed_at = timezone.now()
    pair.save(update_fields=["status", "kept_id", "note", "reviewed_by", "reviewed_at"])
    after = {"status": pair.status, "kept_id": pair.kept_id, "note": pair.note}
    record(action=AuditAction.UPDATE, actor=actor, obj=pair, changes=_changes(before, after), reason=note)


@transaction.atomic
def merge_duplicate(*, actor: Any, candidate_id: int, keep_id: int, note: str = "") -> DuplicateCandidate:
    """合并疑似重复: keep ``keep_id`` (one of the pair), merge the other into it (see module docstring)."""
    _require_reviewer(actor)
    pair, records = _pending_pair(actor, candidate_id)
    if keep_id not in records:
        raise ValidationError({"keep_id": _("Choose one of the two records to keep")})
    rules = RULES[pair.kind]
    kept = records[keep_id]
    merged = records[pair.second_id if keep_id == pair.first_id else pair.first_id]
    reason = note.strip() or f"merge of duplicate pair {pair.pk}"
    now = timezone.now()

    before = _audit_view(rules, kept)
    touched = _fill_gaps(rules, kept, merged)
    if touched:
        kept.updated_at = now
        kept.save(update_fields=[*touched, "updated_at"])
        changes: dict[str, Any] = _changes(before, _audit_view(rules, kept))
        changes["merged_from"] = [None, merged.pk]
        record(action=AuditAction.UPDATE, actor=actor, obj=kept, changes=changes, reason=reason)

    before = _audit_view(rules, merged)
    merged.is_active, merged.merged_into_id, merged.updated_at = False, kept.pk, now
    merged.save(update_fields=["is_active", "merged_into", "updated_at"])
    record(
        action=AuditAction.UPDATE,
        actor=actor,
        obj=merged,
        changes=_changes(before, _audit_view(rules, merged)),
        reason=reason,
    )

    _repoint_references(rules.model, merged, kept, actor, reason)
    _resettle_candidates(pair.kind, pair, merged, kept, actor)
    _close(pair, actor, DuplicateCandidate.Status.MERGED, note.strip(), kept.pk)
    return pair


@transaction.atomic
def mark_distinct(*, actor: Any, candidate_id: int, note: str) -> DuplicateCandidate:
    """标记非重复: the two records are different people / units; the pair is never proposed again."""
    _require_reviewer(actor)
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say why the two records are not the same")})
    pair, _records = _pending_pair(actor, candidate_id)
    _close(pair, actor, DuplicateCandidate.Status.DISTINCT, note, None)
    return pair
