"""Outgoing channels for notifications. ``ZHUFANG_NOTIFICATION_SENDERS`` lists dotted paths of
classes with ``send(messages)``; the default only logs, because an intranet deployment plugs in its
own SMS gateway or WeChat Work bot (never a public Internet service from the app itself)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from zhufang.notifications.models import Notification

logger = logging.getLogger("zhufang.notifications")


class Sender(Protocol):
    def send(self, messages: Sequence[Notification]) -> None: ...


class LoggingSender:
    """Writes one log line per message (the default)."""

    def send(self, messages: Sequence[Notification]) -> None:
        for m in messages:
            logger.info("notify user=%s kind=%s title=%s", m.recipient_id, m.kind, m.title)


def configured_senders() -> list[Sender]:
    paths = getattr(settings, "ZHUFANG_NOTIFICATION_SENDERS", ["zhufang.notifications.senders.LoggingSender"])
    return [import_string(path)() for path in paths]
