"""The development sign-in refuses a malformed member id, never with a server error."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("user_id", ["abc", "", "1.5", "-1"])
def test_a_malformed_member_id_is_refused(client, settings, user_id):
    settings.DEV_MEMBER_SIGNIN = True
    response = client.post(reverse("dev-member-signin"), {"user_id": user_id})
    assert response.status_code in (400, 404)
