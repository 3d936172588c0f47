"""Writes of the inspections app: recording an inspection (检查记录) and editing the cadence rules.
Each checks permission and scope, validates in the user's language, runs in a transaction and
writes its own audit row (and, for an inspection, the domain event the work log reads)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.audit.models import AuditAction
from zhufang.audit.services import diff, record, snapshot
from zhufang.events.services import record_event
from zhufang.inspections.models import (
    RESULTS_WITH_HAZARDS,
    SELECTORS_BY_KIND,
    Inspection,
    InspectionResult,
    InspectionRule,
    InspectionSource,
    TargetKind,
)
from zhufang.inspections.periods import Period
from zhufang.inspections.photos import check_photo
from zhufang.registry.models import Establishment, House, HouseUse

#: how far back an inspection may be dated (late entry across a month end; no filling of old periods)
MAX_BACKDATE_DAYS = 31
MAX_HAZARDS = 20
MAX_HAZARD_LENGTH = 100
MAX_FINDINGS_LENGTH = 2000
INSPECTION_AUDITED = (
    "house",
    "establishment",
    "inspected_on",
    "result",
    "findings",
    "hazards",
    "photo_sha256",
    "source",
    "instruction_item_id",
)
RULE_AUDITED = ("target_kind", "selector", "value", "period", "is_active", "note")

Target = House | Establishment


def target_kind_of(target: Target) -> str:
    if isinstance(target, House):
        return TargetKind.HOUSE
    if isinstance(target, Establishment):
        return TargetKind.ESTABLISHMENT
    raise TypeError(f"an inspection targets a house or an establishment, not {type(target).__name__}")


def may_record(actor: Any, kind: str) -> bool:
    """社区民警/辅警 record inspections of houses and venues; 网格员 of houses only (a venue inspection
    is police work under the trade regulations)."""
    if actor.has_permission(Perm.INSPECTION_RECORD):
        return True
    return kind == TargetKind.HOUSE and actor.has_permission(Perm.INSPECTION_RECORD_HOUSE)


def recordable_kinds(actor: Any) -> tuple[str, ...]:
    return tuple(kind for kind in TargetKind.values if may_record(actor, kind))


def _visible_target(actor: Any, target: Target) -> Target:
    model = type(target)
    found = visible_to(actor, model.objects.filter(pk=target.pk)).first()  # type: ignore[attr-defined]
    if found is None:
        raise PermissionDenied(gettext("This house or establishment is outside your data scope"))
    return found  # type: ignore[no-any-return]


def clean_hazards(hazards: Any) -> list[str]:
    """A list of short hazard descriptions; one string is split into lines."""
    if hazards is None:
        return []
    if isinstance(hazards, str):
        hazards = hazards.splitlines()
    items = [str(h).strip() for h in hazards]
    items = [h for h in items if h]
    if len(items) > MAX_HAZARDS:
        raise ValidationError({"hazards": gettext("List at most %(n)s hazards") % {"n": MAX_HAZARDS}})
    for number, item in enumerate(items, 1):
        if len(item) > MAX_HAZARD_LENGTH:
            raise ValidationError(
                {
                    "hazards": gettext("Hazard %(number)s is longer than %(n)s characters")
                    % {"number": number, "n": MAX_HAZARD_LENGTH}
                }
            )
    return list(dict.fromkeys(items))  # the same hazard once, in the order given


def _validate(
    *, inspected_on: Any, result: str, findings: str, hazards: list[str], today: dt.date, backdate_limit: bool = True
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(inspected_on, dt.date):
        errors["inspected_on"] = gettext("Enter the inspection date")
    elif inspected_on > today:
        errors["inspected_on"] = gettext("The inspection date %(date)s is in the future") % {"date": inspected_on}
    elif backdate_limit and inspected_on < today - dt.timedelta(days=MAX_BACKDATE_DAYS):
        errors["inspected_on"] = gettext(
            "The inspection date %(date)s is more than %(days)s days ago; record inspections when they are done"
        ) % {"date": inspected_on, "days": MAX_BACKDATE_DAYS}
    if result not in InspectionResult.values:
        errors["result"] = gettext("Choose the result of the inspection")
    elif result in RESULTS_WITH_HAZARDS and not hazards:
        errors["hazards"] = gettext("List the hazards found (one per line)")
    if len(findings) > MAX_FINDINGS_LENGTH:
        errors["findings"] = gettext("Findings are limited to %(n)s characters") % {"n": MAX_FINDINGS_LENGTH}
    return errors


@transaction.atomic
def record_inspection(
    *,
    actor: Any,
    target: Target,
    inspected_on: dt.date,
    result: str,
    findings: str = "",
    hazards: Any = (),
    photo: Any = None,
    source: str = InspectionSource.DIRECT,
    instruction_item_id: int | None = None,
    today: dt.date | None = None,
) -> Inspection:
    """记录检查: one inspection of a house or establishment by ``actor``, in scope, validated, audited.

    The instruction centre calls this when a station approves the feedback of an inspection-category
    instruction item: ``source="instruction"`` and ``instruction_item_id`` name the item (the audit row
    carries it too); its date is the feedback's, so the 31-day limit on back-dating does not apply.
    ``photo`` is an uploaded file (checked for type and size) or ``None``.
    """
    kind = target_kind_of(target)
    if not may_record(actor, kind):
        raise PermissionDenied(gettext("You may not record inspections of this kind of object"))
    target = _visible_target(actor, target)
    today = today or timezone.localdate()
    findings = (findings or "").strip()
    hazard_list = clean_hazards(hazards)
    errors = _validate(
        inspected_on=inspected_on,
        result=result,
        findings=findings,
        hazards=hazard_list,
        today=today,
        # the date of approved feedback is the system's, not typed in: a slow review must not refuse it
        backdate_limit=source != InspectionSource.INSTRUCTION,
    )
    if source not in InspectionSource.values:
        errors["source"] = gettext("Unknown source of the inspection")
    elif source == InspectionSource.INSTRUCTION and not instruction_item_id:
        errors["instruction_item_id"] = gettext("Name the instruction item whose feedback was approved")
    if errors:
        raise ValidationError(errors)
    checked = check_photo(photo) if photo else None
    inspection = Inspection(
        house=target if kind == TargetKind.HOUSE else None,  # type: ignore[misc]
        establishment=target if kind == TargetKind.ESTABLISHMENT else None,  # type: ignore[misc]
        inspected_on=inspected_on,
        result=result,
        findings=findings,
        hazards=hazard_list,
        inspector=actor if getattr(actor, "police_number", None) else None,
        source=source,
        instruction_item_id=instruction_item_id,
        owner_unit_id=target.owner_unit_id,
    )
    if checked is not None:
        inspection.photo_sha256, inspection.photo_type = checked.sha256, checked.content_type
        inspection.photo.save(f"photo.{checked.extension}", File(photo), save=False)
    try:
        inspection.save()
        record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=inspection,
            changes=diff({}, snapshot(inspection, INSPECTION_AUDITED)),
            instruction_item_id=instruction_item_id,
        )
        record_event(
            kind="inspection.recorded",
            obj=inspection,
            actor=actor,
            owner_unit_id=target.owner_unit_id,
            data={"target_kind": kind, "target_id": target.pk, "result": result, "inspected_on": inspected_on},
        )
    except Exception:
        if inspection.photo:
            inspection.photo.delete(save=False)  # never leave a stored photo without its record
        raise
    return inspection


def _require_rules(actor: Any) -> None:
    if not actor.has_permission(Perm.INSPECTION_RULES):
        raise PermissionDenied(gettext("Only the control centre configures inspection cadences"))


def _validate_rule(target_kind: str, selector: str, value: str, period: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if target_kind not in SELECTORS_BY_KIND:
        errors["target_kind"] = gettext("Choose houses or establishments")
    elif selector not in SELECTORS_BY_KIND[target_kind]:
        errors["selector"] = gettext("This field cannot select %(kind)s") % {"kind": TargetKind(target_kind).label}
    if not value:
        errors["value"] = gettext("Enter the value the rule matches")
    elif selector == "use" and value not in HouseUse.values:
        errors["value"] = gettext("Unknown house use %(value)s") % {"value": value}
    elif len(value) > 30:
        errors["value"] = gettext("The value is longer than 30 characters")
    if period not in Period.values:
        errors["period"] = gettext("Choose a cadence")
    return errors


@transaction.atomic
def create_rule(
    *, actor: Any, target_kind: str, selector: str, value: str, period: str, is_active: bool = True, note: str = ""
) -> InspectionRule:
    """新增检查周期规则 (control centre)."""
    _require_rules(actor)
    value = (value or "").strip()
    errors = _validate_rule(target_kind, selector, value, period)
    if not errors and InspectionRule.objects.filter(target_kind=target_kind, selector=selector, value=value).exists():
        errors["value"] = gettext("A rule for %(value)s exists already; change that one") % {"value": value}
    if errors:
        raise ValidationError(errors)
    rule = InspectionRule.objects.create(
        target_kind=target_kind,
        selector=selector,
        value=value,
        period=period,
        is_active=is_active,
        note=(note or "").strip()[:200],
        updated_by=actor if getattr(actor, "police_number", None) else None,
    )
    record(action=AuditAction.CREATE, actor=actor, obj=rule, changes=diff({}, snapshot(rule, RULE_AUDITED)))
    return rule


@transaction.atomic
def update_rule(
    *,
    actor: Any,
    rule: InspectionRule,
    period: str | None = None,
    is_active: bool | None = None,
    note: str | None = None,
) -> InspectionRule:
    """修改检查周期规则: its cadence, whether it is active, its note. Takes effect on the next
    computation (due lists are never stored)."""
    _require_rules(actor)
    rule = InspectionRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule, RULE_AUDITED)
    if period is not None:
        if period not in Period.values:
            raise ValidationError({"period": gettext("Choose a cadence")})
        rule.period = period
    if is_active is not None:
        rule.is_active = is_active
    if note is not None:
        rule.note = note.strip()[:200]
    changes = diff(before, snapshot(rule, RULE_AUDITED))
    if changes:
        rule.updated_by = actor if getattr(actor, "police_number", None) else None
        rule.updated_at = timezone.now()
        rule.save()
        record(action=AuditAction.UPDATE, actor=actor, obj=rule, changes=changes)
    return rule
