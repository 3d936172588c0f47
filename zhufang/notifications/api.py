"""Inbox API: the caller's own messages only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from zhufang.accounts.models import User
from zhufang.api import principal_of
from zhufang.notifications.services import inbox, mark_read, unread_count

router = Router(tags=["notifications"])


class ReadIn(Schema):
    ids: list[int] | None = None


def _user(request: HttpRequest) -> User:
    user = principal_of(request)
    if not isinstance(user, User):
        raise HttpError(400, "an inbox belongs to a person, not a token")
    return user


@router.get("/", response=dict[str, Any])
def messages(request: HttpRequest, unread: bool = False, limit: int = 50) -> Any:
    user = _user(request)
    rows = inbox(user, unread_only=unread)[: max(1, min(limit, 200))]
    return {
        "unread": unread_count(user),
        "messages": [
            {
                "id": m.pk,
                "kind": m.kind,
                "title": m.title,
                "link": m.link,
                "at": m.created_at,
                "read": m.read_at is not None,
            }
            for m in rows
        ],
    }


@router.post("/read", response=dict[str, Any])
def read(request: HttpRequest, payload: ReadIn) -> Any:
    return {"marked": mark_read(_user(request), payload.ids)}
