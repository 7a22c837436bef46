"""Password lock-out under concurrent requests: failures are counted by the database, and a
request that read the account before a lock can neither clear the lock nor sign in."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.auth.lockout import register_failed_login, register_successful_login
from core.models import User
from tests.factories.core import PASSWORD, AttorneyFactory


class SlowMD5PasswordHasher(MD5PasswordHasher):
    """Takes a while to verify, like a real password hash, so that concurrent sign-ins
    overlap the way they do in production (the test hasher is otherwise instant)."""

    def verify(self, password: str, encoded: str) -> bool:
        time.sleep(0.05)
        return super().verify(password, encoded)


def lock_meanwhile(monkeypatch, action):
    """Run `action` while the backend checks the password, as a concurrent request would."""
    original = User.check_password

    def check_password(self, raw_password):
        action(self)
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", check_password)


@pytest.mark.django_db
def test_failures_are_counted_by_the_database_not_from_a_stale_copy(settings):
    settings.LOGIN_MAX_FAILURES = 3
    attorney = AttorneyFactory()
    for _ in range(2):
        register_failed_login(user_id=attorney.pk)  # the in-memory copy still says 0
    register_failed_login(user_id=attorney.pk)
    attorney.refresh_from_db()
    assert attorney.is_locked()
    assert attorney.failed_login_count == 0


@pytest.mark.django_db
def test_a_failure_read_before_a_lock_keeps_the_lock(settings, monkeypatch):
    settings.LOGIN_MAX_FAILURES = 3
    attorney = AttorneyFactory()
    authenticate(username=attorney.username, password="wrong")

    def others_lock_it(user):
        for _ in range(2):
            register_failed_login(user_id=user.pk)

    lock_meanwhile(monkeypatch, others_lock_it)
    assert authenticate(username=attorney.username, password="wrong") is None
    attorney.refresh_from_db()
    assert attorney.is_locked()
    assert attorney.failed_login_count == 1


@pytest.mark.django_db
def test_the_right_password_read_before_a_lock_is_refused_and_keeps_the_lock(settings, monkeypatch):
    settings.LOGIN_MAX_FAILURES = 3
    attorney = AttorneyFactory()
    for _ in range(2):
        authenticate(username=attorney.username, password="wrong")

    def others_lock_it(user):
        register_failed_login(user_id=user.pk)

    lock_meanwhile(monkeypatch, others_lock_it)
    assert authenticate(username=attorney.username, password=PASSWORD) is None
    attorney.refresh_from_db()
    assert attorney.is_locked()


@pytest.mark.django_db
def test_success_after_the_lock_expired_clears_it(settings):
    attorney = AttorneyFactory(locked_until=timezone.now() - timedelta(seconds=1))
    assert authenticate(username=attorney.username, password=PASSWORD) == attorney
    attorney.refresh_from_db()
    assert attorney.locked_until is None
    assert register_successful_login(user_id=attorney.pk)


def post_at_once(url: str, bodies: list[dict]) -> list[int]:
    """POST every body from its own thread (own client, own database connection) at once."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def run(body: dict) -> None:
        try:
            client = Client()
            barrier.wait()
            statuses.append(client.post(url, body).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.fixture
def concurrent_sign_in(settings):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    settings.PASSWORD_HASHERS = [f"{__name__}.SlowMD5PasswordHasher"]
    settings.LOGIN_RATE_PER_ACCOUNT = None  # the lock-out alone is under test here
    settings.LOGIN_RATE_PER_ADDRESS = None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_passwords_lock_the_account(concurrent_sign_in, settings):
    settings.LOGIN_MAX_FAILURES = 5
    attorney = AttorneyFactory()
    url = reverse("api-token")
    wrong = {"username": attorney.username, "password": "wrong"}
    assert post_at_once(url, [wrong] * 20) == [400] * 20
    attorney.refresh_from_db()
    assert attorney.is_locked()
    response = Client().post(url, {"username": attorney.username, "password": PASSWORD})
    assert response.status_code == 400
    assert not Token.objects.filter(user=attorney).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_passwords_are_all_counted(concurrent_sign_in, settings):
    settings.LOGIN_MAX_FAILURES = 50
    attorney = AttorneyFactory()
    wrong = {"username": attorney.username, "password": "wrong"}
    post_at_once(reverse("api-token"), [wrong] * 20)
    attorney.refresh_from_db()
    assert attorney.failed_login_count == 20
    assert not attorney.is_locked()
