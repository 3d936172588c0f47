"""Seed the default inspection cadences and refresh the built-in roles (inspection permissions)."""

from django.db import migrations


def seed(apps, schema_editor):
    from zhufang.accounts.builtin_roles import ensure_builtin_roles
    from zhufang.inspections.defaults import ensure_default_rules

    ensure_default_rules(apps.get_model("inspections", "InspectionRule"))
    ensure_builtin_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial"), ("accounts", "0004_registry_permissions")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
