"""Helpers for scheduler tests: settings, subscribers, a recording sender, time travel."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from typing import Any

import sqlalchemy as sa

from scheduler.planning import plan
from scheduler.sending import SendJob, SendReport
from service.config import Settings, load_settings
from service.domain.send_windows import SendWindows
from service.store.db import Database
from service.store.models import PlannedMessage, Subscriber
from service.vocabulary import Channel, PlanStatus, Stage, Status
from service.words.texts import Texts


def scheduler_settings(database: Database, **overrides: Any) -> Settings:
    """Settings for scheduler tests: no real Twilio, a public URL, no pauses between retries."""
    values = {
        "DATABASE_URL": database.url,
        "PUBLIC_BASE_URL": "https://boneline.example.org",
        "PROGRAM_NAME": "BoneLine",
        "ORGANIZATION_NAME": "Test Clinic",
        "SUPPORT_CONTACT": "555-0100",
        "SEND_RATE_PER_SECOND": 1000,
        **overrides,
    }
    return load_settings(values, environ={})


class RecordingSender:
    """Our sender boundary, replaced: records every text and call, can be slowed or made to fail."""

    def __init__(self, delay: float = 0.0) -> None:
        """Answer after `delay` seconds, like a REST round trip."""
        self.delay = delay
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        self.texts: dict[str, tuple[str, str]] = {}
        self.calls: dict[str, tuple[str, str]] = {}
        self.errors: list[Exception] = []

    def send_sms(self, to: str, body: str) -> str:
        """Record a text."""
        return self._record(self.texts, "SM", to, body)

    def place_call(self, to: str, url: str) -> str:
        """Record a call."""
        return self._record(self.calls, "CA", to, url)

    def _record(self, store: dict[str, tuple[str, str]], prefix: str, to: str, what: str) -> str:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            if self.errors:
                raise self.errors.pop(0)
            sid = f"{prefix}{next(self.counter):032x}"
            store[sid] = (to, what)
            return sid

    def close(self) -> None:
        """Nothing to close."""


def add_subscriber(
    database: Database,
    phone: str,
    time_zone: str = "America/New_York",
    language: str = "en",
    stage: Stage | None = Stage.PREGNANT,
    due_date: dt.date | None = dt.date(2027, 3, 1),
    birth_date: dt.date | None = None,
    channel: Channel = Channel.SMS,
    zip_code: str | None = None,
) -> int:
    """An active subscriber; returns the id."""
    with database.Session.begin() as session:
        subscriber = Subscriber(
            phone=phone,
            time_zone=time_zone,
            language=language,
            stage=stage,
            due_date=due_date,
            birth_date=birth_date,
            channel=channel,
            zip_code=zip_code,
            status=Status.ACTIVE,
        )
        session.add(subscriber)
        session.flush()
        return subscriber.id


def next_due(database: Database, before: dt.datetime) -> dt.datetime | None:
    """The earliest planned send time before `before`, if any."""
    with database.engine.connect() as connection:
        found: dt.datetime | None = connection.scalar(
            sa.select(sa.func.min(PlannedMessage.send_at)).where(
                PlannedMessage.status == PlanStatus.PLANNED, PlannedMessage.send_at < before
            )
        )
        return found


def travel_one_day(
    database: Database,
    settings: Settings,
    texts: Texts,
    sender: RecordingSender,
    day: dt.date,
    events: dict[dt.date, Any] | None = None,
) -> list[tuple[dt.datetime, SendReport]]:
    """Plan at 08:00 UTC, run that day's events at 09:00, then send at each planned time."""
    start = dt.datetime.combine(day, dt.time(8))
    plan(database, SendWindows.from_settings(settings), start)
    if events and day in events:
        events[day](start + dt.timedelta(hours=1))
    job = SendJob(database, settings, texts, sender, sleep=lambda _: None)
    passes = []
    while (moment := next_due(database, start + dt.timedelta(days=1))) is not None:
        passes.append((moment, job.run(moment)))
    return passes


def planned_rows(database: Database) -> list[PlannedMessage]:
    """Every planned row, oldest first."""
    with database.Session() as session:
        return list(session.scalars(sa.select(PlannedMessage).order_by(PlannedMessage.id)))
