"""Local development and the embedded demo: SQLite, filesystem broker, demo sign-in."""

from config.settings.base import *  # noqa: F403
from config.settings.base import INSTALLED_APPS, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-a-secret-0123456789abcdef")
PERSONAL_ID_HMAC_KEY = env("PERSONAL_ID_HMAC_KEY", default="local-development-hmac-key")
MEMBER_IDP_SHARED_SECRET = env("MEMBER_IDP_SHARED_SECRET", default="local-development-idp")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
DEV_MEMBER_SIGNIN = True
# The demo generators (`manage.py demo_data`): development and the embedded demo, not production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]
RETURNS_SIGNING_KEYS = env.list(
    "RETURNS_SIGNING_KEYS", default=["local-dev:local-development-resubmission-key"]
)
