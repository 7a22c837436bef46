"""Check that every eligibility record refers to a branch, person, employer and insured
person's record that exist (the database does not check these; see EligibilityRecord).

python manage.py check_references

Exit status 1 when a reference is broken. One anti-join per reference over the whole table.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from eligibility.integrity import LABELS, dangling_references


class Command(BaseCommand):
    help = "資格情報の参照先（支部・加入者・事業所・被保険者）がすべて存在するか検査します。"

    def handle(self, *args: Any, **options: Any) -> None:
        counts = dangling_references()
        for name, count in counts.items():
            self.stdout.write(f"{LABELS[name]}: 参照先のない資格情報 {count:,} 件")
        broken = sum(counts.values())
        if broken:
            raise CommandError(f"参照先のない資格情報が延べ {broken:,} 件あります。")
        self.stdout.write(self.style.SUCCESS("すべての参照先が存在します。"))
