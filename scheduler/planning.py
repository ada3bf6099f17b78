"""Planning: turn the schedule into `planned_messages` rows for each person's local today.

One streaming pass over active subscribers (keyset pages), the schedule evaluated in Python,
rows written in bulk with INSERT ... ON CONFLICT DO NOTHING, so re-running is harmless and
memory stays flat however many subscribers there are. A (time zone, local date) is planned once;
`plan_runs` remembers which.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from scheduler.schedule import due_on
from scheduler.windows import SendWindows, local_date, send_time, utc_window
from service.db import Base, Database
from service.models import (
    Channel,
    PlanStatus,
    Recipient,
    Status,
)
from service.phones import area_code_time_zones

log = logging.getLogger(__name__)

PAGE_SIZE = 5_000

subscribers = Base.metadata.tables["subscribers"]
planned_messages = Base.metadata.tables["planned_messages"]
plan_runs = Base.metadata.tables["plan_runs"]


@dataclass
class PlanReport:
    """What one planning pass did."""

    planned: int = 0
    zones: dict[tuple[str, dt.date], int] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


def insert_ignoring_duplicates(database: Database, table: sa.Table) -> Any:
    """An INSERT that silently skips rows a unique constraint already holds."""
    if database.is_postgresql:
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def write_planned(
    database: Database, connection: sa.Connection, rows: list[dict[str, Any]]
) -> None:
    """Insert planned rows, skipping any already there (COPY + INSERT ... SELECT on PostgreSQL)."""
    if not database.is_postgresql:
        connection.execute(insert_ignoring_duplicates(database, planned_messages), rows)
        return
    # COPY into a scratch table is several times faster than row-by-row INSERTs over the wire.
    names = list(rows[0])
    column_list = ", ".join(names)
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS planned_batch "
        "(LIKE planned_messages INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    cursor = connection.connection.cursor()
    with cursor.copy(f"COPY planned_batch ({column_list}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_plain(row[name]) for name in names])
    connection.exec_driver_sql(
        f"INSERT INTO planned_messages ({column_list}) SELECT {column_list} FROM planned_batch "
        "ON CONFLICT DO NOTHING"
    )


def _plain(value: Any) -> Any:
    """Enum members as their stored text, everything else as is."""
    return value.value if isinstance(value, enum.Enum) else value


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
    for page in _active_pages(database, page_size):
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
            planned = _plan_one(row, today, windows)
            if planned is not None:
                rows.append(planned)
                report.zones[key] = count + 1
        report.planned += len(rows)
        if dry_run:
            report.rows.extend(rows)
        elif rows:
            with database.engine.begin() as connection:
                write_planned(database, connection, rows)
    if not dry_run and report.zones:
        with database.engine.begin() as connection:
            connection.execute(
                insert_ignoring_duplicates(database, plan_runs),
                [
                    {"time_zone": zone, "local_date": day, "planned": count, "created_at": now}
                    for (zone, day), count in report.zones.items()
                ],
            )
    log.info("planned %s messages for %s zone days", report.planned, len(report.zones))
    return report


def _plan_one(row: Any, today: dt.date, windows: SendWindows) -> dict[str, Any] | None:
    """The planned row for one person today, or None when nothing is due or no window."""
    due = due_on(row.stage, row.due_date, row.birth_date, today)
    if due is None:
        return None
    window = utc_window(windows, window_zones(row.time_zone, row.phone, row.zip_code), today)
    if window is None:
        return None
    return {
        "subscriber_id": row.id,
        "item_key": due.key,
        "local_date": today,
        "send_at": send_time(row.id, today, window),
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


def _planned_zone_days(database: Database, now: dt.datetime) -> set[tuple[str, dt.date]]:
    """The (time zone, local date) pairs already planned around now."""
    since = (now - dt.timedelta(days=2)).date()
    with database.engine.connect() as connection:
        found = connection.execute(
            sa.select(plan_runs.c.time_zone, plan_runs.c.local_date).where(
                plan_runs.c.local_date >= since
            )
        )
        return {(zone, day) for zone, day in found}


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
        return list(
            connection.scalars(
                sa.select(subscribers.c.time_zone)
                .where(subscribers.c.status == Status.ACTIVE)
                .distinct()
            )
        )


def _active_pages(database: Database, page_size: int) -> Iterator[Sequence[Any]]:
    """Active subscribers who can be reached, a page at a time in id order."""
    columns = (
        subscribers.c.id,
        subscribers.c.phone,
        subscribers.c.zip_code,
        subscribers.c.time_zone,
        subscribers.c.stage,
        subscribers.c.due_date,
        subscribers.c.birth_date,
        subscribers.c.language,
        subscribers.c.channel,
    )
    last_id = 0
    while True:
        query = (
            sa.select(*columns)
            .where(
                subscribers.c.id > last_id,
                subscribers.c.status == Status.ACTIVE,
                subscribers.c.stage.is_not(None),
                sa.or_(
                    subscribers.c.number_invalid_at.is_(None),
                    subscribers.c.channel == Channel.VOICE,
                ),
            )
            .order_by(subscribers.c.id)
            .limit(page_size)
        )
        with database.engine.connect() as connection:
            page = connection.execute(query).all()
        if not page:
            return
        yield page
        last_id = page[-1].id
