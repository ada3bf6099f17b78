"""Is this deployment healthy? What `/readyz` answers and the care page's status line says.

Ready means: the database answers, its schema is at the latest migration this code ships, and
the scheduler finished a send pass recently (it leaves a heartbeat in the database each pass).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from service.domain.clock import utcnow
from service.store import escalations, heartbeats, messages, planned
from service.store.db import Database, DatabaseUnavailable, head_revision, schema_revision
from service.store.escalations import UndeliveredWebhook
from service.store.heartbeats import Heartbeat
from service.store.planned import UndeliveredAlert


@dataclass(frozen=True)
class Readiness:
    """Whether the deployment is ready, and each check's finding in a few words."""

    ready: bool
    checks: dict[str, str] = field(default_factory=dict)


def readiness(
    database: Database, max_heartbeat_age: dt.timedelta, now: dt.datetime | None = None
) -> Readiness:
    """Check the database, the schema's migration and the scheduler's last send pass."""
    now = now or utcnow()
    head = head_revision()
    try:
        revision = schema_revision(database)
        # The heartbeat's table exists only once the schema is up to date.
        last = heartbeats.last_pass(database, heartbeats.SEND_JOB) if revision == head else None
    except DatabaseUnavailable as error:
        reason = f"unreachable ({type(error.orig).__name__})"
        return Readiness(False, {"database": reason})
    checks = {"database": "ok"}
    if revision != head:
        checks["schema"] = (
            f"at {revision or 'no migration'}, but this code needs {head}: "
            "run `boneline db upgrade`"
        )
        checks["scheduler"] = "not checked until the schema is up to date"
        return Readiness(False, checks)
    checks["schema"] = f"at the latest migration ({head})"
    scheduler_ok, checks["scheduler"] = _scheduler_check(last, max_heartbeat_age, now)
    return Readiness(scheduler_ok, checks)


def _scheduler_check(
    last: Heartbeat | None, max_age: dt.timedelta, now: dt.datetime
) -> tuple[bool, str]:
    """Whether the last send pass is recent enough, and what to say about it."""
    if last is None:
        return False, "no send pass recorded: is the scheduler process running?"
    age = now - last.finished_at
    if age > max_age:
        return False, (
            f"last send pass {_ago(age)} ago (more than {_ago(max_age)}): "
            "is the scheduler process running?"
        )
    return True, f"last send pass {_ago(age)} ago"


def _ago(age: dt.timedelta) -> str:
    """A duration in the largest unit it holds twice: `90 seconds`, `12 minutes`, `3 hours`."""
    seconds = max(int(age.total_seconds()), 0)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size} {unit}s"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


@dataclass(frozen=True)
class OperationsStatus:
    """The care page's one-line status and its red banner."""

    last_send: Heartbeat | None
    last_send_age: str
    scheduler_late: bool
    waiting: int
    sms_alerts: list[UndeliveredAlert]
    webhook_alerts: list[UndeliveredWebhook]

    @property
    def failed_alerts(self) -> int:
        """Care-team alerts (SMS or webhook) tried and not delivered, for open escalations."""
        return len(self.sms_alerts) + len(self.webhook_alerts)

    @property
    def alert_escalations(self) -> list[int]:
        """The escalations whose alert has not gone out, oldest first, each once."""
        ids = {alert.escalation_id for alert in self.sms_alerts if alert.escalation_id}
        ids |= {alert.escalation_id for alert in self.webhook_alerts}
        return sorted(ids)


def operations_status(
    database: Database, max_heartbeat_age: dt.timedelta, now: dt.datetime | None = None
) -> OperationsStatus:
    """The last send pass, the messages due and not sent yet, and the alerts that failed."""
    now = now or utcnow()
    last = heartbeats.last_pass(database, heartbeats.SEND_JOB)
    with database.Session() as session:
        waiting = planned.messages_waiting(session, now) + messages.outbox_waiting(session, now)
        sms_alerts = planned.undelivered_alerts(session)
        webhook_alerts = escalations.undelivered_webhooks(session)
    age = now - last.finished_at if last else None
    return OperationsStatus(
        last_send=last,
        last_send_age=_ago(age) if age is not None else "",
        scheduler_late=age is None or age > max_heartbeat_age,
        waiting=waiting,
        sms_alerts=sms_alerts,
        webhook_alerts=webhook_alerts,
    )
