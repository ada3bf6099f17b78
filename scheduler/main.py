"""The scheduler's fixed jobs, declared once: its own process (`python -m scheduler`) and
`boneline run` both start them, never the web app (so gunicorn workers never send)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler.jobs import housekeeping_job, life_job, plan_job, send_job
from service.flows.deployment import Deployment, load_deployment
from service.gateway.error_reports import init_error_reports
from service.gateway.sender import Sender, sender_for
from service.logs import configure_logging

log = logging.getLogger(__name__)

PLAN_EVERY_MINUTES = 15
SEND_EVERY_SECONDS = 30
HOUSEKEEPING_EVERY_MINUTES = 5


@dataclass(frozen=True)
class Job:
    """One fixed job: its id, how often it runs, and how it is called."""

    id: str
    every: dt.timedelta
    run: Callable[[Deployment, Sender], Any]


def _plan(boneline: Deployment, _sender: Sender) -> Any:
    """Plan today's messages."""
    return plan_job(boneline.db, boneline.settings)


def _life(boneline: Deployment, _sender: Sender) -> Any:
    """Plan today's life-change messages (the birth question, the goodbye...)."""
    return life_job(boneline.db, boneline.settings)


def _send(boneline: Deployment, sender: Sender) -> Any:
    """Send what is due."""
    return send_job(boneline.db, boneline.settings, boneline.texts, sender)


def _housekeeping(boneline: Deployment, _sender: Sender) -> Any:
    """Mark sends a crash left unfinished."""
    return housekeeping_job(boneline.db, boneline.settings)


JOBS: tuple[Job, ...] = (
    Job("plan", dt.timedelta(minutes=PLAN_EVERY_MINUTES), _plan),
    Job("life", dt.timedelta(minutes=PLAN_EVERY_MINUTES), _life),
    Job("send", dt.timedelta(seconds=SEND_EVERY_SECONDS), _send),
    Job("housekeeping", dt.timedelta(minutes=HOUSEKEEPING_EVERY_MINUTES), _housekeeping),
)


def build_scheduler(
    kind: type[BaseScheduler] = BlockingScheduler,
    boneline: Deployment | None = None,
    sender: Sender | None = None,
) -> BaseScheduler:
    """A scheduler of `kind` holding every job, on the same settings and database as the web app."""
    if boneline is None:
        boneline = load_deployment()
    if sender is None:
        sender = sender_for(boneline.settings)
    # Each job runs once right away at start instead of waiting a whole interval.
    start = dt.datetime.now(dt.UTC)
    scheduler: BaseScheduler = kind(
        timezone="UTC",
        # A missed run is simply run once when the process is back: each pass catches up.
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    for job in JOBS:
        seconds = int(job.every.total_seconds())
        scheduler.add_job(
            job.run,
            "interval",
            seconds=seconds,
            args=(boneline, sender),
            id=job.id,
            name=job.id,
            replace_existing=True,
            misfire_grace_time=seconds,
            coalesce=True,
            next_run_time=start,
        )
    return scheduler


def build_background_scheduler(boneline: Deployment, sender: Sender) -> BackgroundScheduler:
    """The same jobs in a background thread, for `boneline run` (web and jobs in one process)."""
    return build_scheduler(BackgroundScheduler, boneline, sender)


def main() -> None:
    """Run the jobs until stopped."""
    configure_logging()
    boneline = load_deployment()
    init_error_reports(boneline.settings, "scheduler")
    scheduler = build_scheduler(boneline=boneline)
    log.info("scheduler starting: jobs %s", ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
