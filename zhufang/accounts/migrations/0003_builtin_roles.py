"""Create the built-in roles (DESIGN.md's table)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from zhufang.accounts.builtin_roles import ensure_builtin_roles

    ensure_builtin_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
