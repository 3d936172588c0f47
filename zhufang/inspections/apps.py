from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "zhufang.inspections"
    label = "inspections"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "检查"
