#!/usr/bin/env bash
# One command for a fresh machine: install, migrate the embedded SQLite database, load demo
# data, start a Celery worker and beat (filesystem broker, no Redis) and the web server.
#   scripts/run.sh              # http://127.0.0.1:8000/
#   PORT=8080 DEMO_MEMBERS=20000 scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

export DJANGO_SETTINGS_MODULE=config.settings.local
port=${PORT:-8000}
py=.venv/bin/python

$py manage.py migrate --noinput -v0
$py manage.py demo_data --members "${DEMO_MEMBERS:-2000}" --if-empty --no-progress

mkdir -p var/log
$py -m celery -A config worker -Q default,interactive,bulk -c 1 -l INFO \
  --without-gossip --without-mingle --without-heartbeat >var/log/worker.log 2>&1 &
worker=$!
# Celery beat: the periodic sweep of return packages left pending, and retention.
mkdir -p var/celery
$py -m celery -A config beat -l INFO -s var/celery/beat-schedule \
  >var/log/beat.log 2>&1 &
beat=$!
trap 'kill $worker $beat 2>/dev/null || true' EXIT INT TERM

cat <<TXT

==> 協会けんぽ 業務システム: http://127.0.0.1:${port}/
    管理画面 http://127.0.0.1:${port}/admin/   API http://127.0.0.1:${port}/api/docs/
    Celery worker: pid ${worker}, log var/log/worker.log; beat: pid ${beat}, log var/log/beat.log
    Logins are listed above (password demo-pass-2026). Ctrl-C stops both.
    Filing hours: $( [ "${FILING_ANY_HOUR:-}" ] && echo "any hour (FILING_ANY_HOUR is on: demo only)" || echo "weekdays 08:00-21:00 JST, as in production.
      To file at any hour for a demo or training: FILING_ANY_HOUR=1 scripts/run.sh" )

TXT
$py manage.py runserver "127.0.0.1:${port}"
