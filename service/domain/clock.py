"""Time as BoneLine keeps it: naive UTC when stored, the person's own calendar day when deciding."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def utcnow() -> dt.datetime:
    """The current UTC time, naive, as stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local_date(time_zone: str, now: dt.datetime) -> dt.date:
    """The calendar day in `time_zone` at the naive-UTC instant `now`."""
    return now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(time_zone)).date()
