"""The `scheduler_heartbeats` table (each scheduler job's last finished pass): the one module
that writes it. `/readyz` and the care page's status line read it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store.db import Database
from service.store.models import SchedulerHeartbeat
from service.store.planned import insert_ignoring_duplicates

HEARTBEATS = cast(sa.Table, SchedulerHeartbeat.__table__)
MAX_SUMMARY = 400
# The job whose heartbeat says the scheduler is sending (`/readyz`, the care page).
SEND_JOB = "send"


@dataclass(frozen=True)
class Heartbeat:
    """When a job last finished a pass, where, and what it did."""

    job: str
    finished_at: dt.datetime
    process: str
    summary: str


def record_pass(
    database: Database, job: str, finished_at: dt.datetime, process: str, summary: str
) -> None:
    """Note that `job` finished a pass (one row per job, overwritten each pass)."""
    values = {
        "job": job,
        "finished_at": finished_at,
        "process": process[:128],
        "summary": summary[:MAX_SUMMARY],
    }
    with database.engine.begin() as connection:
        updated = connection.execute(
            sa.update(HEARTBEATS).where(HEARTBEATS.c.job == job).values(values)
        )
        if not updated.rowcount:
            # Two processes racing for the first row: one insert wins, the other is a no-op.
            connection.execute(insert_ignoring_duplicates(database, HEARTBEATS), [values])


def last_pass(database: Database, job: str) -> Heartbeat | None:
    """The last finished pass of `job`, or None if it never ran against this database."""
    with database.engine.connect() as connection:
        return _last_pass(connection, job)


def _last_pass(connection: sa.Connection | Session, job: str) -> Heartbeat | None:
    """The last finished pass of `job`, read on an open connection."""
    row = connection.execute(
        sa.select(
            HEARTBEATS.c.job, HEARTBEATS.c.finished_at, HEARTBEATS.c.process, HEARTBEATS.c.summary
        ).where(HEARTBEATS.c.job == job)
    ).first()
    return Heartbeat(*row) if row else None
