#!/usr/bin/env bash
# `make run`: migrate, seed the demo, then serve the console with its background work.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var
# Served as in production (DEBUG=0: Japanese error pages, no settings on a technical page);
# `DEBUG=1 make run` turns Django's debug pages on. Plain HTTP on this machine: no secure cookies.
export DEBUG="${DEBUG:-0}"
export PMH_SECURE_COOKIES="${PMH_SECURE_COOKIES:-0}"
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s var/secret_key ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > var/secret_key
  SECRET_KEY="$(cat var/secret_key)"; export SECRET_KEY
fi
if [ -z "${PMH_DEMO_PASSWORD:-}" ]; then
  [ -s var/demo_password ] || head -c 12 /dev/urandom | base64 | tr -d '/+=\n' > var/demo_password
  PMH_DEMO_PASSWORD="$(cat var/demo_password)"; export PMH_DEMO_PASSWORD
fi
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
# The demo's probe targets check the console itself: where it listens (0.0.0.0 is reached on
# loopback).
case "$HOST" in
  0.0.0.0) own=127.0.0.1 ;;
  ::|"[::]") own="[::1]" ;;
  \[*) own="$HOST" ;;
  *:*) own="[$HOST]" ;;
  *) own="$HOST" ;;
esac
export PMH_DEMO_URL="http://$own:$PORT"

$BIN/python manage.py migrate --noinput
seeded="$($BIN/python manage.py seed_demo)"
echo "$seeded" | grep -v '^login: ' || true
[ "$DEBUG" = "1" ] || $BIN/python manage.py collectstatic --noinput >/dev/null

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [ -n "${REDIS_URL:-}" ]; then
  $BIN/python manage.py rqworker default intake validation probes & pids+=($!)
  $BIN/python manage.py rqcron console.cron & pids+=($!)
  mode="RQ worker and rqcron on $REDIS_URL"
else
  $BIN/python manage.py run_periodic & pids+=($!)
  mode="embedded (SQLite, jobs in the web process, periodic loop)"
fi

cat <<MSG

  PMH onboarding console: http://$HOST:$PORT/
  mode: $mode (debug pages: $([ "$DEBUG" = "1" ] && echo on || echo off))
  demo logins (password: $PMH_DEMO_PASSWORD)
$(echo "$seeded" | sed -n 's/^login: /    /p')

MSG
$BIN/python manage.py runserver --noreload "$HOST:$PORT"
