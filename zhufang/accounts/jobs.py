"""Periodic jobs of accounts: expired sessions (会话) are deleted daily."""

from __future__ import annotations

from django.utils import timezone

from zhufang.accounts.models import UserSession
from zhufang.jobs.registry import job


@job("accounts.clear_sessions")
def clear_sessions() -> dict[str, int]:
    """Delete the session rows past their expiry (a session lives 8 hours; every login adds a row)."""
    deleted, _ = UserSession.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"deleted": deleted}
