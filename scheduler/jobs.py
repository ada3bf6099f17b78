"""The scheduler's jobs: plain functions of the database and settings, one pass each."""

from __future__ import annotations

import datetime as dt
import logging

from scheduler.alerts import deliver_pending_alerts
from scheduler.planning import PlanReport, plan
from scheduler.sending import SendJob, SendReport, mark_stale_sends_unknown
from service.config import Settings
from service.domain.clock import utcnow
from service.domain.send_windows import SendWindows
from service.gateway.sender import Sender
from service.store.db import Database
from service.words.texts import Texts

log = logging.getLogger(__name__)


def plan_job(database: Database, settings: Settings, now: dt.datetime | None = None) -> PlanReport:
    """Plan today's messages for every time zone whose local day has not been planned yet."""
    return plan(database, SendWindows.from_settings(settings), now or utcnow())


def send_job(
    database: Database,
    settings: Settings,
    texts: Texts,
    sender: Sender,
    now: dt.datetime | None = None,
) -> SendReport:
    """Send everything due (care-team SMS alerts included), then post care-team webhook alerts."""
    now = now or utcnow()
    report = SendJob(database, settings, texts, sender).run(now)
    deliver_pending_alerts(database.Session, settings, now)
    if report.sent or report.failed or report.skipped or report.cancelled:
        log.info(
            "send pass: %s sent, %s failed, %s skipped as late, %s cancelled",
            len(report.sent),
            len(report.failed),
            report.skipped,
            report.cancelled,
        )
    return report


def housekeeping_job(database: Database, settings: Settings, now: dt.datetime | None = None) -> int:
    """Turn sends a crashed process left unfinished into `unknown` (never resent)."""
    return mark_stale_sends_unknown(database, now or utcnow(), settings.SENDING_STALE_MINUTES)
