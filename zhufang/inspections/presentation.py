"""What the pages and the API show of houses, establishments and inspections: masked by default, and
without ``pii.view`` (grid workers) names masked too and no phone numbers at all."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from zhufang.accounts.permissions import Perm
from zhufang.inspections.cadence import Status
from zhufang.inspections.models import Inspection, InspectionResult, TargetKind
from zhufang.inspections.periods import Period, Span, period_label
from zhufang.privacy.masking import mask_name, mask_phone
from zhufang.registry.models import Establishment, House, HouseUse


def _sees_personal_data(principal: Any) -> bool:
    return bool(principal.has_permission(Perm.PERSONAL_DATA_VIEW))


def _name(principal: Any, value: str) -> str:
    return value if _sees_personal_data(principal) else (mask_name(value) or "")


def _phone(principal: Any, value: str | None) -> str | None:
    return mask_phone(value) if value and _sees_personal_data(principal) else None


def house_out(principal: Any, house: House) -> dict[str, Any]:
    return {
        "kind": TargetKind.HOUSE.value,
        "id": house.pk,
        "label": house.address.full_text,
        "address": house.address.full_text,
        "use": house.use,
        "use_label": str(HouseUse(house.use).label) if house.use in HouseUse.values else house.use,
        "owner_name": _name(principal, house.owner_name) if house.owner_name else "",
        "owner_phone_masked": _phone(principal, house.owner_phone),
        "grid": house.owner_unit.name if house.owner_unit_id and house.owner_unit else None,
        "owner_unit_id": house.owner_unit_id,
    }


def establishment_out(principal: Any, establishment: Establishment) -> dict[str, Any]:
    address = establishment.address.full_text if establishment.address_id and establishment.address else ""
    return {
        "kind": TargetKind.ESTABLISHMENT.value,
        "id": establishment.pk,
        "label": establishment.name,
        "name": establishment.name,
        "address": address,
        "category": establishment.category,
        "industry": establishment.industry,
        "trade": establishment.trade,
        "legal_rep_name": _name(principal, establishment.legal_rep_name) if establishment.legal_rep_name else "",
        "security_contact": _name(principal, establishment.security_contact) if establishment.security_contact else "",
        "security_contact_phone_masked": _phone(principal, establishment.security_contact_phone),
        "staff_count": establishment.staff_count,
        "grid": establishment.owner_unit.name if establishment.owner_unit_id and establishment.owner_unit else None,
        "owner_unit_id": establishment.owner_unit_id,
    }


def target_out(principal: Any, target: House | Establishment) -> dict[str, Any]:
    return house_out(principal, target) if isinstance(target, House) else establishment_out(principal, target)


def photo_url(inspection: Inspection) -> str | None:
    return reverse("inspections:photo", args=[inspection.pk]) if inspection.photo else None


def inspection_out(principal: Any, inspection: Inspection) -> dict[str, Any]:
    inspector = inspection.inspector
    return {
        "id": inspection.pk,
        "target_kind": inspection.target_kind,
        "target_id": inspection.target_id,
        "inspected_on": inspection.inspected_on.isoformat(),
        "result": inspection.result,
        "result_label": str(InspectionResult(inspection.result).label),
        "findings": inspection.findings,
        "hazards": list(inspection.hazards or []),
        "photo_url": photo_url(inspection),
        "inspector": _name(principal, inspector.name) if inspector else None,
        "inspector_police_number": inspector.police_number if inspector else None,
        "source": inspection.source,
        "instruction_item_id": inspection.instruction_item_id,
        "created_at": inspection.created_at.isoformat(),
    }


def status_out(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A cadence row (``cadence.status_of`` or a ``due_list`` item) with its labels."""
    if row is None:
        return None
    period = row["period"]
    out = {
        "period": period,
        "period_label": str(Period(period).label),
        "status": row["status"],
        "status_label": str(Status(row["status"]).label),
        "deadline": _iso(row.get("deadline")),
        "last_inspected_on": _iso(row.get("last_inspected_on")),
    }
    if row.get("current_start"):
        out["current_period"] = period_label(period, Span(row["current_start"], row["current_end"]))
    return out


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def due_item_out(principal: Any, row: dict[str, Any]) -> dict[str, Any]:
    """One line of a to-do list (``cadence.due_list``)."""
    kind = row["kind"]
    label = row["label"]
    if kind == TargetKind.HOUSE:
        selector_label = str(HouseUse(row["selector_value"]).label) if row["selector_value"] in HouseUse.values else ""
    else:
        selector_label = row["selector_value"] or ""
    return {
        "kind": kind,
        "id": row["pk"],
        "label": label,
        "selector_label": selector_label,
        "owner_unit_id": row["owner_unit_id"],
        "url": reverse("inspections:target", args=[kind, row["pk"]]),
        **(status_out(row) or {}),
    }
