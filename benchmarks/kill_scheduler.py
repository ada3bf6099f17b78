"""Kill `boneline tick` with SIGKILL at random points of a sending run, many times in a row.

Run by hand against PostgreSQL (see benchmarks/README.md):

    .venv/bin/python benchmarks/kill_scheduler.py --database-url \
        postgresql+psycopg://postgres@127.0.0.1:5432/boneline_kill --runs 20 --messages 400

It seeds `--messages` due texts (one per person), points the real Twilio client at our fake
Twilio server (every answer after 200 ms), then starts a send pass and kills it with SIGKILL after
a random 0.2-3 s, `--runs` times; each pass runs 10.5 simulated minutes after the last, so the
housekeeping job turns sends left unfinished into `unknown`. A last pass runs to completion.
Then it counts, per person: texts that reached Twilio more than once (duplicates, target 0), and
messages that are neither sent nor recorded as unknown (lost, target 0).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.store.db import Base, Database, upgrade  # noqa: E402
from service.store.models import PlannedMessage, Subscriber  # noqa: E402
from service.vocabulary import PlanStatus  # noqa: E402
from tests.scheduler.test_sending import add_planned_rows  # noqa: E402
from tests.support.twilio_servers import (  # noqa: E402
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    TEST_FROM_NUMBER,
    FakeTwilio,
)

SEND_AT = dt.datetime(2027, 3, 1, 15, 0)
STEP = dt.timedelta(minutes=10, seconds=30)


def fresh_database(url: str) -> Database:
    """An empty, migrated database."""
    database = Database(url)
    if database.is_postgresql:
        with database.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    else:
        Base.metadata.drop_all(database.engine)
    upgrade(url)
    return database


def tick(env: dict[str, str], now: dt.datetime) -> subprocess.Popen[bytes]:
    """Start one planning and sending pass in its own process."""
    command = [sys.executable, "-m", "service.tools.cli", "tick", "--now", now.isoformat()]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def main() -> None:
    """Seed, kill repeatedly, finish, count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)

    database = fresh_database(args.database_url)
    add_planned_rows(database, args.messages, SEND_AT)
    twilio = FakeTwilio().start()
    twilio.set_latency(0.2)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": TEST_FROM_NUMBER,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "PUBLIC_BASE_URL": "https://boneline.example.org",
        "SEND_CONCURRENCY": "8",
        "SEND_RATE_PER_SECOND": "40",
        "SEND_BATCH_SIZE": "50",
        "TWILIO_TIMEOUT_SECONDS": "10",
    }
    now = SEND_AT
    kills = 0
    for run in range(args.runs):
        now += STEP
        process = tick(env, now)
        wait = random.uniform(0.2, 3.0)
        time.sleep(wait)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        so_far = len(twilio.message_requests())
        print(f"run {run + 1:2d}: killed after {wait:.2f} s, {so_far} texts so far")
    now += STEP
    final = tick(env, now)
    final.wait()
    twilio.stop()

    reached = collections.Counter(request.form["To"][0] for request in twilio.message_requests())
    with database.Session() as session:
        rows = session.execute(
            sa.select(Subscriber.phone, PlannedMessage.status).join(
                Subscriber, Subscriber.id == PlannedMessage.subscriber_id
            )
        ).all()
    statuses = collections.Counter(status for _, status in rows)
    duplicates = sum(1 for count in reached.values() if count > 1)
    lost = sum(1 for _, status in rows if status not in (PlanStatus.SENT, PlanStatus.UNKNOWN))
    sent_without_request = sum(
        1 for phone, status in rows if status is PlanStatus.SENT and reached[phone] == 0
    )
    unknown_never_sent = sum(
        1 for phone, status in rows if status is PlanStatus.UNKNOWN and reached[phone] == 0
    )
    print()
    print(f"passes killed: {kills} of {args.runs}; final pass exit code {final.returncode}")
    print(f"messages: {len(rows)}; statuses: {dict(sorted(statuses.items()))}")
    print(f"texts that reached Twilio: {sum(reached.values())} for {len(reached)} people")
    print(f"sent twice or more: {duplicates}")
    print(f"neither sent nor recorded as unknown: {lost}")
    print(f"recorded sent but never reached Twilio: {sent_without_request}")
    print(f"recorded unknown but never reached Twilio (safe, reported): {unknown_never_sent}")
    database.dispose()
    if duplicates or lost or sent_without_request:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
