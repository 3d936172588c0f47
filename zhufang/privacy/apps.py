"""App configuration of ``privacy``: personal-data protection (个人信息保护) primitives."""

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "zhufang.privacy"
    label = "privacy"
    verbose_name = "个人信息保护"
    default_auto_field = "django.db.models.BigAutoField"
