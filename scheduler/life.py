"""The `life` job: what the calendar owes each person beyond tips, decided by `domain.life`.

Three days after the due date with no birth: "Has your baby arrived?"; two weeks after it with
still nothing: after-birth tips counted from the due date, and a text that says so; a pause's
end: a one-line welcome back; the program's end: the goodbye. Each goes out on the first slot
day (Monday, Wednesday, Friday) from then, in place of that day's tip, in the same transaction
as the change it announces: the database says what was sent, so it is never sent twice, and
nobody gets more than 1 message a day or 3 a week.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from scheduler.planning import window_zones
from service.domain.clock import local_date
from service.domain.life import (
    Candidates,
    LifeEvent,
    LifeProfile,
    LifeStep,
    life_step,
    next_status,
    window_part,
)
from service.domain.schedule import SLOT_WEEKDAYS
from service.domain.send_windows import SendWindows, send_time, utc_window
from service.store import planned, subscribers
from service.store.db import Database
from service.vocabulary import PlanStatus, Recipient, Stage, Status

log = logging.getLogger(__name__)

PAGE_SIZE = 5_000
LATEST_OFFSET = dt.timedelta(hours=14)


@dataclass
class LifeReport:
    """What one pass of the `life` job did, by step."""

    done: dict[LifeStep, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the log: each step and how many."""
        return ", ".join(f"{step.value} {count}" for step, count in sorted(self.done.items()))


def run_life(database: Database, windows: SendWindows, now: dt.datetime) -> LifeReport:
    """Do what is owed today to every active or paused person, inside their send window."""
    report = LifeReport()
    with database.engine.connect() as connection:
        planned_days = planned.planned_zone_days(connection, (now - dt.timedelta(days=2)).date())
    # The latest local date anywhere (UTC+14): no one can be owed anything later than that.
    candidates = Candidates((now + LATEST_OFFSET).date())
    for page in planned.life_pages(database, PAGE_SIZE, candidates):
        for row in page:
            today = local_date(row.time_zone, now)
            # Only on a slot day, once that day is planned (paused people have no tip to wait
            # for): the message takes the day's slot, so nobody gets more than 1 a day or 3 a week.
            planned_today = (row.time_zone, today) in planned_days or row.status is Status.PAUSED
            if today.weekday() not in SLOT_WEEKDAYS or not planned_today:
                continue
            step = life_step(_life_profile(row), today)
            if step is None:
                continue
            zones = window_zones(row.time_zone, row.phone, row.zip_code)
            window = utc_window(windows, zones, today)
            if window is None or window[1] <= now:
                # No window left today: tomorrow's pass does it, inside that day's window.
                continue
            message = _message(row, step, today, window, now)
            with database.engine.begin() as connection:
                if planned.take_day_slot(database, connection, message):
                    changes = CHANGES[step](row, today)
                    subscribers.update_subscriber(connection, row.id, changes, now)
                    report.done[step] = report.done.get(step, 0) + 1
    if report.done:
        log.info("life changes: %s", report.summary())
    return report


def _life_profile(row: Any) -> LifeProfile:
    """The domain's view of one row."""
    return LifeProfile(
        status=row.status,
        stage=row.stage,
        due_date=row.due_date,
        birth_date=row.birth_date,
        weaned_on=row.weaned_on,
        paused_until=row.paused_until,
        birth_asked_on=row.birth_asked_on,
        birth_assumed_on=row.birth_assumed_on,
        loss_on=row.loss_on,
    )


def _message(
    row: Any,
    step: LifeStep,
    today: dt.date,
    window: tuple[dt.datetime, dt.datetime],
    now: dt.datetime,
) -> dict[str, Any]:
    """The planned row that says it, in the window and the person's part of the day (now, if
    the planned minute has passed)."""
    part = window_part(window, row.time_zone, today, row.day_part)
    return {
        "subscriber_id": row.id,
        "item_key": step.value,
        "local_date": today,
        "send_at": max(now, send_time(row.id, today, part)),
        "window_end": window[1],
        "recipient": Recipient.SUBSCRIBER,
        "channel": row.channel,
        "message_id": step.value,
        "language": row.language,
        "status": PlanStatus.PLANNED,
        "attempts": 0,
        "created_at": window[0],
        "updated_at": now,
    }


def _ask_birth(row: Any, today: dt.date) -> dict[str, object]:
    """Asked today (once it is sent, a bare YES or NO answers it: `scheduler.sending`)."""
    return {"birth_asked_on": today}


def _assume_birth(row: Any, today: dt.date) -> dict[str, object]:
    """After-birth tips from now on, counted from the due date."""
    return {"stage": Stage.POSTPARTUM, "birth_date": row.due_date, "birth_assumed_on": today}


def _end_pause(row: Any, today: dt.date) -> dict[str, object]:
    """Back to their tips."""
    return {"status": next_status(row.status, LifeEvent.RESUME), "paused_until": None}


def _goodbye(row: Any, today: dt.date) -> dict[str, object]:
    """The program is over."""
    return {"status": next_status(row.status, LifeEvent.PROGRAM_ENDS) or Status.COMPLETED}


CHANGES = {
    LifeStep.ASK_BIRTH: _ask_birth,
    LifeStep.ASSUME_BIRTH: _assume_birth,
    LifeStep.END_PAUSE: _end_pause,
    LifeStep.GOODBYE: _goodbye,
}
