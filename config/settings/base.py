"""Settings shared by every environment. Everything that differs comes from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
# Reverse proxies in front of the application that append the client's address to
# X-Forwarded-For (core.audit.client_ip: audit log, sign-in rate limit). 0: none.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Language and time: Japanese first -------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Applications ---------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "eligibility",
    "applications",
    "returns",
    "notices",
    "csp",
    "myna",
]

MIDDLEWARE = [
    # First: /healthz, /readyz, /metrics; request id, access log, metrics; 503 when the
    # database or the broker is away (core.observability.middleware).
    "core.observability.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with hashed names and far-future caching, from the web process.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads a parameter: no control characters or broken Unicode in any
    # path, query string or form field (core.input_guard).
    "core.middleware.RequestTextGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.cache_headers.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A service's refusal (core.errors.ServiceError) in the admin: a message, never a 500.
    "core.middleware.AdminServiceErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Content-Security-Policy (django-csp) on every response ------------------------------
# Scripts and styles only from this site's files: no inline <script>, <style> or style="" on
# any page (the admin, member pages, the API docs: see templates/drf_spectacular/). A page that
# ever needs one gives it the request's nonce (request.csp_nonce, csp.constants.NONCE).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],  # blob: the thumbnails of files being attached
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Database: PostgreSQL in production, SQLite as the embedded default -----------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the embedded worker read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared by every web process in production (Redis: CACHE_URL=redis://host:6379/1);
# it holds the sign-in rate limits. The embedded default keeps it in the process's memory.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "core.auth.backends.LockoutModelBackend",
    "core.auth.backends.MemberIdentityBackend",
]
LOGIN_URL = "admin:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password sign-in (staff, 社会保険労務士) locks after this many failures in a row.
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=30)
# Every sign-in (API token, admin, member) is rate-limited per account and per client
# address: "attempts/period" (s, m, h, d; "10/5m" = 10 in 5 minutes), empty = no limit.
# Over the limit: 429 with Retry-After (core.auth.ratelimit, counted in the cache).
LOGIN_RATE_PER_ACCOUNT = env("LOGIN_RATE_PER_ACCOUNT", default="10/5m") or None
LOGIN_RATE_PER_ADDRESS = env("LOGIN_RATE_PER_ADDRESS", default="50/5m") or None
# If the cache cannot be reached, sign in without the rate limit (the lock-out still holds).
LOGIN_RATE_FAIL_OPEN = env.bool("LOGIN_RATE_FAIL_OPEN", default=True)
RATELIMIT_FAIL_OPEN = LOGIN_RATE_FAIL_OPEN
# Members sign in through the external identity provider (マイナンバーカード).
# The provider signs an assertion with this shared secret; see core.auth.backends.
MEMBER_IDP_SHARED_SECRET = env("MEMBER_IDP_SHARED_SECRET", default="")
#: Where the member site's 「マイナンバーカードでログイン」 button starts the identity provider's
#: sign-in (it returns to /accounts/member/callback/); empty: no button.
MEMBER_IDP_START_URL = env("MEMBER_IDP_START_URL", default="")
MEMBER_IDP_MAX_AGE_SECONDS = env.int("MEMBER_IDP_MAX_AGE_SECONDS", default=300)
# The development sign-in for demo members; only config.settings.local turns it on.
DEV_MEMBER_SIGNIN = False
# Demo and training only: members and attorneys may file at any hour (the rule is weekdays
# 08:00–21:00 JST). Off by default; `manage.py check --deploy` fails when it is on
# (applications.checks), so it cannot reach production unnoticed.
FILING_ANY_HOUR = env.bool("FILING_ANY_HOUR", default=False)

# --- Personal data --------------------------------------------------------------------
# Key for the keyed hash (HMAC-SHA256) of personal identifiers such as the My Number.
PERSONAL_ID_HMAC_KEY = env("PERSONAL_ID_HMAC_KEY", default="")

# --- Static and private files ---------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Member files (attachments, return packages, notices) are private: never served as /media/,
# only through short-lived signed links that are audit-logged.
MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))
MEDIA_URL = "/private-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Non-file part of a request (form fields, JSON-in-a-field); files are limited by
# core.uploads. Django's default, 2.5 MB: an application's data is a few KB.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- REST API -------------------------------------------------------------------------
# JSON request bodies (core.api.parsers): size in bytes (413 above) and nesting depth.
API_MAX_JSON_BYTES = env.int("API_MAX_JSON_BYTES", default=1024 * 1024)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=20)
REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "core.api.parsers.FormParser",
        "core.api.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "core.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ProjectAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "協会けんぽ 業務システム API",
    "DESCRIPTION": "資格情報・電子申請・電子ポスト・お知らせの API。"
    "再申請用ファイルの JSON Schema: [/api/v1/returns/schemas/resubmission-v1.json]"
    "(/api/v1/returns/schemas/resubmission-v1.json)（リポジトリの "
    "returns/schemas/resubmission-v1.schema.json）。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UserKindEnum": "core.models.user.User.Kind",
        "RecordKindEnum": "eligibility.models.records.EligibilityRecord.Kind",
        "SexEnum": "eligibility.models.records.Sex",
    },
    # Swagger UI assets ship with the app (drf-spectacular-sidecar): no CDN needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, so batches really run in a separate
# worker process without Redis. Production: CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Work is tracked on database rows (batches, items), not in a result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Bulk mailing never delays a member's interactive work (return documents).
CELERY_TASK_ROUTES = {
    "notices.tasks.*": {"queue": "bulk"},
    "eligibility.tasks.sweep_imports": {"queue": "default"},  # an exact name wins over *
    "eligibility.tasks.*": {"queue": "bulk"},
    "returns.tasks.*": {"queue": "interactive"},
    "applications.tasks.*": {"queue": "interactive"},
}
CELERY_QUEUES_ALL = "default,interactive,bulk"
# Periodic work (celery beat): sweeps that take up what a killed worker or a lost message
# left behind. On "default" (see the routes), so a long mailing on "bulk" never delays them.
CELERY_BEAT_SCHEDULE = {
    "eligibility-sweep-imports": {
        "task": "eligibility.tasks.sweep_imports",
        "schedule": env.int("IMPORT_SWEEP_INTERVAL", default=60),
    },
    # The wait of each queue (core.tasks.queue_probe; kyoukai_celery_queue_wait_seconds).
    **{
        f"queue-probe-{queue}": {
            "task": "core.tasks.queue_probe",
            "schedule": env.int("QUEUE_PROBE_INTERVAL", default=30),
            "options": {"queue": queue, "expires": 300},
        }
        for queue in ("interactive", "bulk")
    },
}
# Nightly: the references the database does not enforce (docs/decisions/0001), checked over
# the whole table; a broken one is shown to headquarters on the admin's index.
CELERY_BEAT_SCHEDULE["eligibility-check-references"] = {
    "task": "eligibility.tasks.check_references",
    "schedule": crontab(
        hour=env.int("CHECK_REFERENCES_HOUR", default=2),
        minute=env.int("CHECK_REFERENCES_MINUTE", default=30),
    ),
}

# --- CSV imports ----------------------------------------------------------------------
# Hard time limit of one import on the worker (seconds): 40 million rows take ~35 minutes
# at the measured ~20,000 rows/s (bench/import_members.py). The soft limit comes a minute
# earlier, so the job records its own failure and deletes its file.
IMPORT_TIME_LIMIT = env.int("IMPORT_TIME_LIMIT", default=2 * 60 * 60)
# Each queued job gets its own limit from its file's size (imports.service.time_limit_for):
# size / IMPORT_BYTES_PER_SECOND (a third of the measured ~2.8 MB/s, 139 MB per million
# rows at ~20,000 rows/s: a 40-million-row file of ~5.6 GB gets ~93 minutes), at least
# IMPORT_TIME_LIMIT_MIN, at most IMPORT_TIME_LIMIT above.
IMPORT_BYTES_PER_SECOND = env.int("IMPORT_BYTES_PER_SECOND", default=1_000_000)
IMPORT_TIME_LIMIT_MIN = env.int("IMPORT_TIME_LIMIT_MIN", default=10 * 60)
# A running job saves a heartbeat with its progress (every batch of 10,000 rows, about half
# a second; at most a minute apart in the up-front scan of a 40-million-row file). One whose
# heartbeat is older than this lost its worker (SIGKILL, out of memory, the database
# restarted under it): the sweep runs it again, or fails it after IMPORT_MAX_ATTEMPTS runs.
IMPORT_LEASE = env.int("IMPORT_LEASE", default=5 * 60)
IMPORT_MAX_ATTEMPTS = env.int("IMPORT_MAX_ATTEMPTS", default=3)
# A job interrupted because the database went away waits this long (seconds) for it to
# answer again, then puts itself back in the queue; if it still does not answer, the sweep
# does it once the heartbeat is older than IMPORT_LEASE.
IMPORT_RECONNECT_WAIT = env.int("IMPORT_RECONNECT_WAIT", default=60)
# A job still queued after this long (since it was queued) lost its message: the sweep
# queues it again.
IMPORT_REQUEUE_AFTER = env.int("IMPORT_REQUEUE_AFTER", default=30 * 60)
# The queue of the import tasks (the bulk queue; tests use a queue of their own).
IMPORT_QUEUE = env.str("IMPORT_QUEUE", default="bulk")
# Rows per batch: one set of lookups and one transaction of writes each; 0 = the default
# (10,000 on PostgreSQL, 2,000 elsewhere).
IMPORT_BATCH_SIZE = env.int("IMPORT_BATCH_SIZE", default=0)
# Where rows are parsed: "auto" (a child process on PostgreSQL from a single-threaded
# worker, else a thread), "process" or "thread". Chosen once per job and recorded on it
# (ImportJob.parse_path); see eligibility.imports.service.choose_parse_path.
IMPORT_PARSE_PATH = env.str("IMPORT_PARSE_PATH", default="auto")

# --- Return mailbox (電子ポスト) -------------------------------------------------------
# HMAC keys of the resubmission file: "key_id:secret,key_id:secret"; the first one signs,
# all of them verify (rotation). Required in production.
RETURNS_SIGNING_KEYS = env.list("RETURNS_SIGNING_KEYS", default=[])
# Signed download links stay valid this long (seconds).
RETURNS_LINK_MAX_AGE_SECONDS = env.int("RETURNS_LINK_MAX_AGE_SECONDS", default=300)
# Packages are deleted this many days after they were built.
RETURNS_RETENTION_DAYS = env.int("RETURNS_RETENTION_DAYS", default=400)
# The sweep re-enqueues packages pending longer than this, and resets builds older than that.
RETURNS_SWEEP_PENDING_AFTER_SECONDS = env.int("RETURNS_SWEEP_PENDING_AFTER_SECONDS", default=60)
RETURNS_BUILD_STALE_SECONDS = env.int("RETURNS_BUILD_STALE_SECONDS", default=300)
# Largest resubmission file accepted (bytes).
RETURNS_RESUBMISSION_MAX_BYTES = 512 * 1024
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "returns-sweep-packages": {
        "task": "returns.tasks.sweep_packages",
        "schedule": env.int("RETURNS_SWEEP_EVERY_SECONDS", default=60),
    },
    "returns-delete-expired-packages": {
        "task": "returns.tasks.delete_expired_packages",
        "schedule": 6 * 60 * 60,
    },
}

# --- Logging --------------------------------------------------------------------------
# No log line carries a My Number: LOGGING_CONFIG masks every record when it is made, in
# any process (web, worker, command), whatever handler it goes to; the filter does the
# same on these handlers for records made elsewhere. See core.log_masking.
LOGGING_CONFIG = "core.log_masking.configure"
# "json": one JSON object a line with the request id (core.observability.logs); production.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_my_numbers": {"()": "core.log_masking.MaskMyNumbers"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["mask_my_numbers"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        # One line per request (core.observability.middleware); ACCESS_LOG_LEVEL=WARNING
        # silences it.
        "core.access": {"level": env("ACCESS_LOG_LEVEL", default="INFO")},
    },
}

# --- マイナ保険証 dashboard (myna): the daily summary refresh -------------------------------

CELERY_TASK_ROUTES["myna.tasks.*"] = {"queue": "bulk"}
CELERY_BEAT_SCHEDULE = globals().get("CELERY_BEAT_SCHEDULE", {})
CELERY_BEAT_SCHEDULE["myna-refresh-daily"] = {
    "task": "myna.tasks.refresh_daily",
    "schedule": crontab(hour=2, minute=30),  # Japan time (CELERY_TIMEZONE), after the imports
}

# --- Notices (資格情報のお知らせ, 資格確認書) ------------------------------------------------
# 資格確認書: valid up to this many years from issue (the insurer sets it, at most 5; seed 002).
NOTICE_CERTIFICATE_VALID_YEARS = env.int("NOTICE_CERTIFICATE_VALID_YEARS", default=5)
# Where the notice's QR code leads (マイナポータル).
NOTICE_MYNAPORTAL_URL = env("NOTICE_MYNAPORTAL_URL", default="https://myna.go.jp/")

# --- Mailing batches (notices.batches) ---------------------------------------------------
# Weight of one お知らせ / one 資格確認書 in its envelope, and the heaviest box to an employer.
NOTICE_ITEM_WEIGHT_G = env.int("NOTICE_ITEM_WEIGHT_G", default=25)
NOTICE_CERTIFICATE_WEIGHT_G = env.int("NOTICE_CERTIFICATE_WEIGHT_G", default=30)
NOTICE_BOX_MAX_G = env.int("NOTICE_BOX_MAX_G", default=4000)
# Items per file of individual mail (a household is never split), and files per chunk.
NOTICE_PART_ITEMS = env.int("NOTICE_PART_ITEMS", default=190)
NOTICE_CHUNK_PARTS = env.int("NOTICE_CHUNK_PARTS", default=4)
# The sweep issues a completed 交付申請書's reissue whose message was lost, this many days back.
NOTICE_REISSUE_SWEEP_DAYS = env.int("NOTICE_REISSUE_SWEEP_DAYS", default=7)
# Employers per output chunk of 対象者一覧表 (one list each, a fork and a compile: ~0.2–0.5 s).
NOTICE_LIST_CHUNK_EMPLOYERS = env.int("NOTICE_LIST_CHUNK_EMPLOYERS", default=100)
# PostgreSQL's work_mem for the planning statement only (SET LOCAL): the sort of a batch's
# members and the windows over it stay in memory (about 150 MB for 1,000,000 members).
NOTICE_PLAN_WORK_MEM = env("NOTICE_PLAN_WORK_MEM", default="256MB")
# 特定記録 numbers: a batch without its own range takes the next free ones from this start.
NOTICE_TRACKED_POOL_START = env.int("NOTICE_TRACKED_POOL_START", default=10_000_000_000)
# The standing rule: 資格確認書 to members acquired this many days ago (inclusive window).
NOTICE_STANDING_DAYS = (
    env.int("NOTICE_STANDING_MIN_DAYS", default=30),
    env.int("NOTICE_STANDING_MAX_DAYS", default=50),
)
# A chunk whose worker has not reported for this long is taken again by the sweep.
NOTICE_CHUNK_LEASE = env.int("NOTICE_CHUNK_LEASE", default=10 * 60)
# Storage of the batches' outputs: a key of STORAGES. For several worker machines, define an
# S3-compatible one (django-storages), e.g. STORAGES["mailing"] = {"BACKEND":
# "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": ..., "endpoint_url": ...}}.
NOTICE_STORAGE = env("NOTICE_STORAGE", default="default")
# The queue of the chunks and outputs (workers: celery -A config worker -Q bulk).
NOTICE_QUEUE = env("NOTICE_QUEUE", default="bulk")
CELERY_TASK_ROUTES["notices.tasks.sweep_batches"] = {"queue": "default"}
CELERY_BEAT_SCHEDULE["notices-sweep-batches"] = {
    "task": "notices.tasks.sweep_batches",
    "schedule": env.int("NOTICE_SWEEP_INTERVAL", default=2 * 60),
}
CELERY_BEAT_SCHEDULE["notices-standing-certificates"] = {
    "task": "notices.tasks.standing_certificates",
    "schedule": env.int("NOTICE_STANDING_INTERVAL", default=24 * 60 * 60),
}
