"""Settings per environment: production refuses to start half-configured and passes
`check --deploy` with no warnings; the embedded default is Japanese first."""

import os
import subprocess
import sys

from django.conf import settings

PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 30 + "-production-secret-for-the-check-0123456789",
    "PERSONAL_ID_HMAC_KEY": "hmac-key",
    "MEMBER_IDP_SHARED_SECRET": "idp-secret",
    "RETURNS_SIGNING_KEYS": "2026a:resubmission-signing-key-for-the-check",
    "ALLOWED_HOSTS": "backoffice.example.jp",
    "DATABASE_URL": "postgres://kyoukai@127.0.0.1:5432/kyoukai",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not reach a production check.
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PROD_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_passes_check_deploy_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_sqlite():
    result = _manage("check", env={**PROD_ENV, "DATABASE_URL": "sqlite:////tmp/x.sqlite3"})
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_production_refuses_a_cache_of_its_own_process():
    result = _manage("check", env={**PROD_ENV, "CACHE_URL": "locmemcache://"})
    assert result.returncode != 0
    assert "CACHE_URL" in result.stderr


def test_japanese_first():
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True
    assert "en" in dict(settings.LANGUAGES)


def test_bulk_and_interactive_work_use_separate_queues():
    from config.celery import app

    route = app.amqp.router.route
    assert route({}, "notices.tasks.plan_mailing")["queue"].name == "bulk"
    assert route({}, "returns.tasks.build_return_package")["queue"].name == "interactive"
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json"


def test_admin_speaks_japanese_and_english_is_available(client):
    assert "ログイン" in client.get("/admin/login/").content.decode()
    english = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log in" in english


def test_production_refuses_to_start_without_the_resubmission_signing_keys():
    env = {k: v for k, v in PROD_ENV.items() if k != "RETURNS_SIGNING_KEYS"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "RETURNS_SIGNING_KEYS" in result.stderr
