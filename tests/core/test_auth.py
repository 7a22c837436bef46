"""Sign-in: password lock-out, members only through the identity provider, dev sign-in."""

import pytest
from django.contrib.auth import authenticate
from django.core import signing
from django.urls import reverse

from core.auth.backends import MEMBER_ASSERTION_SALT, sign_member_assertion
from tests.factories.core import PASSWORD, AttorneyFactory, MemberUserFactory

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
