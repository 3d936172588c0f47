"""Refresh the built-in roles: registry collection and import permissions."""

from django.db import migrations


def refresh_roles(apps, schema_editor):
    from zhufang.accounts.builtin_roles import ensure_builtin_roles

    ensure_builtin_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_builtin_roles")]
    operations = [migrations.RunPython(refresh_roles, migrations.RunPython.noop)]
