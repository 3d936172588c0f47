"""Authentication backend: 警号 + password. A bureau's PKI certificate or single sign-on replaces
this class (AUTHENTICATION_BACKENDS); lockout and auditing live in ``zhufang.accounts.login`` and
apply whatever the backend."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from zhufang.accounts.models import User
from zhufang.accounts.request_user import load_request_user, take_over


class PoliceNumberBackend(ModelBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        police_number = (username or kwargs.get("police_number") or "").strip()
        if not police_number or password is None:
            return None
        user = User.objects.filter(police_number=police_number).select_related("unit").first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle for 警号
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: int) -> User | None:  # type: ignore[override]
        # read with the session in the same statement; otherwise user, unit and roles in one query
        user = take_over(user_id) or load_request_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
