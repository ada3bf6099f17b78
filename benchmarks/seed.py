"""Fill a fresh database with N active subscribers spread over US time zones and stages."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import time

import sqlalchemy as sa

from service.store.db import Database, upgrade

ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)
AREA_CODES = ("212", "312", "303", "602", "310", "907", "808")
COLUMNS = (
    "id, phone, language, channel, status, enrollment_step, stage, due_date, birth_date, "
    "time_zone, zip_code, created_at, updated_at"
)
TODAY = dt.date(2027, 3, 1)


def subscriber_row(number: int) -> tuple[object, ...]:
    """One subscriber: half pregnant, half after birth, one in ten by phone call, ZIP for some."""
    zone = number % len(ZONES)
    pregnant = number % 2 == 0
    offset = dt.timedelta(days=number % 280)
    return (
        number,
        f"+1{AREA_CODES[zone]}{number:07d}",
        "es" if number % 3 == 0 else "en",
        "voice" if number % 10 == 0 else "sms",
        "active",
        None,
        "pregnant" if pregnant else "postpartum",
        TODAY + offset if pregnant else None,
        None if pregnant else TODAY - offset,
        ZONES[zone],
        "10001" if number % 5 == 0 else None,
        dt.datetime(2026, 6, 1),
        dt.datetime(2026, 6, 1),
    )


def reset(url: str) -> Database:
    """An empty, migrated database at `url`."""
    database = Database(url)
    if database.is_postgresql:
        with database.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    database.dispose()
    upgrade(url)
    return Database(url)


def seed(url: str, count: int) -> float:
    """Insert `count` subscribers as fast as the database allows; return the seconds taken."""
    database = reset(url)
    started = time.perf_counter()
    chunk = 50_000
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for first in range(1, count + 1, chunk):
            rows = [subscriber_row(n) for n in range(first, min(first + chunk, count + 1))]
            if database.is_postgresql:
                buffer = io.StringIO()
                for row in rows:
                    buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
                with cursor.copy(f"COPY subscribers ({COLUMNS}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    copy.write(buffer.getvalue())
            else:
                marks = ", ".join("?" * len(rows[0]))
                cursor.executemany(f"INSERT INTO subscribers ({COLUMNS}) VALUES ({marks})", rows)
        raw.commit()
        if database.is_postgresql:
            cursor.execute("ANALYZE subscribers")
            raw.commit()
    finally:
        raw.close()
    database.dispose()
    return time.perf_counter() - started


def main() -> None:
    """Seed from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("count", type=int)
    args = parser.parse_args()
    seconds = seed(args.url, args.count)
    print(f"seeded {args.count} subscribers in {seconds:.1f} s")


if __name__ == "__main__":
    main()
