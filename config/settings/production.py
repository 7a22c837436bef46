"""Production: PostgreSQL, Redis, Celery workers behind TLS. Refuses to start half-configured."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, DATABASES, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: ImproperlyConfigured without it
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
PERSONAL_ID_HMAC_KEY = env("PERSONAL_ID_HMAC_KEY")
MEMBER_IDP_SHARED_SECRET = env("MEMBER_IDP_SHARED_SECRET")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
RETURNS_SIGNING_KEYS = env.list("RETURNS_SIGNING_KEYS")  # "key_id:secret,..."
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://...")
if not CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Sign-in rate limits must be shared by every web process.
    raise ImproperlyConfigured("Production needs a shared cache: set CACHE_URL=redis://...")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind the TLS proxy, REMOTE_ADDR is the proxy's: the client is in X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Serving (scripts/serve.sh, config/gunicorn.conf.py) ------------------------------
# Static files: hashed names (cached for a year by WhiteNoise) and compressed copies,
# written by `manage.py collectstatic`.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
# The probes are answered before the HTTPS redirect (core.observability.middleware).
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
