"""The `escalations` table (red flags for the care team): the one module that writes it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store import subscribers
from service.store.models import Escalation
from service.understanding import Urgency
from service.vocabulary import EscalationSource, Stage

ESCALATIONS = cast(sa.Table, Escalation.__table__)
ERASED_DETAIL = "(erased at the person's request)"
MAX_NAME = 64
MAX_NOTE = 2000


def record_escalation(
    connection: sa.Connection | Session,
    subscriber_id: int | None,
    phone: str,
    *,
    stage: Stage | None,
    source: EscalationSource,
    reason: str,
    urgency: Urgency | None,
    detail: str,
    language: str,
    now: dt.datetime,
) -> None:
    """Record something for the care team: a warning sign's family (a `SafetyFamily`) and its
    urgency, or another reason to follow up (a loss, no urgency); with the person's stage when
    we know it."""
    connection.execute(
        sa.insert(ESCALATIONS).values(
            subscriber_id=subscriber_id,
            phone=phone,
            source=source,
            reason=str(reason),
            urgency=urgency,
            detail=detail,
            language=language,
            stage=stage.value if stage else None,
            created_at=now,
        )
    )


def get(session: Session, escalation_id: int) -> Escalation | None:
    """One escalation, or None."""
    return session.get(Escalation, escalation_id)


def open_escalations(session: Session) -> Sequence[Escalation]:
    """Escalations nobody has handled yet, newest first."""
    return session.scalars(
        sa.select(Escalation)
        .where(Escalation.handled_at.is_(None))
        .order_by(Escalation.created_at.desc(), Escalation.id.desc())
    ).all()


def handled_escalations(
    session: Session,
    *,
    last4: str,
    words: str,
    since: dt.datetime | None,
    before: dt.datetime | None,
    limit: int,
) -> Sequence[Escalation]:
    """Handled escalations matching a search (empty parts match all), last handled first."""
    query = sa.select(Escalation).where(Escalation.handled_at.is_not(None))
    if last4:
        query = query.where(Escalation.phone.endswith(last4, autoescape=True))
    for word in words.split():
        pattern = f"%{_escape_like(word)}%"
        query = query.where(
            sa.or_(
                Escalation.detail.ilike(pattern, escape="\\"),
                Escalation.note.ilike(pattern, escape="\\"),
                Escalation.reason.ilike(pattern, escape="\\"),
            )
        )
    if since:
        query = query.where(Escalation.created_at >= since)
    if before:
        query = query.where(Escalation.created_at < before)
    query = query.order_by(Escalation.handled_at.desc(), Escalation.id.desc()).limit(limit)
    return session.scalars(query).all()


def _escape_like(text: str) -> str:
    """Make % and _ in a search word match themselves."""
    return re.sub(r"([\\%_])", r"\\\1", text)


def mark_handled(
    session: Session, escalation_id: int, handled_by: str, note: str, now: dt.datetime
) -> bool | None:
    """Record who handled it, when, and their note; None if there is no such escalation,
    False if someone handled it first (the first one wins)."""
    escalation = session.get(Escalation, escalation_id, with_for_update=True)
    if escalation is None:
        return None
    if escalation.handled_at is not None:
        return False
    escalation.handled_at = now
    escalation.handled_by = handled_by[:MAX_NAME]
    escalation.note = note.strip()[:MAX_NOTE]
    return True


def note_first_view(session: Session, escalation_id: int, name: str, now: dt.datetime) -> bool:
    """When someone on the care team first opened the escalation, and who; later views change
    nothing. Whether this was the first."""
    changed = session.execute(
        sa.update(ESCALATIONS)
        .where(ESCALATIONS.c.id == escalation_id, ESCALATIONS.c.first_viewed_at.is_(None))
        .values(first_viewed_at=now, first_viewed_by=name[:MAX_NAME])
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Reported:
    """What the program page counts of one escalation."""

    id: int
    reason: str
    created_at: dt.datetime
    handled_at: dt.datetime | None


def reported_since(session: Session, since: dt.datetime) -> list[Reported]:
    """Escalations reported since `since`, oldest first."""
    rows = session.execute(
        sa.select(
            ESCALATIONS.c.id,
            ESCALATIONS.c.reason,
            ESCALATIONS.c.created_at,
            ESCALATIONS.c.handled_at,
        )
        .where(ESCALATIONS.c.created_at >= since)
        .order_by(ESCALATIONS.c.created_at, ESCALATIONS.c.id)
    )
    return [Reported(*row) for row in rows]


def next_unalerted(session: Session, since: dt.datetime, now: dt.datetime) -> Escalation | None:
    """The oldest recent escalation whose webhook alert has not gone and is due to be tried
    (never tried, or its backoff has passed), locked for this process."""
    return session.scalars(
        sa.select(Escalation)
        .where(
            Escalation.alerted_at.is_(None),
            Escalation.created_at >= since,
            sa.or_(Escalation.webhook_next_at.is_(None), Escalation.webhook_next_at <= now),
        )
        .order_by(Escalation.created_at, Escalation.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def mark_alerted(session: Session, escalation_id: int, now: dt.datetime) -> None:
    """The care team's webhook took the alert."""
    session.execute(
        sa.update(ESCALATIONS)
        .where(ESCALATIONS.c.id == escalation_id)
        .values(alerted_at=now, webhook_next_at=None)
    )


