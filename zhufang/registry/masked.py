"""Houses and establishments as pages, the API and exports show them: identifiers masked
(默认脱敏); without ``pii.view`` (grid workers) the names of owners, legal representatives and
security contacts are masked too."""

from __future__ import annotations

from typing import Any

from zhufang.accounts.permissions import Perm
from zhufang.privacy.masking import mask_id_number, mask_name, mask_phone
from zhufang.registry.models import Establishment, House


def sees_names(principal: Any) -> bool:
    return bool(principal.has_permission(Perm.PERSONAL_DATA_VIEW))


def name_for(principal: Any, name: str) -> str:
    return name if sees_names(principal) else (mask_name(name) or "")


def house_out(principal: Any, house: House) -> dict[str, Any]:
    """A house with its owner masked (the address is read through ``house.address``)."""
    return {
        "id": house.pk,
        "address": house.address.full_text,
        "address_code": house.address.code,
        "use": house.use,
        "house_type": house.house_type,
        "area_m2": house.area_m2,
        "rooms": house.rooms,
        "owner_name": name_for(principal, house.owner_name),
        "owner_id_type": house.owner_id_type,
        "owner_id_number_masked": mask_id_number(house.owner_id_number) if house.owner_id_number else None,
        "owner_phone_masked": mask_phone(house.owner_phone) if house.owner_phone else None,
        "labels": house.labels,
        "legacy_number": house.legacy_number,
        "owner_unit_id": house.owner_unit_id,
    }


def establishment_out(principal: Any, unit: Establishment) -> dict[str, Any]:
    """An establishment with its legal representative and security contact masked."""
    return {
        "id": unit.pk,
        "name": unit.name,
        "uscc": unit.uscc,
        "category": unit.category,
        "industry": unit.industry,
        "trade": unit.trade,
        "is_key_industry": unit.is_key_industry,
        "address_id": unit.address_id,
        "address": unit.address.full_text if unit.address_id and unit.address else None,
        "legal_rep_name": name_for(principal, unit.legal_rep_name),
        "legal_rep_id_number_masked": mask_id_number(unit.legal_rep_id_number) if unit.legal_rep_id_number else None,
        "security_contact": name_for(principal, unit.security_contact),
        "security_contact_phone_masked": (
            mask_phone(unit.security_contact_phone) if unit.security_contact_phone else None
        ),
        "staff_count": unit.staff_count,
        "legacy_number": unit.legacy_number,
        "is_active": unit.is_active,
        "owner_unit_id": unit.owner_unit_id,
    }
