"""Running a write once per idempotency key.

``run_once(principal, endpoint, key, payload, write)`` inserts the key row and runs ``write`` in one
transaction. A retry with the same key and payload returns the stored answer; the same key with a
different payload is refused (409), as Stripe and the IETF draft do. Without a key the write simply
runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from zhufang.idempotency.models import IdempotentRequest


class IdempotencyConflict(Exception):
    """The key was used before with a different request body."""


def principal_key(principal: Any) -> str:
    user_id = getattr(principal, "principal_user_id", None)
    return f"user:{user_id}" if user_id is not None else f"token:{principal.pk}"


def payload_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def run_once(
    *, principal: Any, endpoint: str, key: str | None, payload: Any, write: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Returns (status, body, replayed)."""
    if not key:
        status, body = write()
        return status, body, False
    who, digest = principal_key(principal), payload_hash(payload)
    try:
        with transaction.atomic():
            guard = IdempotentRequest.objects.create(
                key=key[:80], principal=who, endpoint=endpoint, request_hash=digest
            )
            status, body = write()
            guard.status_code, guard.response = status, body
            guard.save(update_fields=["status_code", "response"])
            return status, body, False
    except IntegrityError:
        stored = IdempotentRequest.objects.filter(key=key[:80], principal=who, endpoint=endpoint).first()
        if stored is None:
            raise  # the write's own integrity error, not a replay
        if stored.request_hash != digest:
            raise IdempotencyConflict(key) from None
        return stored.status_code, stored.response, True
