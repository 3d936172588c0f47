"""Give the built-in roles the instruction-centre permissions (zhufang.accounts.builtin_roles)."""

from django.db import migrations


def refresh_builtin_roles(apps, schema_editor):
    from zhufang.accounts.builtin_roles import ensure_builtin_roles

    ensure_builtin_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("instructions", "0001_initial"),
        ("accounts", "0004_registry_permissions"),
    ]

    operations = [migrations.RunPython(refresh_builtin_roles, migrations.RunPython.noop)]
