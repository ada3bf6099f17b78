"""The scheduler process: a few fixed jobs with stable ids, none per person."""

from __future__ import annotations

import pytest

from scheduler.main import build_scheduler
from service.store.db import Database


def test_scheduler_has_fixed_plan_life_send_and_housekeeping_jobs(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url)
    scheduler = build_scheduler()
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"plan", "life", "send", "housekeeping"}
    for job in jobs.values():
        assert job.coalesce is True and job.misfire_grace_time > 0
