"""The API speaks Japanese (English with Accept-Language: en): schema texts and DRF's own errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import reverse
from django.utils import translation
from rest_framework import exceptions
from rest_framework.test import APIClient, APIRequestFactory

from core.api.authentication import CSRF_FAILED_MESSAGE
from core.api.errors import exception_handler
from tests.factories.core import AttorneyFactory, MemberUserFactory

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _texts(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Every non-empty description / summary / title in the schema, with where it is."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}/{key}"
            if key in ("description", "summary", "title") and isinstance(value, str) and value:
                found.append((here, value))
            found += _texts(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _texts(value, f"{path}/{i}")
    return found


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))


def test_no_schema_text_is_left_in_english(schema):
    english = [(where, text) for where, text in _texts(schema) if not JAPANESE.search(text)]
    assert english == []


def test_token_endpoint_is_documented_in_japanese(schema):
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert JAPANESE.search(operation["summary"]) and JAPANESE.search(operation["description"])
    components = schema["components"]["schemas"]
    for component, field in [
        ("AuthTokenRequest", "username"),
        ("AuthTokenRequest", "password"),
        ("AuthToken", "token"),
    ]:
        prop = components[component]["properties"][field]
        assert JAPANESE.search(prop["description"]), (component, field)
        assert JAPANESE.search(prop["title"]), (component, field)
    for name in ("tokenAuth", "cookieAuth"):
        assert JAPANESE.search(schema["components"]["securitySchemes"][name]["description"])


def test_pagination_parameters_and_components_are_described_in_japanese(schema):
    parameters = {
        p["name"]: p["description"]
        for p in schema["paths"]["/api/v1/applications/"]["get"]["parameters"]
    }
    assert JAPANESE.search(parameters["cursor"]) and JAPANESE.search(parameters["page_size"])
    components = schema["components"]["schemas"]
    for name in ("FilingInputRequest", "ApplicationDetail", "Form", "MemberRecord", "Me"):
        assert JAPANESE.search(components[name]["description"]), name


@pytest.mark.django_db
def test_served_schema_follows_accept_language(client):
    def cursor_description(**headers: str) -> str:
        body = client.get(
            reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json", **headers
        ).json()
        params = body["paths"]["/api/v1/applications/"]["get"]["parameters"]
        return next(p["description"] for p in params if p["name"] == "cursor")

    assert JAPANESE.search(cursor_description())
    assert cursor_description(HTTP_ACCEPT_LANGUAGE="en").startswith("Position of the next")


# --- errors ------------------------------------------------------------------------------


def _detail(response, status: int) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    return body["detail"]


def _csrf_failure(**headers: str):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(MemberUserFactory())
    return client.post(reverse("api-me"), {}, format="json", **headers)


@pytest.mark.django_db
def test_csrf_failure_is_japanese_by_default_and_english_on_request():
    ja = _detail(_csrf_failure(), 403)
    assert "CSRF トークン" in ja and "CSRF Failed" not in ja
    en = _detail(_csrf_failure(HTTP_ACCEPT_LANGUAGE="en"), 403)
    assert en.startswith("The CSRF token is missing or not valid.")


def _requests() -> dict[str, tuple[int, Any]]:
    """DRF's own refusals, each from a real request: code → (status, call)."""

    def not_authenticated(**h):
        return APIClient().get(reverse("api-me"), **h)

    def authentication_failed(**h):
        return APIClient().get(reverse("api-me"), HTTP_AUTHORIZATION="Token nope", **h)

    def method_not_allowed(**h):
        client = APIClient()
        client.force_authenticate(AttorneyFactory())
        return client.delete(reverse("api-me"), **h)

    def unsupported_media_type(**h):
        return APIClient().post(reverse("api-token"), data="x", content_type="text/csv", **h)

    def not_acceptable(**h):
        return APIClient().get(reverse("api-me"), HTTP_ACCEPT="application/xml", **h)

    return {
        "not_authenticated": (401, not_authenticated),
        "authentication_failed": (401, authentication_failed),
        "method_not_allowed": (405, method_not_allowed),
        "unsupported_media_type": (415, unsupported_media_type),
        "not_acceptable": (406, not_acceptable),
    }


ENGLISH_START = {
    "not_authenticated": "You are not signed in.",
    "authentication_failed": "Authentication failed.",
    "method_not_allowed": "DELETE is not allowed on this URL.",
    "unsupported_media_type": "The format text/csv is not supported.",
    "not_acceptable": "Cannot answer in the format of the Accept header.",
}


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(ENGLISH_START))
def test_drf_refusals_are_japanese_by_default_and_english_on_request(code):
    status, call = _requests()[code]
    ja = _detail(call(), status)
    assert JAPANESE.search(ja), ja
    en = _detail(call(HTTP_ACCEPT_LANGUAGE="en"), status)
    assert en.startswith(ENGLISH_START[code]), en


def _handled(exc: Exception, language: str) -> str:
    request = APIRequestFactory().get("/api/v1/me/")
    with translation.override(language):
        response = exception_handler(exc, {"request": request, "view": None})
    assert response is not None
    return response.data["detail"]


@pytest.mark.parametrize(
    ("make", "japanese", "english"),
    [
        (lambda: exceptions.Throttled(wait=12), "12 秒後", "Please try again in 12 seconds."),
        (lambda: exceptions.Throttled(), "しばらくして", "Please try again in a moment."),
        (exceptions.PermissionDenied, "権限がありません", "You do not have permission to do this."),
        (DjangoPermissionDenied, "権限がありません", "You do not have permission to do this."),
        (
            lambda: exceptions.ParseError("JSON parse error - Expecting value"),
            "解釈できません",
            "The request cannot be read.",
        ),
        (exceptions.ParseError, "解釈できません", "The request cannot be read."),
        (exceptions.NotFound, "見つかりません", "Not found."),
    ],
)
def test_other_drf_defaults_are_japanese_and_english(make, japanese, english):
    # Raised inside the language, as DRF does within a request.
    with translation.override("ja"):
        exc = make()
    assert japanese in _handled(exc, "ja")
    with translation.override("en"):
        exc = make()
    assert english in _handled(exc, "en")


def test_the_project_s_own_messages_are_kept():
    for exc in (
        exceptions.PermissionDenied("受付時間外です。平日8時から21時に申請してください。"),
        exceptions.ParseError("送信された項目またはファイルの数が多すぎます。"),
        exceptions.NotFound("その申請はありません。"),
    ):
        assert _handled(exc, "ja") == str(exc.detail)


def test_a_project_message_in_english_is_not_taken_for_drf_s():
    with translation.override("en"):
        exc = exceptions.PermissionDenied(CSRF_FAILED_MESSAGE)
        message = str(CSRF_FAILED_MESSAGE)
    assert message.startswith("The CSRF token")
    assert _handled(exc, "en") == message
