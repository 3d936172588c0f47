"""Revealing a personal identifier (查看明文): a permission-gated, audited action with a reason."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import visible_to
from zhufang.audit.models import AuditAction
from zhufang.audit.services import record
from zhufang.privacy.fields import EncryptedTextField

MIN_REASON_LENGTH = 4


def reveal(
    *,
    actor: Any,
    obj: models.Model,
    field: str,
    reason: str,
    instruction_item_id: int | None = None,
) -> str | None:
    """Return the plaintext of ``obj.field`` and audit who saw it, why, and for which instruction."""
    if not actor.has_permission(Perm.PERSONAL_DATA_REVEAL):
        raise PermissionDenied(_("You do not have the permission to reveal personal data"))
    model_field = obj._meta.get_field(field)
    if not isinstance(model_field, EncryptedTextField):
        raise ValidationError({"field": _("%(field)s is not a protected identifier") % {"field": field}})
    if not visible_to(actor, type(obj)._default_manager.filter(pk=obj.pk)).exists():
        raise PermissionDenied(_("This record is outside your data scope"))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {"reason": _("State the reason for viewing (at least %(n)d characters)") % {"n": MIN_REASON_LENGTH}}
        )
    record(
        action=AuditAction.REVEAL,
        actor=actor,
        obj=obj,
        changes={"field": field},
        reason=reason,
        instruction_item_id=instruction_item_id,
    )
    value = getattr(obj, field)
    return None if value is None else str(value)
