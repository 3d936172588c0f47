"""Logging in (登录): throttling, lockout and the audit row for every success and failure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from zhufang.accounts.models import User
from zhufang.audit.middleware import client_ip
from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.audit.services import record


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str = ""


def _ip_blocked(ip: str | None, now: dt.datetime) -> bool:
    if not ip:
        return False
    window = now - dt.timedelta(minutes=settings.ZHUFANG_LOGIN_LOCK_MINUTES)
    failures = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILURE, ip=ip, at__gte=window).count()
    return failures >= settings.ZHUFANG_LOGIN_MAX_FAILURES_PER_IP


def attempt_login(request: HttpRequest, police_number: str, password: str) -> LoginResult:
    """Check the credentials; lock the account after repeated failures; audit either way."""
    now = timezone.now()
    police_number = police_number.strip()
    generic = _("Wrong police number or password.")
    if _ip_blocked(client_ip(request), now):
        record(
            action=AuditAction.LOGIN_FAILURE,
            object_type="accounts.user",
            object_id=police_number,
            reason="address throttled",
        )
        return LoginResult(None, _("Too many failed logins from this address. Try again later."))
    account = User.objects.filter(police_number=police_number).first()
    if account is not None and account.is_locked(now):
        record(action=AuditAction.LOGIN_FAILURE, actor=None, obj=account, reason="account locked")
        return LoginResult(
            None,
            _("This account is locked after repeated failures. Try again after %(time)s.")
            % {"time": timezone.localtime(account.locked_until).strftime("%H:%M")},
        )
    user = authenticate(request, username=police_number, password=password)
    if user is None:
        with transaction.atomic():
            if account is not None:
                User.objects.filter(pk=account.pk).update(failed_login_count=F("failed_login_count") + 1)
                account.refresh_from_db(fields=["failed_login_count"])
                if account.failed_login_count >= settings.ZHUFANG_LOGIN_MAX_FAILURES:
                    account.locked_until = now + dt.timedelta(minutes=settings.ZHUFANG_LOGIN_LOCK_MINUTES)
                    account.failed_login_count = 0
                    account.save(update_fields=["locked_until", "failed_login_count"])
            record(
                action=AuditAction.LOGIN_FAILURE,
                obj=account,
                object_type="accounts.user",
                object_id=str(account.pk) if account else police_number,
                reason="bad credentials" if account else "unknown police number",
            )
        return LoginResult(None, generic)
    assert isinstance(user, User)
    login(request, user)
    request.session["last_seen"] = now.timestamp()
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    record(action=AuditAction.LOGIN_SUCCESS, actor=user, obj=user)
    return LoginResult(user)


def do_logout(request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        record(action=AuditAction.LOGOUT, actor=user, obj=user)  # type: ignore[arg-type]
    logout(request)
