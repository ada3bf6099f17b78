"""The care team's webhook alerts: post each recent escalation once, oldest first.

An alert that fails is tried again with backoff (`service.domain.retries`) for 24 hours: the
escalation row records each failure and when the next try is due, so restarts and other
scheduler processes follow the same schedule. Each failure is logged at ERROR.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from service.config import Settings
from service.domain.clock import utcnow
from service.domain.retries import ALERT_RETRY_FOR, next_alert_try
from service.gateway.care_webhook import Escalation, WebhookResult, post_escalation_webhook
from service.store import escalations
from service.store.db import Sessions, transaction

log = logging.getLogger(__name__)

# An alert older than this is not sent any more: the page shows it, and a receiver that was
# down for a day should not get a flood when it comes back.
ALERT_WINDOW = ALERT_RETRY_FOR


@dataclass(frozen=True)
class WebhookPass:
    """What one run of the webhook alerts did."""

    posted: int = 0
    failed: int = 0


def deliver_pending_alerts(
    sessions: Sessions,
    settings: Settings,
    now: dt.datetime | None = None,
    *,
    post: Callable[[Settings, Escalation], WebhookResult] = post_escalation_webhook,
) -> WebhookPass:
    """Post the webhook for each recent escalation not yet alerted and due; say what happened.

    Stops at the first failure (the receiver is probably down) and leaves the rest for the
    next run, so one run never spends more than one alert's retries waiting.
    """
    if not settings.CARE_TEAM_WEBHOOK_URL:
        return WebhookPass()
    now = now or utcnow()
    posted = 0
    while True:
        # One row at a time, locked, so a second scheduler (a deploy overlap) skips it.
        with transaction(sessions) as session:
            escalation = escalations.next_unalerted(session, now - ALERT_WINDOW, now)
            if escalation is None:
                return WebhookPass(posted)
            result = post(settings, escalation)
            if result:
                escalations.mark_alerted(session, escalation.id, now)
                posted += 1
                continue
            failures = escalation.webhook_attempts + 1
            retry_at = next_alert_try(escalation.created_at, failures, now)
            # Past the window the row is no longer picked up: it stays on the page only.
            escalations.note_webhook_failure(session, escalation.id, retry_at or now, result.cause)
        if retry_at is None:
            log.error(
                "webhook alert for escalation %s: %s; NOT POSTED after %s tries in 24 hours: "
                "given up, the care page still shows it",
                escalation.id,
                result.cause,
                failures,
            )
        else:
            log.error(
                "webhook alert for escalation %s: %s; not posted yet (try %s): trying again at "
                "%s UTC",
                escalation.id,
                result.cause,
                failures,
                f"{retry_at:%Y-%m-%d %H:%M:%S}",
            )
        return WebhookPass(posted, 1)
