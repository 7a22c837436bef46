"""Content-Security-Policy and Cache-Control on the admin, member pages, the API and its docs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories.applications import ApplicationFactory
from tests.factories.core import PASSWORD, MemberUserFactory

pytestmark = pytest.mark.django_db


def _cache_control(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.fixture
def member_client(client):
    member = MemberUserFactory()
    ApplicationFactory(applicant=member)
    client.force_login(member)
    return client


def _html_pages(client, member_client, reviewer):
    yield "admin login", client.get("/admin/login/")
    yield "member list", member_client.get(reverse("applications:member-list"))
    yield "API docs", client.get(reverse("api-docs"))
    client.login(username=reviewer.username, password=PASSWORD)
    yield "admin index", client.get("/admin/")
    yield "admin changelist", client.get("/admin/applications/application/")


def test_every_html_page_has_a_policy_without_inline_scripts_or_styles(
    client, member_client, reviewer
):
    for name, response in _html_pages(client, member_client, reviewer):
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/html"), name
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"], name
        assert policy["script-src"] == ["'self'"], name
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], name
        body = response.content.decode()
        assert "<script>" not in body and 'style="' not in body and "<style" not in body, name


def test_the_api_docs_init_script_is_served_as_a_file(client):
    page = client.get(reverse("api-docs")).content.decode()
    assert '<script src="/api/docs/?script=' in page
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_personal_data_is_never_stored_by_a_cache(client, member_client, reviewer):
    for name, response in _html_pages(client, member_client, reviewer):
        assert {"no-store", "private"} <= _cache_control(response), name
    token = Token.objects.create(user=MemberUserFactory())
    for url in (reverse("api-me"), reverse("api-eligibility-records"), reverse("api-applications")):
        response = client.get(url, HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 200, url
        assert {"no-store", "private"} <= _cache_control(response), url
    # An error answer of the API, too (it can echo what was asked).
    assert "no-store" in _cache_control(client.get(reverse("api-me")))


def test_a_view_s_own_caching_is_kept_and_no_store_added(member_client):
    # member_list is @never_cache: its directives stay, no-store is there once.
    response = member_client.get(reverse("applications:member-list"))
    assert _cache_control(response) == {
        "max-age=0",
        "no-cache",
        "no-store",
        "must-revalidate",
        "private",
    }


def test_public_caching_set_by_a_view_cannot_reach_personal_data(rf):
    from django.http import HttpResponse

    from core.cache_headers import NoStoreMiddleware

    def view(request):
        response = HttpResponse("記号・番号")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    response = NoStoreMiddleware(view)(rf.get("/api/v1/me/"))
    assert "public" not in _cache_control(response)
    assert {"no-store", "private"} <= _cache_control(response)


def test_the_public_home_page_stays_cacheable_for_anonymous_visitors(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Content-Security-Policy" in response


def test_signed_in_pages_outside_the_known_prefixes_are_not_stored(member_client):
    assert "no-store" in _cache_control(member_client.get(reverse("home")))


def test_attachment_downloads_are_not_stored(client, reviewer):
    from tests.applications.test_review_admin import attach

    attachment = attach(ApplicationFactory())
    client.force_login(reviewer)
    response = client.get(reverse("applications:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert {"no-store", "private"} <= _cache_control(response)


def test_the_staff_lookup_is_not_stored(client, reviewer):
    token = Token.objects.create(user=reviewer)
    response = client.get(
        reverse("api-eligibility-lookup"),
        {"kana": "キョウカイ"},
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 200
    assert {"no-store", "private"} <= _cache_control(response)