def note_webhook_failure(
    session: Session, escalation_id: int, next_try_at: dt.datetime, error: str
) -> None:
    """The webhook alert failed once more: count it, say why, and when to try again."""
    session.execute(
        sa.update(ESCALATIONS)
        .where(ESCALATIONS.c.id == escalation_id)
        .values(
            webhook_attempts=ESCALATIONS.c.webhook_attempts + 1,
            webhook_next_at=next_try_at,
            webhook_error=error[:200],
        )
    )


@dataclass(frozen=True)
class UndeliveredWebhook:
    """A webhook alert that failed at least once and has not been taken yet."""

    escalation_id: int
    attempts: int
    next_try_at: dt.datetime | None
    last_error: str
    created_at: dt.datetime


def undelivered_webhooks(connection: sa.Connection | Session) -> list[UndeliveredWebhook]:
    """Webhook alerts tried and not taken, for escalations nobody has handled yet."""
    rows = connection.execute(
        sa.select(
            ESCALATIONS.c.id,
            ESCALATIONS.c.webhook_attempts,
            ESCALATIONS.c.webhook_next_at,
            ESCALATIONS.c.webhook_error,
            ESCALATIONS.c.created_at,
        )
        .where(
            ESCALATIONS.c.alerted_at.is_(None),
            ESCALATIONS.c.webhook_attempts > 0,
            ESCALATIONS.c.handled_at.is_(None),
        )
        .order_by(ESCALATIONS.c.id)
    ).all()
    return [
        UndeliveredWebhook(escalation_id, attempts, next_at, error or "", created)
        for escalation_id, attempts, next_at, error, created in rows
    ]


def recent_without_alert(
    connection: sa.Connection | Session, since: dt.datetime, alerted_ids: sa.Select[tuple[int]]
) -> list[int]:
    """Recent escalations not among `alerted_ids` (those that already have an SMS alert)."""
    return list(
        connection.execute(
            sa.select(ESCALATIONS.c.id).where(
                ESCALATIONS.c.created_at >= since, ESCALATIONS.c.id.not_in(alerted_ids)
            )
        ).scalars()
    )


def erase_by_phone(connection: sa.Connection | Session, phone: str) -> None:
    """Red flags keep only what counts them (reason, when, how handled), never who or what."""
    erased_note = sa.case((ESCALATIONS.c.note.is_not(None), ERASED_DETAIL), else_=None)
    connection.execute(
        sa.update(ESCALATIONS)
        .where(
            sa.or_(
                ESCALATIONS.c.phone == phone,
                ESCALATIONS.c.subscriber_id.in_(subscribers.ids_of_phone(phone)),
            )
        )
        .values(phone="", detail=ERASED_DETAIL, note=erased_note, subscriber_id=None)
    )
