"""Send N due messages through the Twilio client to a fake Twilio that answers after 200 ms.

Reports messages per second and checks that no message was sent twice.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import time

import sqlalchemy as sa

from benchmarks.seed import reset
from scheduler.sending import SendJob
from service.config import load_settings
from service.gateway.sender import TwilioSender
from service.store.db import Database
from service.store.models import PlannedMessage
from service.vocabulary import PlanStatus
from service.words.texts import Texts
from tests.support.twilio_servers import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    TEST_FROM_NUMBER,
    FakeTwilio,
)

NOW = dt.datetime(2027, 3, 1, 16)


def add_due(database: Database, count: int) -> None:
    """`count` subscribers, each with one text due now."""
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO subscribers (id, phone, language, channel, status, stage, due_date, "
                "time_zone, created_at, updated_at) VALUES (:id, :phone, 'en', 'sms', 'active', "
                "'pregnant', :due, 'America/New_York', :now, :now)"
            ),
            [
                {"id": n, "phone": f"+1212{n:07d}", "due": dt.date(2027, 5, 1), "now": NOW}
                for n in range(1, count + 1)
            ],
        )
        connection.execute(
            sa.insert(PlannedMessage),
            [
                {
                    "subscriber_id": n,
                    "item_key": "pregnant.calcium",
                    "local_date": NOW.date(),
                    "send_at": NOW,
                    "window_end": NOW + dt.timedelta(hours=7),
                    "message_id": "reminder.calcium.amount",
                }
                for n in range(1, count + 1)
            ],
        )


def main() -> None:
    """Seed, send, report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=int, default=150)
    args = parser.parse_args()
    database = reset(args.url)
    add_due(database, args.count)
    fake = FakeTwilio().start()
    fake.set_latency(args.latency)
    settings = load_settings(
        {
            "DATABASE_URL": args.url,
            "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "TWILIO_PHONE_NUMBER": TEST_FROM_NUMBER,
            "TWILIO_API_BASE_URL": fake.base_url,
            "PUBLIC_BASE_URL": "https://boneline.example.org",
            "SEND_CONCURRENCY": args.concurrency,
            "SEND_RATE_PER_SECOND": args.rate,
        },
        environ={},
    )
    sender = TwilioSender(settings)
    job = SendJob(database, settings, Texts.from_settings(settings), sender)
    started = time.perf_counter()
    report = job.run(NOW)
    seconds = time.perf_counter() - started
    sender.close()
    fake.stop()
    recipients = collections.Counter(r.params["To"] for r in fake.message_requests())
    duplicates = sum(count - 1 for count in recipients.values() if count > 1)
    with database.engine.connect() as connection:
        statuses = dict(
            connection.execute(
                sa.select(PlannedMessage.status, sa.func.count()).group_by(PlannedMessage.status)
            ).all()
        )
    dialect = database.engine.dialect.name
    rate = len(report.sent) / seconds
    rows = {str(status): count for status, count in statuses.items()}
    print(
        f"{dialect}: sent {len(report.sent)} of {args.count} in {seconds:.1f} s = {rate:.0f} msg/s "
        f"(latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}, "
        f"rate cap {args.rate}/s); requests {sum(recipients.values())}, "
        f"duplicates {duplicates}; rows {rows}"
    )
    assert statuses == {PlanStatus.SENT: args.count}


if __name__ == "__main__":
    main()
