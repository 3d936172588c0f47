"""Reading the cadence rules (检查周期规则): bureau-wide configuration, the same for every viewer,
so not read through data scope (changes go through ``services.create_rule``/``update_rule``)."""

from __future__ import annotations

from typing import Any

from zhufang.inspections.models import InspectionRule, Selector, TargetKind
from zhufang.inspections.periods import Period
from zhufang.registry.models import HouseUse


def rules_list() -> list[InspectionRule]:
    return list(InspectionRule.objects.select_related("updated_by"))


def rule_by_id(rule_id: int) -> InspectionRule | None:
    return InspectionRule.objects.filter(pk=rule_id).first()


def value_label(rule: InspectionRule) -> str:
    if rule.selector == Selector.HOUSE_USE and rule.value in HouseUse.values:
        return str(HouseUse(rule.value).label)
    return rule.value


def rule_out(rule: InspectionRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "target_kind": rule.target_kind,
        "target_kind_label": str(TargetKind(rule.target_kind).label),
        "selector": rule.selector,
        "selector_label": str(Selector(rule.selector).label),
        "value": rule.value,
        "value_label": value_label(rule),
        "period": rule.period,
        "period_label": str(Period(rule.period).label),
        "is_active": rule.is_active,
        "note": rule.note,
        "updated_at": rule.updated_at.isoformat(),
    }
