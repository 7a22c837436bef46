#!/usr/bin/env bash
# The production stack on this machine: gunicorn (config/gunicorn.conf.py), a Celery worker
# for the interactive,default queues, another for bulk, and beat, against PostgreSQL + Redis,
# with config.settings.production, JSON logs and Prometheus metrics (one multiprocess dir).
#
#   scripts/serve.sh                       # http://127.0.0.1:8000/ on DATABASE_URL below
#   PORT=8112 DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_ops \
#     CELERY_BROKER_URL=redis://127.0.0.1:6379/12 scripts/serve.sh
#
# Environment (defaults for this machine; production sets its own):
#   DATABASE_URL (postgres://postgres@127.0.0.1:5432/kyoukai), CELERY_BROKER_URL and CACHE_URL
#   (redis://127.0.0.1:6379/0), PORT (8000), WEB_CONCURRENCY (2 per core + 1), WORKERS_INTERACTIVE
#   (2), WORKERS_BULK (1), SECURE_SSL_REDIRECT (false here: no TLS proxy on loopback).
#   Secrets: SECRET_KEY, PERSONAL_ID_HMAC_KEY, MEMBER_IDP_SHARED_SECRET; when unset, random
#   ones are generated once into var/serve.secrets (this machine only, mode 600).
# Ctrl-C or SIGTERM stops every process it started. Logs: var/log/serve/*.log (JSON lines).
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python

export DJANGO_SETTINGS_MODULE=config.settings.production
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kyoukai}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}
export CACHE_URL=${CACHE_URL:-$CELERY_BROKER_URL}
port=${PORT:-8000}
export GUNICORN_BIND=${GUNICORN_BIND:-127.0.0.1:${port}}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-false}
export LOG_FORMAT=${LOG_FORMAT:-json}
export STATIC_ROOT=${STATIC_ROOT:-$PWD/var/static}
export PRIVATE_MEDIA_ROOT=${PRIVATE_MEDIA_ROOT:-$PWD/var/private}
run_dir=${SERVE_RUN_DIR:-$PWD/var/run/serve-${port}}
log_dir=${SERVE_LOG_DIR:-$PWD/var/log/serve-${port}}
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$run_dir/prometheus}

mkdir -p var "$log_dir" "$run_dir" "$PRIVATE_MEDIA_ROOT"
secrets=var/serve.secrets
if [ ! -f "$secrets" ]; then
  umask 077
  {
    echo "SECRET_KEY=$($py -c 'import secrets; print(secrets.token_urlsafe(60))')"
    echo "PERSONAL_ID_HMAC_KEY=$($py -c 'import secrets; print(secrets.token_urlsafe(32))')"
    echo "MEMBER_IDP_SHARED_SECRET=$($py -c 'import secrets; print(secrets.token_urlsafe(32))')"
  } >"$secrets"
  umask 022
fi
while IFS='=' read -r key value; do
  [ -n "${!key:-}" ] || export "$key=$value"
done <"$secrets"

# Metrics files of a previous run describe processes that no longer exist.
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

$py manage.py migrate --noinput -v0
$py manage.py collectstatic --noinput -v0

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop EXIT INT TERM

celery_common=(--without-gossip --without-mingle -l INFO)
$py -m celery -A config worker -Q interactive,default -n "interactive-${port}@%h" \
  -c "${WORKERS_INTERACTIVE:-2}" "${celery_common[@]}" >>"$log_dir/worker-interactive.log" 2>&1 &
pids+=($!)
$py -m celery -A config worker -Q bulk -n "bulk-${port}@%h" \
  -c "${WORKERS_BULK:-1}" "${celery_common[@]}" >>"$log_dir/worker-bulk.log" 2>&1 &
pids+=($!)
$py -m celery -A config beat -l INFO -s "$run_dir/celerybeat-schedule" \
  --pidfile "$run_dir/celerybeat.pid" >>"$log_dir/beat.log" 2>&1 &
pids+=($!)
.venv/bin/gunicorn -c config/gunicorn.conf.py --pid "$run_dir/gunicorn.pid" \
  >>"$log_dir/web.log" 2>&1 &
pids+=($!)

echo "serve: gunicorn http://${GUNICORN_BIND}/ (pid file $run_dir/gunicorn.pid)," \
  "workers interactive,default and bulk, beat; logs in $log_dir"
for _ in $(seq 60); do
  if curl -fsS "http://${GUNICORN_BIND}/readyz" >/dev/null 2>&1; then
    echo "serve: ready (/healthz, /readyz, /metrics)"; break
  fi
  sleep 1
done
wait -n "${pids[@]}" || true
echo "serve: a process ended; stopping the others" >&2
