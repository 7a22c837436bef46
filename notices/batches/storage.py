"""The storage of the batches' outputs: a key of ``STORAGES`` named by ``NOTICE_STORAGE``
(the filesystem by default; an S3-compatible store through django-storages shares one batch
between several worker machines)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages


def batch_storage() -> Storage:
    return storages[settings.NOTICE_STORAGE]
