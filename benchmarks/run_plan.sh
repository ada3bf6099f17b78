#!/bin/sh
# Seed then plan one day for each size on SQLite and PostgreSQL. Usage: benchmarks/run_plan.sh
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PG=${BENCH_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/boneline_bench}
for n in ${SIZES:-10000 100000 1000000}; do
  rm -f /tmp/boneline-bench.sqlite3*
  $PY -m benchmarks.seed sqlite:////tmp/boneline-bench.sqlite3 "$n"
  $PY -m benchmarks.plan_day sqlite:////tmp/boneline-bench.sqlite3
  $PY -m benchmarks.seed "$PG" "$n"
  $PY -m benchmarks.plan_day "$PG"
done
