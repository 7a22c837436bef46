#!/usr/bin/env bash
# Runs the whole test suite. Installs what it needs first (idempotent).
# Embedded lane by default (SQLite). The PostgreSQL + Redis lane, with a real Celery worker:
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai \
#   CELERY_BROKER_URL=redis://127.0.0.1:6379/15 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-browser
exec .venv/bin/python -m pytest "$@"
