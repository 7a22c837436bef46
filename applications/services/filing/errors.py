"""The filing errors: refused (403), service closed (403 with Retry-After), conflict (409)."""

from __future__ import annotations

from datetime import datetime

from django.utils.http import http_date

from core.errors import Conflict, NotAllowed, ServiceError


class FilingNotAllowed(NotAllowed):
    """This user may not file this form with this record; ``message`` is for the user."""

    code = "filing_not_allowed"


class ServiceClosed(ServiceError):
    """Submitted outside the service hours; ``message`` says when filing reopens.

    403, not 423 nor 503: the request is understood and refused by a rule of the current
    time; ``Retry-After`` says when to come back (applications.api.views explains)."""

    code = "service_closed"
    status = 403

    def __init__(self, *, message: str, reopens_at: datetime) -> None:
        super().__init__(message)
        self.reopens_at = reopens_at

    def headers(self) -> dict[str, str]:
        return {"Retry-After": http_date(self.reopens_at.timestamp())}


class FilingConflict(Conflict):
    """The request contradicts what is stored (a draft already submitted, a key reused for
    another form); ``message`` is for the user."""

    code = "filing_conflict"
