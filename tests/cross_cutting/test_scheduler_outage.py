"""A scheduling pass with the database down fails cleanly; the next pass does the work."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from scheduler.jobs import housekeeping_job, plan_job, send_job
from service.store.db import Database
from service.words.texts import Texts
from tests.support.reminder_helpers import (
    RecordingSender,
    add_subscriber,
    next_due,
    planned_rows,
    scheduler_settings,
)

MONDAY_MORNING = dt.datetime(2027, 3, 1, 9)
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"


def test_passes_with_the_database_down_fail_and_the_next_pass_resumes(database: Database) -> None:
    add_subscriber(database, "+12125550101")
    settings = scheduler_settings(database)
    texts = Texts.from_settings(settings)
    sender = RecordingSender()
    down = Database(UNREACHABLE)
    try:
        for job in (
            lambda: plan_job(down, settings, MONDAY_MORNING),
            lambda: send_job(down, settings, texts, sender, MONDAY_MORNING),
            lambda: housekeeping_job(down, settings, MONDAY_MORNING),
        ):
            with pytest.raises(sa.exc.OperationalError):
                job()
    finally:
        down.dispose()
    assert planned_rows(database) == [] and sender.texts == {}

    # The database is back: the next passes plan and send, once.
    plan_job(database, settings, MONDAY_MORNING + dt.timedelta(minutes=15))
    due = next_due(database, MONDAY_MORNING + dt.timedelta(days=1))
    assert due is not None
    send_job(database, settings, texts, sender, due)
    send_job(database, settings, texts, sender, due + dt.timedelta(minutes=1))
    assert len(sender.texts) == 1
