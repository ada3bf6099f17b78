"""Entry point of the scheduler process: a few fixed jobs, no job per person."""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler.jobs import housekeeping_job, plan_job, send_job
from service import create_app
from service.sender import sender_for

log = logging.getLogger(__name__)

PLAN_EVERY_MINUTES = 15
SEND_EVERY_SECONDS = 30
HOUSEKEEPING_EVERY_MINUTES = 5


def build_scheduler() -> BlockingScheduler:
    """The scheduler with its fixed jobs, wired like the web app (same settings and database)."""
    boneline = create_app().extensions["boneline"]
    settings, database = boneline.settings, boneline.db
    sender = sender_for(settings)
    # Each job runs once right away at start instead of waiting a whole interval.
    start = dt.datetime.now(dt.UTC)
    scheduler = BlockingScheduler(
        timezone="UTC",
        # A missed run is simply run once when the process is back: each pass catches up.
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    scheduler.add_job(
        plan_job,
        "interval",
        minutes=PLAN_EVERY_MINUTES,
        args=(database, settings),
        id="plan",
        replace_existing=True,
        misfire_grace_time=PLAN_EVERY_MINUTES * 60,
        coalesce=True,
        next_run_time=start,
    )
    scheduler.add_job(
        send_job,
        "interval",
        seconds=SEND_EVERY_SECONDS,
        args=(database, settings, boneline.texts, sender),
        id="send",
        replace_existing=True,
        misfire_grace_time=SEND_EVERY_SECONDS,
        coalesce=True,
        next_run_time=start,
    )
    scheduler.add_job(
        housekeeping_job,
        "interval",
        minutes=HOUSEKEEPING_EVERY_MINUTES,
        args=(database, settings),
        id="housekeeping",
        replace_existing=True,
        misfire_grace_time=HOUSEKEEPING_EVERY_MINUTES * 60,
        coalesce=True,
        next_run_time=start,
    )
    return scheduler


def main() -> None:
    """Run the jobs until stopped."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    scheduler = build_scheduler()
    log.info("scheduler starting: jobs %s", ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
