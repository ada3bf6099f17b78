"""Planning: turn the schedule into `planned_messages` rows for each person's local today.

One streaming pass over active subscribers (keyset pages), the schedule evaluated in Python,
rows written in bulk with INSERT ... ON CONFLICT DO NOTHING, so re-running is harmless and
memory stays flat however many subscribers there are. A (time zone, local date) is planned once;
`plan_runs` remembers which.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from service.domain.clock import local_date
from service.domain.life import window_part
from service.domain.phones import area_code_time_zones
from service.domain.schedule import Due, ScheduleProfile, due_on
from service.domain.send_windows import SendWindows, send_time, utc_window
from service.store import planned
from service.store.db import Database
from service.vocabulary import PlanStatus, Recipient, Stage, Track

log = logging.getLogger(__name__)

PAGE_SIZE = 5_000


@dataclass
class PlanReport:
    """What one planning pass did."""

    planned: int = 0
    zones: dict[tuple[str, dt.date], int] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


@lru_cache(maxsize=2048)
def _area_code_zone(prefix: str) -> str | None:
    """The one time zone of a North American area code (None when it spans several)."""
    zones = area_code_time_zones(prefix + "5550100")
    return zones[0] if len(zones) == 1 else None


def window_zones(time_zone: str, phone: str, zip_code: str | None) -> tuple[str, ...]:
    """The zones whose window must hold: the ZIP's, and the area code's when they disagree."""
    if not zip_code or not phone.startswith("+1") or len(phone) != 12:
        return (time_zone,)
    return _zones_with_area_code(time_zone, phone[:5])


@lru_cache(maxsize=4096)
def _zones_with_area_code(time_zone: str, prefix: str) -> tuple[str, ...]:
    """The ZIP's zone, plus the area code's when it is another one."""
    other = _area_code_zone(prefix)
    if other is None or other == time_zone:
        return (time_zone,)
    return (time_zone, other)


def plan(
    database: Database,
    windows: SendWindows,
    now: dt.datetime,
    dry_run: bool = False,
    page_size: int = PAGE_SIZE,
) -> PlanReport:
    """Plan each active person's message for their local today (once per zone and day)."""
    report = PlanReport()
    done = _planned_zone_days(database, now)
    zones = [zone for zone in _zones(database) if _local_date_or_none(zone, now)]
    if not dry_run and all((zone, local_date(zone, now)) in done for zone in zones):
        return report
    today_by_zone: dict[str, dt.date | None] = {}
    taken = planned.life_days(database, now - dt.timedelta(days=2))
    for page in planned.reachable_pages(database, page_size):
        rows = []
        for row in page:
            zone = row.time_zone
            today = today_by_zone.get(zone)
            if today is None:
                today = today_by_zone[zone] = _local_date_or_none(zone, now)
            if today is None:
                continue
            key = (zone, today)
            if key in done:
                continue
            count = report.zones.setdefault(key, 0)
            new_row = None if today in taken.get(row.id, ()) else _plan_one(row, today, windows)
            if new_row is not None:
                rows.append(new_row)
                report.zones[key] = count + 1
        report.planned += len(rows)
        if dry_run:
            report.rows.extend(rows)
        elif rows:
            with database.engine.begin() as connection:
                planned.write_planned(database, connection, rows)
    if not dry_run and report.zones:
        with database.engine.begin() as connection:
            planned.record_planned_days(database, connection, report.zones, now)
    log.info(
        "%s %s messages for %s zone days",
        "would plan" if dry_run else "planned",
        report.planned,
        len(report.zones),
    )
    return report


def _plan_one(row: Any, today: dt.date, windows: SendWindows) -> dict[str, Any] | None:
    """The planned row for one person today, or None when nothing is due or no window."""
    due = _due(*row[planned.PROFILE_FIELDS], today)
    if due is None:
        return None
    window = utc_window(windows, window_zones(row.time_zone, row.phone, row.zip_code), today)
    if window is None:
        return None
    return {
        "subscriber_id": row.id,
        "item_key": due.key,
        "local_date": today,
        # Inside the window, in the part of the day the person chose (MORNING...).
        "send_at": send_time(
            row.id, today, window_part(window, row.time_zone, today, row.day_part)
        ),
        "window_end": window[1],
        "recipient": Recipient.SUBSCRIBER,
        "channel": row.channel,
        "message_id": due.message_id,
        "language": row.language,
        "status": PlanStatus.PLANNED,
        "attempts": 0,
        "created_at": window[0],
        "updated_at": window[0],
    }


def schedule_profile(row: Any) -> ScheduleProfile:
    """What the schedule needs from a subscriber row."""
    return ScheduleProfile(
        stage=row.stage,
        due_date=row.due_date,
        birth_date=row.birth_date,
        breastfeeding=row.breastfeeding,
        weaned_on=row.weaned_on,
        track=row.track,
    )


# Planning a million people meets only a few thousand distinct questions: answer each once,
# without building a profile for every row (that alone cost 3.5 us a row).
@lru_cache(maxsize=65_536)
def _due(
    stage: Stage | None,
    due_date: dt.date | None,
    birth_date: dt.date | None,
    breastfeeding: bool | None,
    weaned_on: dt.date | None,
    track: Track,
    today: dt.date,
) -> Due | None:
    """What the schedule says for one combination of a subscriber row's fields and a day."""
    profile = ScheduleProfile(stage, due_date, birth_date, breastfeeding, weaned_on, track)
    return due_on(profile, today)


def _planned_zone_days(database: Database, now: dt.datetime) -> set[tuple[str, dt.date]]:
    """The (time zone, local date) pairs already planned around now."""
    with database.engine.connect() as connection:
        return planned.planned_zone_days(connection, (now - dt.timedelta(days=2)).date())


def _local_date_or_none(time_zone: str, now: dt.datetime) -> dt.date | None:
    """The local date, or None (logged) for a time zone name the system does not know."""
    try:
        return local_date(time_zone, now)
    except (ZoneInfoNotFoundError, ValueError):
        log.error("unknown time zone %r: its subscribers are not planned", time_zone)
        return None


def _zones(database: Database) -> list[str]:
    """The time zones active subscribers live in."""
    with database.engine.connect() as connection:
        return planned.active_zones(connection)
