"""Session policy: idle timeout, and a forced change of an initial or reset password."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

#: paths a user who must change their password may still reach
_OPEN_PREFIXES = ("/static/", "/i18n/", "/accounts/password/", "/logout/", "/login/")


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            last_seen = request.session.get("last_seen", now)
            if now - last_seen > settings.ZHUFANG_SESSION_IDLE_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "session expired"}, status=401)
                return redirect(f"{reverse('web:login')}?next={request.path}")
            if now - last_seen > 60:  # write the session at most once a minute
                request.session["last_seen"] = now
            if getattr(user, "must_change_password", False) and not request.path.startswith(_OPEN_PREFIXES):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "password change required"}, status=403)
                return redirect("web:password_change")
        return self.get_response(request)
