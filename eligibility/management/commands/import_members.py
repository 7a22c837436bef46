"""Import members (加入者) from a CSV file.

python manage.py import_members members.csv --mode good_rows --report errors.csv

Columns: see eligibility.imports.columns. Exit status 1 when the file is rejected.
"""

from eligibility.imports.command import ImportCommand
from eligibility.models import ImportJob


class Command(ImportCommand):
    help = "加入者（被保険者・被扶養者・任意継続）をCSVファイルから取り込みます。"
    kind = ImportJob.Kind.MEMBERS
    unit = "人"
