"""Feedback photos (反馈照片): uploaded from the phone one at a time before the feedback is submitted,
so a draft with its photos survives a dropped signal; checked for type (by content) and size; stored
under MEDIA_ROOT with a random name (never the phone's file name)."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import lock_visible_row, visible_to
from zhufang.events.services import record_event_with_update
from zhufang.inspections.photos import check_photo
from zhufang.instructions.models import Attachment, InstructionItem, ItemStatus
from zhufang.instructions.transitions import item_event

#: items that still take photos: signed for and not yet fed back (or sent back for rework)
PHOTO_STATUSES = (ItemStatus.SIGNED, ItemStatus.IN_PROGRESS, ItemStatus.REWORK)
MAX_PHOTOS = 9


@transaction.atomic
def add_photo(
    *,
    actor: Any,
    item_id: int,
    upload: UploadedFile,
    lon: float | None = None,
    lat: float | None = None,
    accuracy_m: float | None = None,
) -> Attachment:
    """Attach one photo to the actor's own item; the first photo starts the work (in progress)."""
    if not actor.has_permission(Perm.INSTRUCTION_WORK):
        raise PermissionDenied("没有办理指令的权限")
    item = lock_visible_row(actor, InstructionItem, item_id, ("status", "assignee", "owner_unit"))
    if item is None:
        raise PermissionDenied("该指令不在您的数据权限范围内")
    if item.assignee_id != (actor.pk if isinstance(actor, User) else None):
        raise PermissionDenied("这条指令不是指派给您的")
    if item.status not in PHOTO_STATUSES:
        raise ValidationError({"photo": f"指令当前状态为“{item.get_status_display()}”，不能再上传照片"})
    if Attachment.objects.filter(item=item, submitted=False).count() >= MAX_PHOTOS:
        raise ValidationError({"photo": f"每条反馈最多{MAX_PHOTOS}张照片"})
    checked = check_photo(upload)
    upload.name = f"{secrets.token_hex(12)}.{checked.extension}"
    attachment = Attachment.objects.create(
        item=item,
        file=upload,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy_m,
        uploaded_by=actor if isinstance(actor, User) else None,
    )
    if item.status == ItemStatus.SIGNED:  # the first photo starts the work: the same event as 开始办理
        started = item_event(item, "instruction.started", actor, attachment.uploaded_at, photo=attachment.pk)
        record_event_with_update(started, InstructionItem, {"status": ItemStatus.IN_PROGRESS}, item.pk)
    return attachment


def photos_of(actor: Any, item_id: int) -> list[Attachment]:
    """The photos of an item the actor may see."""
    visible = visible_to(actor, InstructionItem.objects.filter(pk=item_id)).values("pk")
    return list(Attachment.objects.filter(item_id__in=visible))
