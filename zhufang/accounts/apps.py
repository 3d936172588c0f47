from typing import Any

from django.apps import AppConfig


def _forget_user_read_with_session(**_kwargs: Any) -> None:
    from zhufang.accounts.request_user import hand_over

    hand_over(None)  # a user read with a session never outlives its request (threads serve many)


class AccountsConfig(AppConfig):
    name = "zhufang.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_started

        request_started.connect(_forget_user_read_with_session, dispatch_uid="zhufang.accounts.forget_user")
