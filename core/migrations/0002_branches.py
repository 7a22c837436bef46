"""Reference data: the 47 branches with their insurer numbers (01 + PP + 001 + check digit)."""

from django.db import migrations

from core.reference_data import ensure_branches


def create_branches(apps, schema_editor):
    ensure_branches(apps.get_model("core", "Branch"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_branches, migrations.RunPython.noop)]
