"""Plan one day (a Monday: everyone is due something) and report time and peak memory.

Run in a fresh process after `benchmarks/seed.py`, so the peak RSS is planning's own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import sqlalchemy as sa

from scheduler.planning import plan
from service.config import load_settings
from service.domain.send_windows import SendWindows
from service.store.db import Database
from service.store.models import PlannedMessage

# 09:00 UTC on Monday 1 March 2027: a new local day everywhere from New York to Los Angeles.
NOW = dt.datetime(2027, 3, 1, 9)


def main() -> None:
    """Plan once, print seconds, rows and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    args = parser.parse_args()
    database = Database(args.url)
    windows = SendWindows.from_settings(load_settings({}, environ={}))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    report = plan(database, windows, NOW)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with database.engine.connect() as connection:
        rows = connection.scalar(sa.select(sa.func.count()).select_from(PlannedMessage))
    again_started = time.perf_counter()
    again = plan(database, windows, NOW + dt.timedelta(minutes=15))
    again_seconds = time.perf_counter() - again_started
    print(
        f"{database.engine.dialect.name}: planned {report.planned} messages ({rows} rows) "
        f"in {seconds:.1f} s; peak RSS {peak:.0f} MB (after imports {baseline:.0f} MB); "
        f"second run planned {again.planned} in {again_seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
