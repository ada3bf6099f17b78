"""When a care-team alert that did not go out is tried again: backoff, for at least 24 hours.

A red-flag alert (the care team's SMS or webhook) is never dropped after a few quick retries: each
failed try is recorded in the database with the time of the next one, so passes, restarts and
other scheduler processes all follow the same schedule.
"""

from __future__ import annotations

import datetime as dt

# Alerts are tried again for this long after they were queued; then only the page shows them.
ALERT_RETRY_FOR = dt.timedelta(hours=24)
ALERT_FIRST_BACKOFF = dt.timedelta(seconds=30)
ALERT_MAX_BACKOFF = dt.timedelta(minutes=15)
# Send passes run on a fixed 30-second beat whose start times differ by a few milliseconds: a try
# due exactly one backoff later could miss its pass by a millisecond and wait a whole beat more.
ALERT_EARLY = dt.timedelta(seconds=1)


def alert_backoff(failures: int) -> dt.timedelta:
    """The wait after the `failures`-th failed try: 30 s, 1 min, 2 min ... at most 15 min."""
    doublings = min(max(failures, 1) - 1, 10)
    backoff: dt.timedelta = ALERT_FIRST_BACKOFF * 2**doublings
    return min(ALERT_MAX_BACKOFF, backoff)


def next_alert_try(queued_at: dt.datetime, failures: int, now: dt.datetime) -> dt.datetime | None:
    """When to try a failed alert again, or None to give up (it has been tried for 24 hours)."""
    if now - queued_at >= ALERT_RETRY_FOR:
        return None
    return now + alert_backoff(failures) - ALERT_EARLY
