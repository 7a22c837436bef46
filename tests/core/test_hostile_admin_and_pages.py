"""Hostile query strings and form fields against every admin changelist, the member pages and
the API's GET endpoints: a clean page (200, the admin's ``?e=1`` redirect) or a 400, never a
500. The test client re-raises any exception a view lets escape, so a 500 fails here."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from core.input_guard import unsafe_character
from tests.factories.applications import ApplicationFactory
from tests.factories.core import HeadquartersStaffFactory
from tests.factories.eligibility import InsuredRecordFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"

#: Parameters every changelist is tried with (one at a time).
HOSTILE_PARAMS: list[dict[str, str]] = [
    {"reviewer": HUGE},
    {"branch": "99999999999999999999"},
    {"reviewer": "²"},
    {"branch": "-1"},
    {"q": HUGE},
    {"q": "ア" * 500},
    {"q": "%_\\'\""},
    {"o": "abc"},
    {"o": "999.-999"},
    {"o": HUGE},
    {"p": "abc"},
    {"p": HUGE},
    {"p": "-1"},
    {"id__exact": HUGE},
    {"pk": HUGE},
    {"branch__id__exact": HUGE},
    {"branch__exact": HUGE},
    {"groups__id__exact": HUGE},
    {"submitted_at__gte": "not-a-date"},
    {"created_at__gte": "9999-99-99"},
    {"_to_field": "password"},
]

#: Text refused at the edge: 400 with a Japanese message.
REFUSED_QUERY_STRINGS = ["q=%00", "q=a%01b", "o=%00", "p=%00", "reviewer=%00", "%00=1"]


def changelists() -> list[str]:
    return [
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model in admin.site._registry
        if model._meta.app_label not in ("auth", "authtoken")
    ]


@pytest.fixture
def superuser(db):
    return HeadquartersStaffFactory(username="root", is_superuser=True)


@pytest.fixture
def some_rows(db):
    ApplicationFactory()
    InsuredRecordFactory()


@pytest.mark.parametrize("url_name", changelists())
def test_changelists_answer_hostile_parameters_without_a_server_error(
    client, superuser, some_rows, url_name
) -> None:
    client.force_login(superuser)
    url = reverse(url_name)
    for params in HOSTILE_PARAMS:
        response = client.get(url, params)
        assert response.status_code in (200, 302, 400), (params, response.status_code)
        if response.status_code == 302:
            assert "e=1" in response.url or "login" not in response.url, params


@pytest.mark.parametrize("url_name", changelists())
def test_changelists_refuse_control_characters_with_a_japanese_page(
    client, superuser, url_name
) -> None:
    client.force_login(superuser)
    url = reverse(url_name)
    for query in REFUSED_QUERY_STRINGS:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, query
        assert "使用できない文字" in response.content.decode()


def test_broken_utf8_in_a_search_box_is_not_a_server_error(client, superuser) -> None:
    """%ED%A0%80 is a surrogate encoded as UTF-8: Django decodes it as U+FFFD."""
    client.force_login(superuser)
    url = reverse("admin:applications_application_changelist")
    response = client.get(f"{url}?q=%ED%A0%80")
    assert response.status_code == 200


def test_admin_reviewer_and_branch_filters_with_impossible_ids_match_nothing(
    client, superuser
) -> None:
    ApplicationFactory()
    client.force_login(superuser)
    url = reverse("admin:applications_application_changelist")
    for params in ({"reviewer": HUGE}, {"branch": "99999999999999999999"}, {"branch": "²"}):
        response = client.get(url, params)
        assert response.status_code == 200, params
        assert response.context["cl"].result_count == 0, params


def test_admin_post_with_nul_is_a_clean_400(client, superuser) -> None:
    client.force_login(superuser)
    response = client.post(reverse("admin:core_branch_changelist"), {"q": "a\x00"})
    assert response.status_code == 400
    assert "使用できない文字" in response.content.decode()


def test_nul_in_the_path_is_a_clean_400(client, superuser) -> None:
    client.force_login(superuser)
    response = client.get("/admin/core/branch/%00/change/")
    assert response.status_code == 400


# --- the API's GET endpoints and the member pages -----------------------------------------------


def api_get_urls() -> list[str]:
    return [
        reverse("api-me"),
        reverse("api-application-forms"),
        reverse("api-applications"),
        "/api/v1/eligibility/records/",
        "/api/v1/eligibility/lookup/",
    ]


API_PARAMS: list[dict[str, str]] = [
    {"cursor": "cD0A"},
    {"cursor": "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"},
    {"cursor": "!!"},
    {"page_size": HUGE},
    {"page_size": "-5"},
    {"kana": "ア" * 3, "cursor": "cD0A"},
    {"kana": "ア" * 3, "cursor": "cD3jgqIA"},  # p=ア\0
    {"symbol": HUGE, "number": HUGE},
    {"branch": HUGE, "kana": "アイ"},
    {"branch": "²", "kana": "アイ"},
    {"kana": "ア" * 5000},
]


@pytest.mark.parametrize("url", api_get_urls())
def test_api_get_endpoints_answer_hostile_parameters_with_4xx_or_200(url, superuser) -> None:
    from tests.applications.filing_support import insured_member

    member, _ = insured_member()
    for user in (member, superuser):
        client = APIClient()
        client.force_authenticate(user)
        for params in API_PARAMS:
            response = client.get(f"{url}?{urlencode(params)}")
            assert response.status_code < 500, (url, params)
            if response.status_code >= 400:
                assert {"detail", "errors"} <= set(response.json()), (url, params)
        for query in REFUSED_QUERY_STRINGS:
            response = client.get(f"{url}?{query}")
            assert response.status_code == 400, (url, query)
            assert "使用できない文字" in response.json()["detail"]


def test_member_pages_refuse_control_characters(client) -> None:
    from tests.applications.filing_support import insured_member

    member, _ = insured_member()
    client.force_login(member)
    for url in ("/applications/mine/", "/"):
        assert client.get(f"{url}?page={HUGE}").status_code in (200, 302, 404)
        assert client.get(f"{url}?page=%00").status_code == 400


def test_foreign_key_filter_with_an_out_of_range_id_matches_nothing() -> None:
    from core.models import User

    HeadquartersStaffFactory()
    assert User.objects.filter(branch=int(HUGE)).count() == 0
    assert User.objects.filter(branch__exact=-(2**70)).count() == 0
    assert User.objects.exclude(branch=int(HUGE)).count() == User.objects.count()


@pytest.mark.parametrize("url_name", changelists())
def test_admin_object_pages_with_impossible_ids_are_not_a_server_error(
    client, superuser, url_name
) -> None:
    client.force_login(superuser)
    base = reverse(url_name)
    for object_id in (HUGE, "-" + HUGE, "²", "１", "%E2%80%AE", "0"):
        for action in ("change", "delete", "history", "status", "assign"):
            response = client.get(f"{base}{object_id}/{action}/")
            assert response.status_code < 500, (object_id, action)
        response = client.post(f"{base}{object_id}/status/", {"to_status": "x"})
        assert response.status_code < 500, object_id


def test_member_and_api_detail_pages_with_impossible_ids_are_not_a_server_error(
    client, superuser
) -> None:
    from tests.applications.filing_support import insured_member

    member, _ = insured_member()
    client.force_login(member)
    for url in (f"/applications/mine/{HUGE}/", f"/applications/attachments/{HUGE}/"):
        assert client.get(url).status_code in (302, 403, 404), url
    api = APIClient()
    api.force_authenticate(member)
    for url in (
        f"/api/v1/applications/{HUGE}/",
        f"/api/v1/eligibility/records/{HUGE}/",
        "/api/v1/applications/forms/%00/",
        f"/api/v1/applications/forms/{'x' * 5000}/",
    ):
        response = api.get(url)
        assert response.status_code in (400, 404), url
        assert {"detail", "errors"} <= set(response.json()), url
    client.force_login(superuser)
    assert client.get(f"/admin/eligibility/importjob/{HUGE}/report/").status_code < 500


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=st.dictionaries(
        st.sampled_from(["kana", "symbol", "number", "branch_number", "branch", "cursor", "q"]),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
        max_size=4,
    )
)
def test_staff_lookup_answers_any_query_with_4xx_or_200(superuser, params) -> None:
    """Any text in any parameter (PostgreSQL refuses NUL in text): 400 exactly when a value
    holds a refused character, otherwise whatever the lookup decides, never a 500."""
    client = APIClient()
    client.force_authenticate(superuser)
    response = client.get(f"/api/v1/eligibility/lookup/?{urlencode(params)}")
    assert response.status_code in (200, 400), (params, response.status_code)
    if any(unsafe_character(value) for value in params.values()):
        assert response.status_code == 400
        assert "使用できない文字" in response.json()["detail"]
