"""Sign-in on the member site: 社会保険労務士 with ID and password (lock-out says until when,
rate limit), staff refused there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.jp.calendar import JST
from tests.factories.core import PASSWORD, AttorneyFactory

pytestmark = pytest.mark.django_db
URL = reverse("attorney-signin")


def test_attorney_signs_in_and_goes_back_to_next(client):
    attorney = AttorneyFactory()
    response = client.post(
        f"{URL}?next=/applications/file/", {"username": attorney.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/applications/file/"
    assert client.get("/applications/file/").status_code == 200


def test_wrong_password_then_lock_out_says_until_when(client, settings):
    attorney = AttorneyFactory()
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        response = client.post(URL, {"username": attorney.username, "password": "wrong"})
        assert response.status_code == 400
        assert "IDまたはパスワードが正しくありません。" in response.content.decode()
    response = client.post(URL, {"username": attorney.username, "password": "wrong"})
    attorney.refresh_from_db()
    until = attorney.locked_until.astimezone(JST)
    body = response.content.decode()
    assert "ロックされています" in body and f"{until:%H:%M}" in body
    # The right password is refused while locked, with the same message.
    body = client.post(URL, {"username": attorney.username, "password": PASSWORD}).content.decode()
    assert "ロックされています" in body


def test_staff_are_refused_on_the_attorney_page(client, reviewer):
    response = client.post(URL, {"username": reviewer.username, "password": PASSWORD})
    assert response.status_code == 400 and "職員の方は" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_attorney_sign_in_is_rate_limited(client, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "2/5m"
    attorney = AttorneyFactory()
    for _ in range(2):
        client.post(URL, {"username": attorney.username, "password": "wrong"})
    response = client.post(URL, {"username": attorney.username, "password": "wrong"})
    assert response.status_code == 429 and response["Retry-After"]


def test_expired_lock_lets_the_attorney_in(client):
    attorney = AttorneyFactory(locked_until=timezone.now() - timedelta(minutes=1))
    response = client.post(URL, {"username": attorney.username, "password": PASSWORD})
    assert response.status_code == 302
