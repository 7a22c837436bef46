"""One way to fail: every service error is a core.errors.ServiceError, with its HTTP status,
mapped once for the API and once for the admin (a message, never a 500)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from applications.forms_catalogue import FormDataError
from applications.services import review
from applications.services.filing import FilingConflict, FilingNotAllowed, ServiceClosed
from core.api.errors import exception_handler
from core.errors import Conflict, NotAllowed, ServiceError
from core.middleware import AdminServiceErrorMiddleware
from core.uploads import UploadError
from eligibility.imports.references import ReferenceGone

REOPENS = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (review.ReviewError("x"), 400, "review_error"),
        (review.NotAllowedError("x"), 403, "not_allowed"),
        (review.TransitionError("x"), 409, "transition"),
        (review.CommentRequiredError("x"), 400, "comment_required"),
        (review.ConflictError("x"), 409, "conflict"),
        (review.InvalidReviewerError("x"), 400, "invalid_reviewer"),
        (FilingNotAllowed("x"), 403, "filing_not_allowed"),
        (ServiceClosed(message="x", reopens_at=REOPENS), 403, "service_closed"),
        (FilingConflict("x"), 409, "filing_conflict"),
        (FormDataError({"data.name": ["x"]}), 400, "invalid"),
        (UploadError("corrupt", "x"), 400, "corrupt"),
        (ReferenceGone("加入者", [2, 3]), 409, "reference_gone"),
    ],
)
def test_each_service_error_is_one_type_with_its_status(error, status, code):
    assert isinstance(error, ServiceError)
    assert (error.status, error.code) == (status, code)
    response = exception_handler(error, {})
    assert response is not None
    assert response.status_code == status
    assert response.data["detail"] == error.message
    assert set(response.data) >= {"detail", "errors"}


def test_the_two_conflicts_are_one_class():
    assert issubclass(review.ConflictError, Conflict)
    assert issubclass(FilingConflict, Conflict)
    assert issubclass(review.NotAllowedError, NotAllowed)
    assert issubclass(FilingNotAllowed, NotAllowed)


def test_service_closed_says_when_to_retry():
    response = exception_handler(ServiceClosed(message="x", reopens_at=REOPENS), {})
    assert response["Retry-After"] == "Mon, 05 Jan 2026 08:00:00 GMT"


def test_form_data_error_keeps_its_fields_in_the_body():
    response = exception_handler(FormDataError({"data.name": ["氏名を入力してください。"]}), {})
    assert response.data["errors"] == {"data.name": ["氏名を入力してください。"]}


def _admin_request(method: str, path: str, **extra):
    request = getattr(RequestFactory(), method)(path, **extra)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.parametrize("method", ["get", "post"])
def test_admin_shows_an_uncaught_service_error_as_a_message(method):
    middleware = AdminServiceErrorMiddleware(lambda request: None)
    request = _admin_request(method, "/admin/eligibility/person/1/change/")
    response = middleware.process_exception(request, Conflict("他の職員が変更しました。"))
    assert response is not None and response.status_code == 302
    assert [m.message for m in get_messages(request)] == ["他の職員が変更しました。"]


def test_admin_mapping_leaves_the_api_and_other_errors_alone():
    middleware = AdminServiceErrorMiddleware(lambda request: None)
    api = _admin_request("get", "/api/v1/applications/")
    assert middleware.process_exception(api, Conflict("x")) is None
    admin_page = _admin_request("get", "/admin/")
    assert middleware.process_exception(admin_page, ValueError("x")) is None
