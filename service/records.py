"""Consent and red-flag records, written the same way from texts, calls and sends.

They take the subscriber's id, not an ORM object: the text webhook works with plain rows.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.models import ConsentAction, ConsentEvent, Escalation, Stage, Status, Subscriber


def record_consent(
    session: Session,
    subscriber_id: int | None,
    phone: str,
    action: ConsentAction,
    *,
    channel: str,
    disclosure_id: str,
    disclosure_version: str,
    language: str,
    evidence: str,
    now: dt.datetime,
) -> None:
    """Keep one consent-log entry: who, when, how, which disclosure, and what they said or did."""
    session.execute(
        sa.insert(ConsentEvent).values(
            subscriber_id=subscriber_id,
            phone=phone,
            action=action,
            channel=channel,
            disclosure_id=disclosure_id,
            disclosure_version=disclosure_version,
            language=language,
            evidence=evidence,
            occurred_at=now,
        )
    )


def record_opt_out(
    session: Session,
    subscriber: Subscriber | None,
    phone: str,
    *,
    channel: str,
    disclosure_id: str,
    disclosure_version: str,
    language: str,
    evidence: str,
    now: dt.datetime,
) -> None:
    """Suppress the number at once and log the opt-out (even for a number never enrolled)."""
    if subscriber is not None:
        subscriber.status = Status.STOPPED
        subscriber.enrollment_step = None
    record_consent(
        session,
        subscriber.id if subscriber is not None else None,
        phone,
        ConsentAction.OPT_OUT,
        channel=channel,
        disclosure_id=disclosure_id,
        disclosure_version=disclosure_version,
        language=language,
        evidence=evidence,
        now=now,
    )


def record_escalation(
    session: Session,
    subscriber_id: int | None,
    phone: str,
    *,
    stage: Stage | None,
    source: str,
    reason: str,
    detail: str,
    language: str,
    now: dt.datetime,
) -> None:
    """Record a red flag for the care team, with the person's stage when we know it."""
    session.execute(
        sa.insert(Escalation).values(
            subscriber_id=subscriber_id,
            phone=phone,
            source=source,
            reason=reason,
            detail=detail,
            language=language,
            stage=stage.value if stage else None,
            created_at=now,
        )
    )
