"""Sending and reading notifications. ``notify`` is set-based: one insert for all recipients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from zhufang.notifications.models import Notification
from zhufang.notifications.senders import configured_senders


def notify(
    recipient_ids: Iterable[int],
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    object_type: str = "",
    object_id: str = "",
) -> list[Notification]:
    """Put one message in each recipient's inbox; the senders run after the transaction commits."""
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=rid,
            kind=kind,
            title=title[:200],
            body=body,
            link=link[:255],
            object_type=object_type,
            object_id=object_id,
            created_at=now,
        )
        for rid in sorted(set(recipient_ids))
    ]
    Notification.objects.bulk_create(rows, batch_size=500)

    def send() -> None:
        for sender in configured_senders():
            sender.send(rows)

    transaction.on_commit(send)
    return rows


def inbox(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own messages (nobody reads another's inbox, whatever their data scope)."""
    messages = Notification.objects.filter(recipient_id=user.pk)
    return messages.filter(read_at__isnull=True) if unread_only else messages


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's messages read (all unread ones when ``ids`` is None)."""
    messages = inbox(user, unread_only=True)
    if ids is not None:
        messages = messages.filter(pk__in=list(ids))
    return messages.update(read_at=timezone.now())


def unread_count(user: Any) -> int:
    return inbox(user, unread_only=True).count()
