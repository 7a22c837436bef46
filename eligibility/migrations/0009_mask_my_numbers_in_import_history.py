"""What earlier imports left with full My Numbers: the uploaded files of finished jobs are
deleted, and the jobs' messages, file names and error reports are masked (a file without
its header row had its first data row echoed into the message and the report)."""

import csv
import io

from django.db import migrations

FINISHED = ("succeeded", "failed", "rejected")


def forwards(apps, schema_editor):
    from core.personal_ids import mask_my_numbers

    ImportJob = apps.get_model("eligibility", "ImportJob")
    for job in ImportJob.objects.iterator():
        fields = []
        for name in ("message", "original_name"):
            value = getattr(job, name)
            if mask_my_numbers(value) != value:
                setattr(job, name, mask_my_numbers(value))
                fields.append(name)
        if job.status in FINISHED and job.file:
            job.file.storage.delete(job.file.name)
            job.file = ""
            fields.append("file")
        if job.error_report and job.error_report.storage.exists(job.error_report.name):
            name = _mask_report(job.error_report, mask_my_numbers)
            if name != job.error_report.name:
                job.error_report = name
                fields.append("error_report")
        if fields:
            job.save(update_fields=fields)


def _mask_report(field_file, mask):
    """The report rewritten with every cell masked; returns its (new) name."""
    from django.core.files.base import ContentFile

    storage, name = field_file.storage, field_file.name
    with storage.open(name, "rb") as stream:
        text = stream.read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    masked = [[mask(cell) for cell in row] for row in rows]
    if masked == rows:
        return name
    out = io.StringIO()
    csv.writer(out).writerows(masked)
    storage.delete(name)
    return storage.save(name, ContentFile(out.getvalue().encode("utf-8-sig")))


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0008_records_references_checked_by_writers"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
