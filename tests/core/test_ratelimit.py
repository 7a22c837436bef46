"""Sign-in rate limits: per account and per client address, on every sign-in path, 429 with
a Japanese message and Retry-After that say nothing about the account."""

from __future__ import annotations

import re
import uuid

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core.auth.ratelimit import address_key
from tests.factories.core import PASSWORD, AttorneyFactory, HeadquartersStaffFactory

pytestmark = pytest.mark.django_db
TOKEN = reverse("api-token")
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def limits(settings):
    """Small limits: 3 attempts per account, 5 per address, in 5 minutes."""
    settings.LOGIN_RATE_PER_ACCOUNT = "3/5m"
    settings.LOGIN_RATE_PER_ADDRESS = "5/5m"
    return settings


def token(client, username, password="wrong", address="192.0.2.1"):
    return client.post(TOKEN, {"username": username, "password": password}, REMOTE_ADDR=address)


def assert_too_many(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 300
    text = response.json()["detail"] if "json" in response["Content-Type"] else ""
    text = text or response.content.decode()
    assert "ログインの試行回数が上限に達しました" in text
    assert "分ほど待ってから" in text


def test_token_endpoint_limits_attempts_per_account(client, limits):
    attorney = AttorneyFactory()
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        assert token(client, attorney.username, address=address).status_code == 400
    limited = token(client, attorney.username, PASSWORD, address="192.0.2.4")
    assert_too_many(limited)
    assert not Token.objects.filter(user=attorney).exists()
    # another account from the same address is not affected
    other = AttorneyFactory()
    assert token(client, other.username, PASSWORD, address="192.0.2.4").status_code == 200


def test_token_endpoint_limits_attempts_per_address(client, limits):
    for n in range(5):
        assert token(client, f"nobody{n}").status_code == 400
    assert_too_many(token(client, "nobody-else"))
    attorney = AttorneyFactory()
    assert token(client, attorney.username, PASSWORD, address="198.51.100.7").status_code == 200


def test_limited_answers_are_the_same_whatever_the_account(client, limits):
    attorney = AttorneyFactory()
    for _ in range(3):
        token(client, attorney.username, address="192.0.2.1")
        token(client, "no-such-user", address="192.0.2.2")
    known = token(client, attorney.username, address="192.0.2.3")
    unknown = token(client, "no-such-user", address="192.0.2.3")
    assert_too_many(known)
    assert_too_many(unknown)
    # Only the wait differs (each name's window ends at its own moment), never the wording.
    assert re.sub(r"\d+", "N", known.json()["detail"]) == re.sub(
        r"\d+", "N", unknown.json()["detail"]
    )


def test_account_names_are_counted_case_folded(client, limits):
    for name in ("Sharoushi", "SHAROUSHI", "sharoushi "):
        token(client, name, address="192.0.2.9")
    assert_too_many(token(client, "sharoushi", address="192.0.2.10"))


def test_admin_login_is_limited_and_shares_the_budget_with_the_token(client, limits):
    staff = HeadquartersStaffFactory()
    for _ in range(2):
        token(client, staff.username)
    assert client.get(ADMIN_LOGIN).status_code == 200  # showing the form counts nothing
    response = client.post(ADMIN_LOGIN, {"username": staff.username, "password": "wrong"})
    assert response.status_code == 200  # the third attempt: the form with its error
    limited = client.post(ADMIN_LOGIN, {"username": staff.username, "password": PASSWORD})
    assert_too_many(limited)
    assert "_auth_user_id" not in client.session


def test_development_member_signin_is_limited_per_address(client, limits):
    limits.DEV_MEMBER_SIGNIN = True
    for _ in range(5):
        client.post(reverse("dev-member-signin"), {"user_id": "abc"}, REMOTE_ADDR="192.0.2.5")
    limited = client.post(reverse("dev-member-signin"), {"user_id": "1"}, REMOTE_ADDR="192.0.2.5")
    assert_too_many(limited)


def test_ipv6_clients_are_counted_by_their_64_network():
    class Request:
        def __init__(self, address):
            self.META = {"REMOTE_ADDR": address}

    assert address_key(Request("2001:db8:1:2::1")) == address_key(Request("2001:db8:1:2:ffff::9"))
    assert address_key(Request("2001:db8:1:2::1")) != address_key(Request("2001:db8:1:3::1"))
    assert address_key(Request("192.0.2.1")) != address_key(Request("192.0.2.2"))


def test_empty_rates_turn_the_limits_off(client, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = None
    settings.LOGIN_RATE_PER_ADDRESS = None
    attorney = AttorneyFactory()
    settings.LOGIN_MAX_FAILURES = 100
    for _ in range(60):
        assert token(client, attorney.username).status_code == 400


def test_default_limits_are_set():
    assert django_settings.LOGIN_RATE_PER_ACCOUNT == "10/5m"
    assert django_settings.LOGIN_RATE_PER_ADDRESS == "50/5m"


def test_an_unreachable_cache_does_not_stop_sign_in(client, limits):
    limits.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    attorney = AttorneyFactory()
    assert token(client, attorney.username, PASSWORD).status_code == 200


@pytest.mark.postgres
def test_limits_are_counted_in_redis(client, limits):
    """The production cache: Django's RedisCache, shared by every web process."""
    if not django_settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs the PostgreSQL + Redis lane")
    limits.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
            # Keys of their own, expiring with their window: the broker's data is untouched.
            "KEY_PREFIX": f"test-ratelimit-{uuid.uuid4().hex}",
        }
    }
    attorney = AttorneyFactory()
    for _ in range(3):
        assert token(client, attorney.username).status_code == 400
    assert_too_many(token(client, attorney.username, PASSWORD))


def test_behind_the_proxy_clients_are_counted_by_their_forwarded_address(client, limits):
    limits.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for n in range(5):
        client.post(
            TOKEN,
            {"username": f"nobody{n}", "password": "x"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
    # what the client writes into the header itself does not get it a fresh count
    forged = client.post(
        TOKEN,
        {"username": "nobody-else", "password": "x"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5",
    )
    assert_too_many(forged)
    other_client = client.post(
        TOKEN,
        {"username": "nobody-else", "password": "x"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.6",
    )
    assert other_client.status_code == 400
