"""Storing a submission's checked attachments in the private storage (random names), and
removing them again when the transaction fails."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from applications.models import Application, ApplicationAttachment
from core.jp.calendar import JST
from core.uploads import CleanUpload


def _store(upload: CleanUpload, now: datetime, written: list[str]) -> str:
    """Save to the default (private) storage under a random name that reveals nothing."""
    local = now.astimezone(JST)
    name = f"applications/{local:%Y/%m}/{uuid.uuid4().hex}.{upload.extension}"
    saved = default_storage.save(name, ContentFile(upload.content))
    written.append(saved)
    return saved


def _delete(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):  # best effort; the name is random
            default_storage.delete(name)


def _attachment_row(
    application: Application, kind: str, upload: CleanUpload, name: str
) -> ApplicationAttachment:
    row = ApplicationAttachment(
        application=application,
        kind=kind,
        original_filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        width=upload.width,
        height=upload.height,
        pages=upload.pages,
    )
    row.file.name = name
    return row
