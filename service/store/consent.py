"""The consent log (`consent_events`): the one module that writes it.

Every opt-in and opt-out, from texts, calls and the carrier, is kept here with the number, the
time, the channel, the disclosure and its version, and what the person said or did.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.store import subscribers
from service.store.models import ConsentEvent
from service.vocabulary import ConsentAction, ConsentChannel, Status

CONSENT_EVENTS = cast(sa.Table, ConsentEvent.__table__)


def record_consent(
    connection: sa.Connection | Session,
    subscriber_id: int | None,
    phone: str,
    action: ConsentAction,
    *,
    channel: ConsentChannel,
    disclosure_id: str,
    disclosure_version: str,
    language: str,
    evidence: str,
    now: dt.datetime,
    catalog_version: str | None = None,
) -> None:
    """Keep one consent-log entry: who, when, how, which disclosure (and the catalog version it
    came from), and what they said or did."""
    connection.execute(
        sa.insert(CONSENT_EVENTS).values(
            subscriber_id=subscriber_id,
            phone=phone,
            action=action,
            channel=channel,
            disclosure_id=disclosure_id,
            disclosure_version=disclosure_version,
            language=language,
            evidence=evidence,
            occurred_at=now,
            catalog_version=catalog_version,
        )
    )


def record_opt_out(
    connection: sa.Connection | Session,
    subscriber_id: int | None,
    phone: str,
    *,
    channel: ConsentChannel,
    disclosure_id: str,
    disclosure_version: str,
    language: str,
    evidence: str,
    now: dt.datetime,
    catalog_version: str | None = None,
) -> None:
    """Suppress the number at once and log the opt-out (even for a number never enrolled)."""
    if subscriber_id is not None:
        subscribers.stop(connection, subscriber_id, now)
    record_consent(
        connection,
        subscriber_id,
        phone,
        ConsentAction.OPT_OUT,
        channel=channel,
        disclosure_id=disclosure_id,
        disclosure_version=disclosure_version,
        language=language,
        evidence=evidence,
        now=now,
        catalog_version=catalog_version,
    )


def last_action(connection: sa.Connection | Session, phone: str) -> ConsentAction | None:
    """The number's latest consent-log entry (opt-in or opt-out), or None if it has none."""
    action: ConsentAction | None = connection.execute(
        sa.select(CONSENT_EVENTS.c.action)
        .where(
            CONSENT_EVENTS.c.phone == phone,
            CONSENT_EVENTS.c.action.in_((ConsentAction.OPT_IN, ConsentAction.OPT_OUT)),
        )
        .order_by(CONSENT_EVENTS.c.occurred_at.desc(), CONSENT_EVENTS.c.id.desc())
        .limit(1)
    ).scalar()
    return action


def opted_out(connection: sa.Connection | Session, phone: str) -> bool:
    """Whether the number said STOP and did not start again (its subscriber row is stopped,
    or its latest consent-log entry is an opt-out: a stranger, or a STOP at the carrier)."""
    person = subscribers.find_by_phone(connection, phone)
    if person is not None and person.status is Status.STOPPED:
        return True
    return last_action(connection, phone) is ConsentAction.OPT_OUT
