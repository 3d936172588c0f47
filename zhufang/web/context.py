"""Navigation shown to the current user, by permission."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhufang.accounts.permissions import Perm
from zhufang.notifications.services import unread_count

MENU: tuple[tuple[str, Any, str | tuple[str, ...]], ...] = (
    ("web:home", _("Home"), ()),
    ("org:tree", _("Organisation & map"), Perm.ORG_VIEW),
    ("org:locate", _("Locate a point"), Perm.ORG_VIEW),
    ("instructions:mine", _("My instructions"), Perm.INSTRUCTION_WORK),
    ("instructions:station", _("Station instructions"), Perm.INSTRUCTION_SIGN),
    ("instructions:leave", _("Leave and delegation"), Perm.INSTRUCTION_SIGN),
    ("instructions:centre", _("Instruction centre"), Perm.INSTRUCTION_REQUEST),
    ("instructions:worklog", _("Police work log"), Perm.INSTRUCTION_WORK),
    ("registry:search", _("Registry"), Perm.ORG_VIEW),
    ("registry:import", _("Import registry data"), Perm.REGISTRY_IMPORT),
    ("registry:conflicts", _("Jurisdiction conflicts"), Perm.ORG_VIEW),
    ("inspections:mine", _("Inspections"), Perm.INSPECTION_VIEW),
    ("registry:duplicates", _("Duplicates"), Perm.REGISTRY_EDIT),
    ("registry:quality", _("Registry data quality"), Perm.ORG_VIEW),
    ("org:import", _("Import polygons"), Perm.ORG_MANAGE),
    ("org:mergers", _("Station mergers"), Perm.ORG_MANAGE),
    ("accounts:roster", _("Roster"), Perm.ORG_VIEW),
    ("accounts:users", _("Users"), Perm.USER_MANAGE),
    ("accounts:roles", _("Roles & scopes"), Perm.ROLE_MANAGE),
    ("accounts:tokens", _("API tokens"), Perm.API_TOKEN_MANAGE),
    ("workdays:calendar", _("Working-day calendar"), Perm.CALENDAR_MANAGE),
    ("audit:entries", _("Audit trail"), Perm.AUDIT_READ),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    items = []
    for name, label, perm in MENU:
        if perm and not user.has_permission(perm):  # type: ignore[union-attr]
            continue
        url = reverse(name)
        items.append({"url": url, "label": label, "active": False})
    # the longest menu URL the page lies under is the active one (/instructions/mine/ is not the centre)
    matching = [i for i in items if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["active"] = True
    return {"menu": items, "unread_messages": unread_count(user)}
