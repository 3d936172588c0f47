from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    """工作日历: the working-day calendar that deadlines count on."""

    name = "zhufang.workdays"
    label = "workdays"
    default_auto_field = "django.db.models.BigAutoField"
