"""The project error type reaches the API as one body with its status."""

from __future__ import annotations

import pytest
from rest_framework.test import APIRequestFactory

from core.api.errors import exception_handler
from core.errors import Conflict, NotAllowed, ServiceError


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ServiceError("入力を確認してください。"), 400, "error"),
        (NotAllowed("権限がありません。"), 403, "not_allowed"),
        (Conflict("すでに変更されています。"), 409, "conflict"),
        (ServiceError("閉局中です。", code="closed", status=503), 503, "closed"),
    ],
)
def test_service_error_maps_to_its_status_and_body(error, status, code):
    request = APIRequestFactory().get("/")
    response = exception_handler(error, {"request": request})
    assert response is not None
    assert response.status_code == status
    assert response.data == {"detail": error.message, "code": code, "errors": {}}


def test_field_errors_travel_in_the_body():
    error = ServiceError(
        "入力に誤りがあります。", field_errors={"kana": ["カナで入力してください。"]}
    )
    response = exception_handler(error, {"request": APIRequestFactory().get("/")})
    assert response.data["errors"] == {"kana": ["カナで入力してください。"]}


def test_a_subclass_instance_can_override_code_without_touching_the_class():
    NotAllowed("a", code="other")
    assert NotAllowed("b").code == "not_allowed"
