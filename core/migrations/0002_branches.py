"""Reference data: the 47 branches with their insurer numbers (01 + PP + 001 + check digit)."""

from django.db import migrations

from core.prefectures import PREFECTURES, branch_name


def _check_digit(first7: str) -> int:
    # MHLW 保険者番号設定要領: weights 2,1,2,1… from the right; digits of products summed.
    total = 0
    for i, ch in enumerate(reversed(first7)):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def create_branches(apps, schema_editor):
    Branch = apps.get_model("core", "Branch")
    for code, prefecture in PREFECTURES:
        first7 = f"01{code:02d}001"
        Branch.objects.update_or_create(
            code=code,
            defaults={
                "prefecture": prefecture,
                "name": branch_name(prefecture),
                "insurer_number": f"{first7}{_check_digit(first7)}",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_branches, migrations.RunPython.noop)]
