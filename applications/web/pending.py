"""Attachments uploaded on the entry page but not yet submitted.

Each file is checked by content when it arrives (:func:`core.uploads.validate_upload`, the
same check as the API and the submission) and kept, cleaned, in the private storage under a
random name; the list lives in the applicant's session, per draft. On submission the files
are handed to the filing service and deleted here.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import asdict, dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest

from core.uploads import CleanUpload

SESSION_KEY = "site_pending_attachments"


@dataclass(frozen=True, slots=True)
class Pending:
    id: str
    code: str  # the form's attachment code
    name: str  # file name as the member sees it
    path: str  # private storage name
    content_type: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def _all(request: HttpRequest) -> dict[str, list[dict]]:
    return request.session.get(SESSION_KEY, {})


def pending_for(request: HttpRequest, draft_id: int) -> list[Pending]:
    return [Pending(**item) for item in _all(request).get(str(draft_id), [])]


def _save(request: HttpRequest, draft_id: int, items: list[Pending]) -> None:
    everything = dict(_all(request))
    if items:
        everything[str(draft_id)] = [asdict(item) for item in items]
    else:
        everything.pop(str(draft_id), None)
    request.session[SESSION_KEY] = everything


def add(request: HttpRequest, draft_id: int, code: str, upload: CleanUpload) -> Pending:
    name = default_storage.save(
        f"pending/{uuid.uuid4().hex}.{upload.extension}", ContentFile(upload.content)
    )
    item = Pending(uuid.uuid4().hex, code, upload.filename, name, upload.content_type)
    _save(request, draft_id, [*pending_for(request, draft_id), item])
    return item


def remove(request: HttpRequest, draft_id: int, item_id: str) -> None:
    items = pending_for(request, draft_id)
    for item in items:
        if item.id == item_id:
            with contextlib.suppress(OSError):
                default_storage.delete(item.path)
    _save(request, draft_id, [i for i in items if i.id != item_id])


def clear(request: HttpRequest, draft_id: int) -> None:
    for item in pending_for(request, draft_id):
        with contextlib.suppress(OSError):
            default_storage.delete(item.path)
    _save(request, draft_id, [])


def contents(request: HttpRequest, draft_id: int) -> list[tuple[str, str, bytes]]:
    """(attachment code, file name, bytes) for the filing service; missing files skipped."""
    out = []
    for item in pending_for(request, draft_id):
        try:
            with default_storage.open(item.path, "rb") as handle:
                out.append((item.code, item.name, handle.read()))
        except OSError:
            continue
    return out
