"""The client's address behind trusted reverse proxies (audit log, sign-in rate limit)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.audit import client_ip


def request(remote: str = "10.0.0.2", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(forwarded="203.0.113.5")) == "10.0.0.2"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # the left part is the client's word
        (2, "198.51.100.1, 203.0.113.5, 10.0.0.1", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.2"),  # came past fewer proxies than configured
        (1, "not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_proxies_the_address_they_saw(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    assert client_ip(request(forwarded=forwarded)) == expected
