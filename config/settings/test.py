"""Settings for the test suite. DATABASE_URL / CELERY_BROKER_URL select the lane."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
PERSONAL_ID_HMAC_KEY = "test-hmac-key"
MEMBER_IDP_SHARED_SECRET = "test-idp-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEV_MEMBER_SIGNIN = False
ALLOWED_HOSTS = ["*"]
MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default="/tmp/kyoukai-test-media")
# Rate-limit counters in this process's memory, emptied before each test (tests/conftest.py),
# in both lanes: clearing a Redis cache would flush the lane's broker database too.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# WhiteNoise serves from the apps' static folders here (no collectstatic in tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
