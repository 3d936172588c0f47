"""Give the built-in system administrator role the new calendar.manage permission."""

from django.db import migrations


def refresh_roles(apps, schema_editor):
    from zhufang.accounts.builtin_roles import ensure_builtin_roles

    ensure_builtin_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("workdays", "0002_seed_chinese_calendar"), ("accounts", "0004_registry_permissions")]

    operations = [migrations.RunPython(refresh_roles, migrations.RunPython.noop)]
