"""Permissions (权限) as named codes, and the separation of the three administrators (三员分立).

Roles carry lists of these codes. The codes are the only vocabulary views, API handlers and services
use to ask "may this principal do X"; what they may see is the separate question of data scope
(``zhufang.accounts.scope``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class Perm:
    """Permission codes. Later issues add their own (instructions, disputes, models …)."""

    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"
    USER_MANAGE = "user.manage"
    ROLE_MANAGE = "role.manage"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    PERSONAL_DATA_VIEW = "pii.view"
    PERSONAL_DATA_REVEAL = "pii.reveal"
    DATA_EXPORT = "data.export"
    REGISTRY_EDIT = "registry.edit"
    REGISTRY_IMPORT = "registry.import"
    API_TOKEN_MANAGE = "token.manage"  # noqa: S105 - a permission code, not a secret
    INSTRUCTION_REQUEST = "instruction.request"
    INSTRUCTION_ISSUE = "instruction.issue"
    INSTRUCTION_SIGN = "instruction.sign"
    INSTRUCTION_WORK = "instruction.work"
    INSTRUCTION_REVIEW = "instruction.review"
    INSPECTION_VIEW = "inspection.view"
    INSPECTION_RECORD = "inspection.record"
    INSPECTION_RECORD_HOUSE = "inspection.record_house"
    INSPECTION_RULES = "inspection.rules"
    CALENDAR_MANAGE = "calendar.manage"


PERMISSION_LABELS: dict[str, object] = {
    Perm.ORG_VIEW: _("View the organisation tree and map"),
    Perm.ORG_MANAGE: _("Manage units, polygons and station mergers"),
    Perm.USER_MANAGE: _("Manage user accounts"),
    Perm.ROLE_MANAGE: _("Manage roles, data scopes and grants"),
    Perm.AUDIT_READ: _("Read the audit trail"),
    Perm.AUDIT_VERIFY: _("Verify the audit trail"),
    Perm.PERSONAL_DATA_VIEW: _("View personal data (masked)"),
    Perm.PERSONAL_DATA_REVEAL: _("Reveal personal identifiers with a reason"),
    Perm.DATA_EXPORT: _("Export data with a reason"),
    Perm.REGISTRY_EDIT: _("Collect and edit registry data (addresses, houses, people, establishments)"),
    Perm.REGISTRY_IMPORT: _("Import registry spreadsheets"),
    Perm.API_TOKEN_MANAGE: _("Manage integration API tokens"),
    Perm.INSTRUCTION_REQUEST: _("Request instructions through the control centre"),
    Perm.INSTRUCTION_ISSUE: _("Review, issue, reroute and close instruction batches"),
    Perm.INSTRUCTION_SIGN: _("Sign for, assign and return a station's instructions"),
    Perm.INSTRUCTION_WORK: _("Work instructions and submit feedback"),
    Perm.INSTRUCTION_REVIEW: _("Review feedback (approve or return for rework)"),
    Perm.INSPECTION_VIEW: _("See due and overdue inspections and inspection records"),
    Perm.INSPECTION_RECORD: _("Record inspections of houses and establishments"),
    Perm.INSPECTION_RECORD_HOUSE: _("Record inspections of houses"),
    Perm.INSPECTION_RULES: _("Configure inspection cadences"),
    Perm.CALENDAR_MANAGE: _("Enter the holiday calendar from the State Council's notice"),
}

ALL_PERMISSIONS = frozenset(PERMISSION_LABELS)

#: 三员分立: the jobs of the system, security and audit administrators. One principal may hold
#: permissions from at most one of these groups, so none of the three can do another's job.
ADMIN_DUTY_LABELS: dict[str, object] = {
    "system": _("system administrator"),
    "security": _("security administrator"),
    "audit": _("audit administrator"),
}
ADMIN_DUTIES: dict[str, frozenset[str]] = {
    "system": frozenset({Perm.ORG_MANAGE, Perm.USER_MANAGE, Perm.API_TOKEN_MANAGE, Perm.CALENDAR_MANAGE}),
    "security": frozenset({Perm.ROLE_MANAGE}),
    "audit": frozenset({Perm.AUDIT_READ, Perm.AUDIT_VERIFY}),
}


class SeparationOfDutiesError(ValueError):
    """A permission set that would let one person do two administrators' jobs."""


def check_separation_of_duties(permissions: set[str] | frozenset[str]) -> None:
    held = [duty for duty, perms in ADMIN_DUTIES.items() if perms & permissions]
    if len(held) > 1:
        raise SeparationOfDutiesError(
            str(_("Separation of duties: one account cannot hold the permissions of both the %(duties)s"))
            % {"duties": " / ".join(str(ADMIN_DUTY_LABELS[d]) for d in held)}
        )
    if held and permissions & {Perm.PERSONAL_DATA_REVEAL, Perm.DATA_EXPORT}:
        raise SeparationOfDutiesError(
            str(_("Separation of duties: an administrator cannot also reveal or export personal data"))
        )
