"""Settings for the test suite. DATABASE_URL / CELERY_BROKER_URL select the lane."""

from config.settings.base import *  # noqa: F403
from config.settings.base import (
    CELERY_BROKER_TRANSPORT_OPTIONS,
    CELERY_BROKER_URL,
    INSTALLED_APPS,
    env,
)

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
RETURNS_SIGNING_KEYS = env.list(
    "RETURNS_SIGNING_KEYS", default=["test-k1:test-resubmission-signing-key"]
)

# The embedded lane has no worker: what transactional tests queue (return packages on commit)
# goes to a throw-away folder, not to var/celery, which scripts/run.sh's worker consumes.
if CELERY_BROKER_URL.startswith("filesystem"):
    import tempfile
    from pathlib import Path

    _queue = Path(tempfile.gettempdir()) / "kyoukai-test-celery" / "queue"
    _queue.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
    }

# WhiteNoise serves from the apps' static folders here (no collectstatic in tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The demo generators (`manage.py demo_data`), as in config.settings.local.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]
