"""When a failed care-team alert is tried again."""

from __future__ import annotations

import datetime as dt

from service.domain.retries import ALERT_EARLY, alert_backoff, next_alert_try

QUEUED = dt.datetime(2027, 3, 1, 3, 0)


def test_the_backoff_doubles_from_30_seconds_up_to_15_minutes() -> None:
    waits = [alert_backoff(failures).total_seconds() for failures in range(1, 9)]
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]
    assert alert_backoff(10_000) == dt.timedelta(minutes=15)


def test_a_failed_alert_is_due_again_one_backoff_later_on_the_passes_beat() -> None:
    now = QUEUED + dt.timedelta(minutes=5)
    assert next_alert_try(QUEUED, 1, now) == now + dt.timedelta(seconds=30) - ALERT_EARLY


def test_an_alert_is_tried_for_24_hours_then_given_up() -> None:
    almost = QUEUED + dt.timedelta(hours=23, minutes=59)
    assert next_alert_try(QUEUED, 90, almost) is not None
    assert next_alert_try(QUEUED, 91, QUEUED + dt.timedelta(hours=24)) is None
