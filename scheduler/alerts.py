"""The care team's webhook alerts: post each recent escalation once, oldest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from service.config import Settings
from service.domain.clock import utcnow
from service.gateway.care_webhook import Escalation, post_escalation_webhook
from service.store import escalations
from service.store.db import Sessions, transaction

# An alert older than this is not sent any more: the page shows it, and a receiver that was
# down for a day should not get a flood when it comes back.
ALERT_WINDOW = dt.timedelta(hours=24)


def deliver_pending_alerts(
    sessions: Sessions,
    settings: Settings,
    now: dt.datetime | None = None,
    *,
    post: Callable[[Settings, Escalation], bool] = post_escalation_webhook,
) -> int:
    """Post the webhook for each recent escalation not yet alerted; return how many went.

    Stops at the first failure (the receiver is probably down) and leaves the rest for the
    next run, so one run never spends more than one alert's retries waiting.
    """
    if not settings.CARE_TEAM_WEBHOOK_URL:
        return 0
    now = now or utcnow()
    delivered = 0
    while True:
        # One row at a time, locked, so a second scheduler (a deploy overlap) skips it.
        with transaction(sessions) as session:
            escalation = escalations.next_unalerted(session, now - ALERT_WINDOW)
            if escalation is None or not post(settings, escalation):
                return delivered
            escalations.mark_alerted(session, escalation.id, now)
            delivered += 1
