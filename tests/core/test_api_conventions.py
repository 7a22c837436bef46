"""REST conventions: authentication required, one error body shape, schema and docs."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories.core import PASSWORD, AttorneyFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_refused_with_the_common_error_body():
    response = APIClient().get(reverse("api-me"))
    assert response.status_code in (401, 403)
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"]


def test_validation_errors_map_fields_to_messages():
    response = APIClient().post(reverse("api-token"), {"username": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) >= {"username", "password"}
    assert all(isinstance(m, str) for msgs in body["errors"].values() for m in msgs)


def test_token_authentication_for_rest_clients():
    attorney = AttorneyFactory()
    client = APIClient()
    token = client.post(
        reverse("api-token"), {"username": attorney.username, "password": PASSWORD}
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(reverse("api-me")).json()
    assert me["username"] == attorney.username
    assert me["kind"] == "attorney"


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_openapi_schema_validates_without_warnings():
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "openapi: 3" in out.getvalue()
