"""What the care team's program page counts (reads only: this module writes no table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.domain.vocabulary import ConsentAction, Direction, MessageStatus, Status
from service.store.models import ConsentEvent, Message, Subscriber


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
