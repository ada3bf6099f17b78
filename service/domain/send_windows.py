"""Send windows: when, in a person's local time, a scheduled message may go out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from service.config import Settings

# Never outside these local hours, whatever the configuration says (Florida, Oklahoma).
EARLIEST = dt.time(8, 0)
LATEST = dt.time(20, 0)
SATURDAY, SUNDAY = 5, 6


@dataclass(frozen=True)
class LocalWindow:
    """A daily local window, start inclusive, end exclusive."""

    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class SendWindows:
    """The local windows for weekdays, Saturday and Sunday (None = no sends that day)."""

    weekdays: LocalWindow | None
    saturday: LocalWindow | None
    sunday: LocalWindow | None

    @classmethod
    def from_settings(cls, settings: Settings) -> SendWindows:
        """Read the three windows from settings, clamped to 08:00-20:00."""
        return cls(
            parse_window(settings.SEND_WINDOW_WEEKDAYS),
            parse_window(settings.SEND_WINDOW_SATURDAY),
            parse_window(settings.SEND_WINDOW_SUNDAY),
        )

    def local(self, date: dt.date) -> LocalWindow | None:
        """The local window on that calendar day."""
        weekday = date.weekday()
        if weekday == SUNDAY:
            return self.sunday
        if weekday == SATURDAY:
            return self.saturday
        return self.weekdays


def parse_window(text: str) -> LocalWindow | None:
    """Read "HH:MM-HH:MM" and clamp it to 08:00-20:00; "" or an empty range means none."""
    text = text.strip()
    if not text:
        return None
    first, _, last = text.partition("-")
    start = max(dt.time.fromisoformat(first.strip()), EARLIEST)
    end = min(dt.time.fromisoformat(last.strip()), LATEST)
    return LocalWindow(start, end) if start < end else None


@lru_cache(maxsize=4096)
def utc_window(
    windows: SendWindows, time_zones: tuple[str, ...], date: dt.date
) -> tuple[dt.datetime, dt.datetime] | None:
    """The naive-UTC interval inside the window in every one of `time_zones` (the strictest)."""
    local = windows.local(date)
    if local is None:
        return None
    start, end = dt.datetime.min, dt.datetime.max
    for name in time_zones:
        zone = ZoneInfo(name)
        start = max(start, _to_utc(dt.datetime.combine(date, local.start, zone)))
        end = min(end, _to_utc(dt.datetime.combine(date, local.end, zone)))
    return (start, end) if start < end else None


def _to_utc(moment: dt.datetime) -> dt.datetime:
    """Naive UTC, as stored."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def spread_minute(subscriber_id: int, date: dt.date, minutes: int) -> int:
    """A stable minute offset in [0, minutes) so a day's sends spread over the window."""
    mixed = (subscriber_id * 2654435761 + date.toordinal() * 40503) & 0xFFFFFFFF
    mixed ^= mixed >> 16
    mixed = (mixed * 0x45D9F3B) & 0xFFFFFFFF
    mixed ^= mixed >> 16
    return mixed % max(minutes, 1)


def send_time(
    subscriber_id: int, date: dt.date, window: tuple[dt.datetime, dt.datetime]
) -> dt.datetime:
    """When one person's message goes out that day: somewhere in the window, the same each run."""
    start, end = window
    minutes = int((end - start).total_seconds() // 60)
    return start + dt.timedelta(minutes=spread_minute(subscriber_id, date, minutes))
