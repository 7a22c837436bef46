"""Sign-in: password lock-out, members only through the identity provider, dev sign-in."""

from urllib.parse import urlencode

import pytest
from django.contrib.auth import authenticate
from django.core import signing
from django.urls import reverse

from core.auth.backends import MEMBER_ASSERTION_SALT, sign_member_assertion
from tests.factories.core import (
    PASSWORD,
    AttorneyFactory,
    HeadquartersStaffFactory,
    MemberUserFactory,
)

pytestmark = pytest.mark.django_db


def test_attorney_signs_in_with_password():
    attorney = AttorneyFactory()
    assert authenticate(username=attorney.username, password=PASSWORD) == attorney


def test_attorney_is_locked_out_after_repeated_failures(settings):
    settings.LOGIN_MAX_FAILURES = 3
    attorney = AttorneyFactory()
    for _ in range(3):
        assert authenticate(username=attorney.username, password="wrong") is None
    attorney.refresh_from_db()
    assert attorney.is_locked()
    # even the right password is refused while locked
    assert authenticate(username=attorney.username, password=PASSWORD) is None


def test_success_resets_the_failure_count(settings):
    settings.LOGIN_MAX_FAILURES = 3
    attorney = AttorneyFactory()
    authenticate(username=attorney.username, password="wrong")
    authenticate(username=attorney.username, password="wrong")
    assert authenticate(username=attorney.username, password=PASSWORD) == attorney
    authenticate(username=attorney.username, password="wrong")
    attorney.refresh_from_db()
    assert not attorney.is_locked()
    assert attorney.failed_login_count == 1


def test_token_endpoint_uses_the_lockout(client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    attorney = AttorneyFactory()
    url = reverse("api-token")
    for _ in range(2):
        assert client.post(url, {"username": attorney.username, "password": "x"}).status_code == 400
    response = client.post(url, {"username": attorney.username, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["errors"]


def test_member_has_no_password_sign_in():
    member = MemberUserFactory()
    member.set_password("known")
    member.save()
    assert authenticate(username=member.username, password="known") is None


def test_member_signs_in_with_identity_provider_assertion():
    member = MemberUserFactory()
    assert authenticate(member_assertion=sign_member_assertion(member.pk)) == member


def test_forged_or_foreign_assertion_is_refused():
    member = MemberUserFactory()
    forged = signing.dumps({"sub": member.pk}, key="other-secret", salt=MEMBER_ASSERTION_SALT)
    assert authenticate(member_assertion=forged) is None
    staff_assertion = sign_member_assertion(AttorneyFactory().pk)
    assert authenticate(member_assertion=staff_assertion) is None


def test_expired_assertion_is_refused(settings):
    member = MemberUserFactory()
    assertion = sign_member_assertion(member.pk)
    settings.MEMBER_IDP_MAX_AGE_SECONDS = -1
    assert authenticate(member_assertion=assertion) is None


def test_dev_member_signin_is_refused_outside_development(client):
    member = MemberUserFactory()
    url = reverse("dev-member-signin")
    assert client.get(url).status_code == 404
    assert client.post(url, {"user_id": member.pk}).status_code == 404


def test_dev_member_signin_in_development(client, settings):
    settings.DEV_MEMBER_SIGNIN = True
    member = MemberUserFactory(last_name="協会")
    response = client.post(reverse("dev-member-signin"), {"user_id": member.pk})
    assert response.status_code == 302
    assert client.get(reverse("api-me")).json()["kind"] == "member"


OFFSITE_NEXT = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "///evil.example/phish",
    "/\\evil.example/phish",
    "\\\\evil.example/phish",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example/phish",
]


@pytest.mark.parametrize("target", OFFSITE_NEXT)
def test_member_signin_never_redirects_off_site(client, settings, target):
    """The development sign-in and the identity provider's callback share the redirect."""
    settings.DEV_MEMBER_SIGNIN = True
    member = MemberUserFactory()
    dev = client.post(
        f"{reverse('dev-member-signin')}?{urlencode({'next': target})}", {"user_id": member.pk}
    )
    assert dev.status_code == 302
    assert dev["Location"] == reverse("member-home")
    client.logout()
    callback = client.get(
        reverse("member-idp-callback"),
        {"assertion": sign_member_assertion(member.pk), "next": target},
    )
    assert callback.status_code == 302
    assert callback["Location"] == reverse("member-home")


def test_member_signin_follows_next_within_the_site(client):
    member = MemberUserFactory()
    mine = reverse("applications:member-list")
    response = client.get(
        reverse("member-idp-callback"),
        {"assertion": sign_member_assertion(member.pk), "next": mine},
    )
    assert response["Location"] == mine
    client.logout()
    over_https = client.get(
        reverse("member-idp-callback"),
        {"assertion": sign_member_assertion(member.pk), "next": f"http://testserver{mine}"},
        secure=True,
    )
    assert over_https["Location"] == reverse("member-home")  # no downgrade to http


@pytest.mark.parametrize("target", OFFSITE_NEXT[:2])
def test_admin_login_never_redirects_off_site(client, target):
    staff = HeadquartersStaffFactory()
    response = client.post(
        f"/admin/login/?{urlencode({'next': target})}",
        {"username": staff.username, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize("user_id", ["abc", "", "1.5", "-1", "99999999999999999999999", "0x10"])
def test_dev_member_signin_answers_bad_input_with_a_clean_page(client, settings, user_id):
    settings.DEV_MEMBER_SIGNIN = True
    MemberUserFactory()
    response = client.post(reverse("dev-member-signin"), {"user_id": user_id})
    assert response.status_code == 400
    body = response.content.decode()
    assert "一覧から" in body
    assert "_auth_user_id" not in client.session


def test_dev_member_signin_refuses_staff_accounts(client, settings):
    settings.DEV_MEMBER_SIGNIN = True
    staff = HeadquartersStaffFactory()
    response = client.post(reverse("dev-member-signin"), {"user_id": staff.pk})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('["a", "b"]', "application/json"),
        ('{"username": ["a"], "password": {"x": 1}}', "application/json"),
        ('{"username": "a\\u0000b", "password": "x"}', "application/json"),
        ('{"username": null, "password": null}', "application/json"),
        ('{"username": "' + "a" * 5000 + '", "password": "x"}', "application/json"),
        ("{not json", "application/json"),
        ("username=%00&password=x", "application/x-www-form-urlencoded"),
    ],
)
def test_token_endpoint_answers_any_input_with_a_4xx(client, body, content_type):
    response = client.post(reverse("api-token"), body, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


@pytest.mark.parametrize("username", ["a\x00b", "a" * 5000, ""])
def test_admin_login_answers_any_input_with_a_page(client, username):
    response = client.post("/admin/login/", {"username": username, "password": "x"})
    # The login form, or the text guard's page for control characters: never a 5xx.
    assert response.status_code == (400 if "\x00" in username else 200)
    assert "text/html" in response["Content-Type"]
    assert "_auth_user_id" not in client.session
