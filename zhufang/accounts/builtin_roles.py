"""The built-in roles of DESIGN.md's table, created by a data migration and by the demo builder.
A bureau's security administrator may add roles of its own; built-in ones keep their codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from zhufang.accounts.permissions import Perm, check_separation_of_duties


@dataclass(frozen=True)
class RoleDefinition:
    code: str
    name: str  # Chinese name shown in the UI (a role name is data, not interface text)
    data_scope: str
    permissions: tuple[str, ...]
    description: str = ""


P = Perm
BUILTIN_ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition(
        "centre_operator",
        "基础管控中心操作员",
        "all",
        (
            P.ORG_VIEW,
            P.PERSONAL_DATA_VIEW,
            P.PERSONAL_DATA_REVEAL,
            P.DATA_EXPORT,
            P.REGISTRY_EDIT,
            P.REGISTRY_IMPORT,
            P.INSTRUCTION_REQUEST,
            P.INSTRUCTION_ISSUE,
            P.INSPECTION_VIEW,
            P.INSPECTION_RECORD,
            P.INSPECTION_RULES,
        ),
        gettext_noop("Issues instruction batches, runs models, watches the index"),
    ),
    RoleDefinition(
        "department",
        "警种民警",
        "unit",
        (P.ORG_VIEW, P.PERSONAL_DATA_VIEW, P.INSTRUCTION_REQUEST),
        gettext_noop("Requests instructions through the centre and follows them"),
    ),
    RoleDefinition(
        "command_room",
        "综合指挥室",
        "unit_and_below",
        (
            P.ORG_VIEW,
            P.PERSONAL_DATA_VIEW,
            P.PERSONAL_DATA_REVEAL,
            P.DATA_EXPORT,
            P.REGISTRY_EDIT,
            P.REGISTRY_IMPORT,
            P.INSTRUCTION_SIGN,
            P.INSTRUCTION_REVIEW,
            P.INSPECTION_VIEW,
            P.INSPECTION_RECORD,
        ),
        gettext_noop("Signs for instructions, assigns officers, reviews feedback"),
    ),
    RoleDefinition(
        "station_head",
        "派出所所长",
        "unit_and_below",
        (
            P.ORG_VIEW,
            P.PERSONAL_DATA_VIEW,
            P.PERSONAL_DATA_REVEAL,
            P.DATA_EXPORT,
            P.INSTRUCTION_SIGN,
            P.INSTRUCTION_REVIEW,
            P.INSPECTION_VIEW,
            P.INSPECTION_RECORD,
        ),
        gettext_noop("Approves returns and escalations, sees every officer's load"),
    ),
    RoleDefinition(
        "community_officer",
        "社区民警",
        "unit_and_below",
        (
            P.ORG_VIEW,
            P.PERSONAL_DATA_VIEW,
            P.PERSONAL_DATA_REVEAL,
            P.REGISTRY_EDIT,
            P.INSTRUCTION_WORK,
            P.INSPECTION_VIEW,
            P.INSPECTION_RECORD,
        ),
        gettext_noop("Works instructions and collects registry data in the police district"),
    ),
    RoleDefinition(
        "auxiliary_officer",
        "辅警",
        "unit_and_below",
        (P.ORG_VIEW, P.PERSONAL_DATA_VIEW, P.REGISTRY_EDIT, P.INSTRUCTION_WORK, P.INSPECTION_VIEW, P.INSPECTION_RECORD),
        gettext_noop("Assists the community officer"),
    ),
    RoleDefinition(
        "grid_worker",
        "网格员",
        "unit_and_below",
        (P.ORG_VIEW, P.REGISTRY_EDIT, P.INSPECTION_VIEW, P.INSPECTION_RECORD_HOUSE),
        gettext_noop("Reports disputes and hazards in the grid, minimal personal data"),
    ),
    RoleDefinition("volunteer", "义警", "self", (), gettext_noop("Checks in on patrols, reports hazards")),
    RoleDefinition(
        "leader",
        "局领导/督察",
        "all",
        (P.ORG_VIEW, P.PERSONAL_DATA_VIEW, P.INSPECTION_VIEW),
        gettext_noop("Dashboards, rankings, inspection of work (read-only)"),
    ),
    RoleDefinition(
        "system_admin",
        "系统管理员",
        "all",
        (P.ORG_VIEW, P.ORG_MANAGE, P.USER_MANAGE, P.API_TOKEN_MANAGE, P.CALENDAR_MANAGE),
        gettext_noop("Organisation tree, users, configuration; no personal data"),
    ),
    RoleDefinition(
        "security_admin",
        "安全管理员",
        "all",
        (P.ORG_VIEW, P.ROLE_MANAGE),
        gettext_noop("Roles, data scopes and grants"),
    ),
    RoleDefinition(
        "audit_admin",
        "审计管理员",
        "all",
        (P.AUDIT_READ, P.AUDIT_VERIFY),
        gettext_noop("Reads and verifies the audit trail"),
    ),
)

for _definition in BUILTIN_ROLES:
    check_separation_of_duties(set(_definition.permissions))


def ensure_builtin_roles(role_model: Any) -> dict[str, Any]:
    """Create or refresh the built-in roles; returns them by code. Works with the historical model
    in a migration as well as the real one."""
    roles = {}
    for d in BUILTIN_ROLES:
        role, _created = role_model.objects.update_or_create(
            code=d.code,
            defaults={
                "name": d.name,
                "data_scope": d.data_scope,
                "permissions": sorted(d.permissions),
                "description": d.description,
                "is_builtin": True,
            },
        )
        roles[d.code] = role
    return roles
