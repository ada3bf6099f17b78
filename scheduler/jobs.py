"""The scheduler's jobs: plain functions of the database and settings, one pass each."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from scheduler.alerts import deliver_pending_alerts
from scheduler.life import LifeReport, run_life
from scheduler.planning import PlanReport, plan
from scheduler.sending import SendJob, SendReport, mark_stale_sends_unknown
from service.config import Settings
from service.domain.clock import utcnow
from service.domain.send_windows import SendWindows
from service.gateway.sender import Sender
from service.store import heartbeats
from service.store.db import Database
from service.words.texts import Texts

log = logging.getLogger(__name__)


def plan_job(database: Database, settings: Settings, now: dt.datetime | None = None) -> PlanReport:
    """Plan today's messages for every time zone whose local day has not been planned yet."""
    return plan(database, SendWindows.from_settings(settings), now or utcnow())


def life_job(database: Database, settings: Settings, now: dt.datetime | None = None) -> LifeReport:
    """Ask about a birth nobody reported, assume it after two weeks, end pauses, say goodbye."""
    return run_life(database, SendWindows.from_settings(settings), now or utcnow())


def send_job(
    database: Database,
    settings: Settings,
    texts: Texts,
    sender: Sender,
    now: dt.datetime | None = None,
) -> SendReport:
    """Send everything due (care-team SMS alerts included), then post care-team webhook alerts;
    log every outcome and leave the pass's heartbeat in the database."""
    now = now or utcnow()

    def alive(so_far: SendReport) -> None:
        heartbeats.record_pass(
            database, heartbeats.SEND_JOB, utcnow(), this_process(), "sending: " + so_far.summary()
        )

    report = SendJob(database, settings, texts, sender, progress=alive).run(now)
    webhooks = deliver_pending_alerts(database.Session, settings, now)
    report.webhooks_posted, report.webhooks_failed = webhooks.posted, webhooks.failed
    summary = report.summary()
    if report.did_anything:
        log.info("send pass: %s", summary)
    # The wall clock, not `now`: a `boneline tick --now` in the past or future is still a pass.
    heartbeats.record_pass(database, heartbeats.SEND_JOB, utcnow(), this_process(), summary)
    return report


def this_process() -> str:
    """Which process ran a pass: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def housekeeping_job(database: Database, settings: Settings, now: dt.datetime | None = None) -> int:
    """Turn sends a crashed process left unfinished into `unknown` (never resent)."""
    return mark_stale_sends_unknown(database, now or utcnow(), settings.SENDING_STALE_MINUTES)
