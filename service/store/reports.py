"""What the care team's program page counts (reads only: this module writes no table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store.models import ConsentEvent, Message, PlannedMessage, Subscriber
from service.vocabulary import ConsentAction, Direction, MessageStatus, PlanStatus, Status


def outbound_statuses_since(
    session: Session, since: dt.datetime
) -> Sequence[tuple[dt.datetime, MessageStatus]]:
    """When each outbound text or call since `since` was logged, and where it is now."""
    rows = session.execute(
        sa.select(Message.created_at, Message.status).where(
            Message.direction == Direction.OUTBOUND, Message.created_at >= since
        )
    )
    return [(created_at, status) for created_at, status in rows]


def opt_outs_since(session: Session, since: dt.datetime) -> list[dt.datetime]:
    """When each opt-out since `since` happened."""
    return list(
        session.scalars(
            sa.select(ConsentEvent.occurred_at).where(
                ConsentEvent.action == ConsentAction.OPT_OUT, ConsentEvent.occurred_at >= since
            )
        )
    )


@dataclass(frozen=True)
class SubscriberCounts:
    """Active subscribers by stage, language and channel, and everyone by status."""

    active_by_stage: dict[str, int]
    active_by_language: dict[str, int]
    active_by_channel: dict[str, int]
    by_status: dict[str, int]


def subscriber_counts(session: Session) -> SubscriberCounts:
    """Subscriber counts for the program page."""
    active = Subscriber.status == Status.ACTIVE
    return SubscriberCounts(
        active_by_stage=_count_by(session, Subscriber.stage, active),
        active_by_language=_count_by(session, Subscriber.language, active),
        active_by_channel=_count_by(session, Subscriber.channel, active),
        by_status=_count_by(session, Subscriber.status, sa.true()),
    )


def _count_by(session: Session, column: Any, where: sa.ColumnElement[bool]) -> dict[str, int]:
    """Subscriber counts grouped by one column (None becomes 'unknown'), largest first."""
    rows = session.execute(
        sa.select(column, sa.func.count()).select_from(Subscriber).where(where).group_by(column)
    ).all()
    counts = {_label(value): count for value, count in rows}
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _label(value: object) -> str:
    """An enum's value or a plain string; 'unknown' for NULL."""
    if value is None:
        return "unknown"
    return str(getattr(value, "value", value))


@dataclass(frozen=True)
class AlertTimes:
    """When the care team's SMS alert for an escalation went out, and when it was delivered."""

    sent_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None


DELIVERED = (MessageStatus.DELIVERED, MessageStatus.READ)


def sms_alert_times(session: Session, escalation_id: int) -> AlertTimes:
    """The SMS alert's send time and, once Twilio reported it, its delivery time."""
    row = session.execute(
        sa.select(Message.created_at, Message.status, Message.updated_at)
        .join(PlannedMessage, PlannedMessage.twilio_sid == Message.twilio_sid)
        .where(PlannedMessage.escalation_id == escalation_id)
        .limit(1)
    ).first()
    if row is None:
        return AlertTimes()
    sent_at, status, updated_at = row
    return AlertTimes(sent_at, updated_at if status in DELIVERED else None)


# What the text conversation logs as its answer to a back-pain check-in (and what a check-in
# call logs for the key pressed): the message ids of the two answers.
CHECKIN_ANSWERS = {"checkin_reply.pain": "yes", "checkin_reply.no_pain": "no"}


@dataclass(frozen=True)
class SentCheckin:
    """A back-pain check-in that went out: to whom, on which local day, and when."""

    subscriber_id: int | None
    local_date: dt.date
    sent_at: dt.datetime


def checkins_sent_since(session: Session, since: dt.date) -> list[SentCheckin]:
    """Check-ins (texts and calls) sent on or after the local day `since`."""
    rows = session.execute(
        sa.select(PlannedMessage.subscriber_id, PlannedMessage.local_date, PlannedMessage.send_at)
        .where(
            PlannedMessage.item_key.like("checkin.%"),
            PlannedMessage.status == PlanStatus.SENT,
            PlannedMessage.local_date >= since,
        )
        .order_by(PlannedMessage.send_at)
    )
    return [SentCheckin(*row) for row in rows]


def checkin_answers_since(
    session: Session, since: dt.datetime
) -> list[tuple[int | None, dt.datetime, str]]:
    """Each logged answer to a check-in since `since`: who, when, and "yes" or "no"."""
    rows = session.execute(
        sa.select(Message.subscriber_id, Message.created_at, Message.message_id)
        .where(Message.message_id.in_(list(CHECKIN_ANSWERS)), Message.created_at >= since)
        .order_by(Message.created_at)
    )
    return [(who, when, CHECKIN_ANSWERS[str(message_id)]) for who, when, message_id in rows]
