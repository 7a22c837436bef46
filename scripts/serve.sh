#!/usr/bin/env bash
# The production stack on this machine: gunicorn (config/gunicorn.conf.py), a Celery worker
# for the interactive,default queues, another for bulk, and beat, against PostgreSQL + Redis,
# with config.settings.production, JSON logs and Prometheus metrics (one multiprocess dir).
#
#   scripts/serve.sh                       # http://127.0.0.1:8000/ on DATABASE_URL below
#   PORT=8112 DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_ops \
#     CELERY_BROKER_URL=redis://127.0.0.1:6379/12 scripts/serve.sh
#   PORT=8130 SERVE_REDIS_PORT=8131 scripts/serve.sh   # with a Redis of its own (AOF)
#
# Environment (defaults for this machine; production sets its own):
#   DATABASE_URL (postgres://postgres@127.0.0.1:5432/kyoukai), CELERY_BROKER_URL and CACHE_URL
#   (redis://127.0.0.1:6379/0), PORT (8000), WEB_CONCURRENCY (2 per core + 1), WORKERS_INTERACTIVE
#   (2), WORKERS_BULK (1), SECURE_SSL_REDIRECT (false here: no TLS proxy on loopback).
#   SERVE_REDIS_PORT: start a Redis of its own on this port with config/redis.conf (AOF,
#   appendfsync everysec; data in $SERVE_RUN_DIR/redis), used as broker (db 0) and cache
#   (db 1), and stopped last. Without it, the Redis at CELERY_BROKER_URL is used, and a
#   warning is printed if it runs without AOF.
#   Secrets: SECRET_KEY, PERSONAL_ID_HMAC_KEY, MEMBER_IDP_SHARED_SECRET, RETURNS_SIGNING_KEYS;
#   when unset, random ones are generated once into SERVE_SECRETS_FILE (var/serve.secrets;
#   this machine only, mode 600).
#   SERVE_RUN_DIR, SERVE_LOG_DIR (var/run/serve-PORT, var/log/serve-PORT), STATIC_ROOT,
#   PRIVATE_MEDIA_ROOT; SERVE_STOP_TIMEOUT (60 s, see below).
# Ctrl-C or SIGTERM stops every process it started: SIGTERM to each (gunicorn finishes its
# requests, the workers their tasks: a warm shutdown), then, after SERVE_STOP_TIMEOUT
# seconds, SIGKILL to what is left of each one's process group (a killed task is delivered
# again: acks late); its own Redis last. If one process ends, the others are stopped too.
# Logs: $SERVE_LOG_DIR/*.log (JSON lines).
set -euo pipefail
cd "$(dirname "$0")/.."
py=$PWD/.venv/bin/python

port=${PORT:-8000}
run_dir=${SERVE_RUN_DIR:-$PWD/var/run/serve-${port}}
log_dir=${SERVE_LOG_DIR:-$PWD/var/log/serve-${port}}
mkdir -p var "$log_dir" "$run_dir"

pids=()
redis_pid=
step_pid=
stop() {  # stop [exit status]
  trap - EXIT INT TERM
  local pid deadline
  if [ -n "$step_pid" ]; then kill -TERM "$step_pid" 2>/dev/null || true; wait "$step_pid" || true; fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + ${SERVE_STOP_TIMEOUT:-60}))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  done
  # Whatever is left in a process group (a process that did not stop in time, a pool
  # child or a parser child whose parent is gone) is killed.
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null || true  # Redis fsyncs its AOF and exits
    wait "$redis_pid" 2>/dev/null || true
  fi
  echo "serve: stopped" >&2
  exit "${1:-0}"
}
trap 'stop $?' EXIT
trap 'stop 130' INT
trap 'stop 143' TERM

# Each process in a session (and process group) of its own: Ctrl-C reaches only this
# script, which stops them in order, and a group is killed whole when it must be.
start() {  # start LOG COMMAND...
  local log=$1; shift
  setsid "$@" >>"$log" 2>&1 &
  pids+=($!)
}

