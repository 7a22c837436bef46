"""Import employers (事業所) from a CSV file.

python manage.py import_employers employers.csv --mode all_or_nothing --report errors.csv

Columns: see eligibility.imports.columns. Exit status 1 when the file is rejected.
"""

from eligibility.imports.command import ImportCommand
from eligibility.models import ImportJob


class Command(ImportCommand):
    help = "事業所をCSVファイルから取り込みます。"
    kind = ImportJob.Kind.EMPLOYERS
    unit = "件"
