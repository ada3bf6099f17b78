#!/bin/sh
# Send 10,000 due texts to a fake Twilio answering after 200 ms, on SQLite and PostgreSQL.
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PG=${BENCH_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/boneline_bench}
for options in "--concurrency 32 --rate 150" "--concurrency 64 --rate 400"; do
  rm -f /tmp/boneline-send.sqlite3*
  # shellcheck disable=SC2086
  $PY -m benchmarks.send_batch sqlite:////tmp/boneline-send.sqlite3 --count 10000 $options
  # shellcheck disable=SC2086
  $PY -m benchmarks.send_batch "$PG" --count 10000 $options
done
