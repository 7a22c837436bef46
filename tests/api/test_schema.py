"""The OpenAPI schema: committed in docs/openapi.yaml, and documenting every error answered."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories.core import HeadquartersStaffFactory

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    return out.read_text(encoding="utf-8")


def test_committed_schema_is_the_code_s_schema(generated):
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        "docs/openapi.yaml is out of date: DJANGO_SETTINGS_MODULE=config.settings.test "
        ".venv/bin/python manage.py spectacular --file docs/openapi.yaml"
    )


def test_every_operation_documents_its_errors_with_the_common_body(generated):
    schema = yaml.safe_load(generated)
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"400", "401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            for code, response in responses.items():
                if code.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == error


def test_headquarters_staff_branch_name_is_null_as_documented(db, generated):
    me_schema = yaml.safe_load(generated)["components"]["schemas"]["Me"]
    assert me_schema["properties"]["branch_name"]["nullable"] is True
    client = APIClient()
    client.force_authenticate(HeadquartersStaffFactory())
    assert client.get("/api/v1/me/").json()["branch_name"] is None


@pytest.mark.django_db
def test_an_api_url_that_matches_no_route_answers_json_404(client):
    response = client.get("/api/v1/applications/null,null/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "見つかりません。", "errors": {}}


@pytest.mark.django_db
def test_other_unknown_pages_keep_django_s_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_request_django_refuses_under_api_answers_json_400(client):
    response = client.get("/api/v1/me/", HTTP_HOST="bad host!")  # DisallowedHost
    assert response.status_code == 400
    assert response.json() == {"detail": "リクエストの形式が正しくありません。", "errors": {}}
    assert client.get("/", HTTP_HOST="bad host!")["Content-Type"].startswith("text/html")


def test_a_view_declares_the_errors_the_generator_cannot_see(generated):
    # The sign-in rate limit is not a DRF throttle: TokenView lists its 429 itself.
    responses = yaml.safe_load(generated)["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert responses["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