if [ -n "${SERVE_REDIS_PORT:-}" ]; then
  mkdir -p "$run_dir/redis"
  setsid redis-server "$PWD/config/redis.conf" --port "$SERVE_REDIS_PORT" \
    --dir "$run_dir/redis" --logfile "$log_dir/redis.log" --daemonize no \
    >>"$log_dir/redis.log" 2>&1 &
  redis_pid=$!
  export CELERY_BROKER_URL=redis://127.0.0.1:${SERVE_REDIS_PORT}/0
  export CACHE_URL=${CACHE_URL:-redis://127.0.0.1:${SERVE_REDIS_PORT}/1}
  for _ in $(seq 50); do
    redis-cli -p "$SERVE_REDIS_PORT" ping >/dev/null 2>&1 && break
    kill -0 "$redis_pid" 2>/dev/null || { echo "serve: Redis did not start" >&2; exit 1; }
    sleep 0.2
  done
fi

export DJANGO_SETTINGS_MODULE=config.settings.production
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kyoukai}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}
export CACHE_URL=${CACHE_URL:-$CELERY_BROKER_URL}
export GUNICORN_BIND=${GUNICORN_BIND:-127.0.0.1:${port}}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-false}
export LOG_FORMAT=${LOG_FORMAT:-json}
export STATIC_ROOT=${STATIC_ROOT:-$PWD/var/static}
export PRIVATE_MEDIA_ROOT=${PRIVATE_MEDIA_ROOT:-$PWD/var/private}
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$run_dir/prometheus}
mkdir -p "$PRIVATE_MEDIA_ROOT"

secrets=${SERVE_SECRETS_FILE:-var/serve.secrets}
( umask 077; touch "$secrets" )
for key in SECRET_KEY PERSONAL_ID_HMAC_KEY MEMBER_IDP_SHARED_SECRET RETURNS_SIGNING_KEYS; do
  grep -q "^${key}=" "$secrets" && continue
  case $key in
    SECRET_KEY) value=$($py -c 'import secrets; print(secrets.token_urlsafe(60))') ;;
    RETURNS_SIGNING_KEYS) value="k1:$($py -c 'import secrets; print(secrets.token_urlsafe(32))')" ;;
    *) value=$($py -c 'import secrets; print(secrets.token_urlsafe(32))') ;;
  esac
  echo "${key}=${value}" >>"$secrets"
done
while IFS='=' read -r key value; do
  [ -n "${!key:-}" ] || export "$key=$value"
done <"$secrets"

# Messages waiting in Redis survive its restart only with the append-only file.
aof=$($py -c 'import redis, sys
try:
    print(redis.Redis.from_url(sys.argv[1]).config_get("appendonly").get("appendonly", "?"))
except Exception:
    print("?")' "$CELERY_BROKER_URL" 2>/dev/null || echo "?")
if [ "$aof" != "yes" ]; then
  echo "serve: WARNING: the Redis at CELERY_BROKER_URL runs without appendonly (AOF: $aof):" \
    "messages waiting in it are lost if it restarts; see config/redis.conf" >&2
fi

# Metrics files of a previous run describe processes that no longer exist.
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

# In the background and waited for, so that a SIGTERM meanwhile is handled at once.
step() {
  "$@" &
  step_pid=$!
  wait "$step_pid"
  step_pid=
}
step $py manage.py migrate --noinput -v0
# collectstatic compresses every file (about 45 s of CPU here): skipped when the sources
# (the project's static directories, the installed packages) are those of the last run.
stamp=$( (find . -path ./.venv -prune -o -path ./var -prune -o -path '*/static/*' -type f \
  -printf '%p %s %T@\n'; cat requirements/lock.txt) | sort | sha256sum | cut -d' ' -f1)
if [ -f "$STATIC_ROOT/staticfiles.json" ] && [ "$(cat "$STATIC_ROOT/.serve-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "serve: static files unchanged since the last collectstatic"
else
  step $py manage.py collectstatic --noinput -v0
  echo "$stamp" >"$STATIC_ROOT/.serve-stamp"
fi

celery_common=(--without-gossip --without-mingle -l INFO)
start "$log_dir/worker-interactive.log" $py -m celery -A config worker -Q interactive,default \
  -n "interactive-${port}@%h" -c "${WORKERS_INTERACTIVE:-2}" "${celery_common[@]}"
start "$log_dir/worker-bulk.log" $py -m celery -A config worker -Q bulk -n "bulk-${port}@%h" \
  -c "${WORKERS_BULK:-1}" "${celery_common[@]}"
start "$log_dir/beat.log" $py -m celery -A config beat -l INFO \
  -s "$run_dir/celerybeat-schedule" --pidfile "$run_dir/celerybeat.pid"
start "$log_dir/web.log" "$PWD/.venv/bin/gunicorn" -c config/gunicorn.conf.py \
  --pid "$run_dir/gunicorn.pid"

echo "serve: gunicorn http://${GUNICORN_BIND}/ (pid file $run_dir/gunicorn.pid)," \
  "workers interactive,default and bulk, beat; logs in $log_dir"
for _ in $(seq 120); do
  if curl -fsS "http://${GUNICORN_BIND}/readyz" >/dev/null 2>&1; then
    echo "serve: ready (/healthz, /readyz, /metrics)"; break
  fi
  sleep 0.5
done
wait -n "${pids[@]}" || true
echo "serve: a process ended; stopping the others" >&2
stop 1
