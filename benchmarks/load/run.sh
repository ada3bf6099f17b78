#!/usr/bin/env bash
# Run the web service as the Procfile runs it, drive it with wrk over loopback, sample memory.
#
#   benchmarks/load/run.sh TARGET DATABASE SECONDS [RATE]
#     TARGET    boneline | bare (a Flask app returning a fixed TwiML, same gunicorn flags) |
#               floor (the bare app plus a signature check and one durable INSERT per request)
#     DATABASE  sqlite | postgresql (BENCH_DATABASE_URL, default the local boneline_bench; its
#               schema is DROPPED and rebuilt)
#     SECONDS   how long wrk runs
#     RATE      requests/s in total, paced on a schedule; empty = as fast as it can
#
# Environment: CONNECTIONS (default 32), THREADS (2), PEOPLE (people in the request file),
# PORT (8399), WEB_CONCURRENCY (2, as the Procfile's default).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${1:?boneline or bare}"
DATABASE="${2:?sqlite or postgresql}"
SECONDS_TO_RUN="${3:?seconds}"
RATE="${4:-}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
PORT="${PORT:-8399}"
export WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"
WORK="${WORK:-/tmp/boneline-load}"
mkdir -p "$WORK"
PATH="$ROOT/.venv/bin:$PATH"

# A signed configuration, like production: webhooks are checked against PUBLIC_BASE_URL.
export TWILIO_AUTH_TOKEN="bench0123456789abcdef0123456789ab"
export PUBLIC_BASE_URL="https://boneline.example.org"
export SECRET_KEY="bench-secret-key"
if [ "$DATABASE" = sqlite ]; then
  rm -f "$WORK"/bench.sqlite3*
  export DATABASE_URL="sqlite:///$WORK/bench.sqlite3"
else
  export DATABASE_URL="${BENCH_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/boneline_bench}"
  python - <<'PY'
import os, sqlalchemy as sa
from service.store.db import make_engine
engine = make_engine(os.environ["DATABASE_URL"])
with engine.begin() as connection:
    connection.execute(sa.text("DROP SCHEMA public CASCADE"))
    connection.execute(sa.text("CREATE SCHEMA public"))
PY
fi
(cd "$ROOT" && boneline db upgrade >/dev/null)

# Enough requests that each MessageSid is sent once (about 9 per person).
RATE_GUESS="${RATE:-1500}"
PEOPLE="${PEOPLE:-$(( (SECONDS_TO_RUN * RATE_GUESS * 12 / 10) / 9 + 1000 ))}"
REQUESTS="$WORK/requests-$PEOPLE.tsv"
[ -s "$REQUESTS" ] || python "$HERE/make_requests.py" --people "$PEOPLE" \
  --token "$TWILIO_AUTH_TOKEN" --base-url "$PUBLIC_BASE_URL" --out "$REQUESTS"

# The Procfile's web line, exactly; the bare app only swaps the app it names.
WEB_LINE="$(grep '^web:' "$ROOT/Procfile" | cut -d: -f2-)"
if [ "$TARGET" = bare ] || [ "$TARGET" = floor ]; then
  WEB_LINE="${WEB_LINE/service.web:create_app()/${TARGET}_app:create_app()}"
  export PYTHONPATH="$HERE"
fi
echo "web: $WEB_LINE"
(cd "$ROOT" && PORT="$PORT" exec sh -c "exec $WEB_LINE") >"$WORK/access-$TARGET.log" 2>"$WORK/gunicorn-$TARGET.log" &
MASTER=$!
trap 'kill "$MASTER" 2>/dev/null || true; wait "$MASTER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break
  sleep 0.1
done

rss_kb() {  # RSS of the gunicorn master and its workers, in kB
  local total=0 pid
  for pid in "$MASTER" $(pgrep -P "$MASTER"); do
    total=$(( total + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0) ))
  done
  echo "$total"
}
MEMORY="$WORK/memory-$TARGET-$DATABASE.csv"
echo "seconds,rss_kb" >"$MEMORY"
(start=$(date +%s); while kill -0 "$MASTER" 2>/dev/null; do
   echo "$(( $(date +%s) - start )),$(rss_kb)" >>"$MEMORY"; sleep 5; done) &
SAMPLER=$!

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews results)"
BONELINE_REQUESTS="$REQUESTS" BONELINE_THREADS="$THREADS" \
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_TO_RUN}s" --timeout 10s --latency \
  -s "$HERE/replay.lua" "http://127.0.0.1:$PORT" -- $RATE | tee "$WORK/wrk-$TARGET-$DATABASE.txt"
sleep 1
kill "$SAMPLER" 2>/dev/null || true
echo "memory (kB, master + workers): first $(sed -n 2p "$MEMORY" | cut -d, -f2)," \
  "last $(tail -n 1 "$MEMORY" | cut -d, -f2)," \
  "max $(tail -n +2 "$MEMORY" | cut -d, -f2 | sort -n | tail -n 1) ($MEMORY)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "5xx in the access log: $(awk '$9 ~ /^5/' "$WORK/access-$TARGET.log" | wc -l)"
