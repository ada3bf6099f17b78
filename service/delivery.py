"""Delivery and call status callbacks: record each once, never move a status backwards."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from service.db import Base
from service.models import PlannedMessage, PlanStatus
from service.subscriptions import MESSAGE_ID_BY_SID

log = logging.getLogger(__name__)

# Later statuses rank higher; a callback never lowers a message's rank (they arrive out of order).
SMS_STATUS_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 5,
}
CALL_STATUS_RANK = {
    "queued": 1,
    "initiated": 2,
    "ringing": 3,
    "in-progress": 4,
    "answered": 4,
    "completed": 5,
    "busy": 5,
    "no-answer": 5,
    "failed": 5,
    "canceled": 5,
}
UNANSWERED_CALL = frozenset({"busy", "no-answer", "failed"})
MAX_CALL_ATTEMPTS = 3
UNREACHABLE_CODES = frozenset({30003, 30005, 30006})

_MESSAGES = Base.metadata.tables["messages"]


@dataclass(frozen=True)
class StatusUpdate:
    """One status callback as Twilio posted it."""

    sid: str
    status: str
    error_code: int | None = None
    # For a reply sent as TwiML: the inbound MessageSid it answered, and its place among replies.
    reply_to: tuple[str, int] | None = None


def record_sms_status(
    sessions: sessionmaker[Session], update: StatusUpdate, now: dt.datetime
) -> bool:
    """Record a text's delivery status; False when it was a repeat or arrived out of order."""
    with sessions.begin() as session:
        return _advance(session, update, SMS_STATUS_RANK, now)


def record_call_status(
    sessions: sessionmaker[Session], update: StatusUpdate, now: dt.datetime, retry_hours: int
) -> bool:
    """Record a call's status; an unanswered reminder call is planned again, hours later."""
    with sessions.begin() as session:
        changed = _advance(session, update, CALL_STATUS_RANK, now)
        if changed and update.status in UNANSWERED_CALL:
            _plan_call_retry(session, update.sid, now, dt.timedelta(hours=retry_hours))
        return changed


def _advance(
    session: Session, update: StatusUpdate, ranks: dict[str, int], now: dt.datetime
) -> bool:
    """Move the logged message forward to this status, once.

    One conditional UPDATE: the database compares ranks, so two callbacks racing for the same
    message cannot move it backwards, and no row lock is held while Python decides.
    """
    if _move_forward(session, update, ranks, now):
        return True
    if update.reply_to is None or _has_sid(session, update.sid):
        return False  # a repeat, an out-of-order callback, or a SID we did not send
    if not _name_twiml_reply(session, update.sid, *update.reply_to):
        log.info("status %s for a SID we did not send", update.status)
        return False
    return _move_forward(session, update, ranks, now)


def _move_forward(
    session: Session, update: StatusUpdate, ranks: dict[str, int], now: dt.datetime
) -> bool:
    """Set the status where it ranks lower than this one; whether a row moved."""
    rank = ranks.get(update.status, 0)
    current_rank = sa.case(ranks, value=_MESSAGES.c.status, else_=0)
    values: dict[str, object] = {"status": update.status, "updated_at": now}
    if update.error_code:
        values["error_code"] = update.error_code
    moved = session.execute(
        sa.update(_MESSAGES)
        .where(_MESSAGES.c.twilio_sid == update.sid, current_rank < rank)
        .values(values)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return False
    if update.error_code:
        session.execute(
            sa.update(PlannedMessage)
            .where(PlannedMessage.twilio_sid == update.sid)
            .values(error_code=update.error_code, updated_at=now)
        )
        if update.error_code in UNREACHABLE_CODES:
            log.warning("delivery failed with %s (number may be unreachable)", update.error_code)
    return True


def _has_sid(session: Session, sid: str) -> bool:
    """Whether a logged message carries this Twilio SID."""
    return session.execute(MESSAGE_ID_BY_SID, {"sid": sid}).first() is not None


def _name_twiml_reply(session: Session, sid: str, inbound_sid: str, index: int) -> bool:
    """Give a TwiML reply its Twilio SID, learnt from its first status callback."""
    replies = (
        sa.select(_MESSAGES.c.id)
        .where(
            _MESSAGES.c.in_reply_to_id
            == sa.select(_MESSAGES.c.id)
            .where(_MESSAGES.c.twilio_sid == inbound_sid)
            .scalar_subquery()
        )
        .order_by(_MESSAGES.c.id)
        .offset(index)
        .limit(1)
        .scalar_subquery()
    )
    named = session.execute(
        sa.update(_MESSAGES)
        .where(_MESSAGES.c.id == replies, _MESSAGES.c.twilio_sid.is_(None))
        .values(twilio_sid=sid)
    )
    # Zero rows: no such reply, or a racing callback named it first (then the SID is there).
    return bool(named.rowcount) or _has_sid(session, sid)  # type: ignore[attr-defined]


def _plan_call_retry(session: Session, sid: str, now: dt.datetime, gap: dt.timedelta) -> None:
    """Try an unanswered call again later the same day, inside the person's window."""
    row = session.scalar(
        sa.select(PlannedMessage).where(
            PlannedMessage.twilio_sid == sid, PlannedMessage.status == PlanStatus.SENT
        )
    )
    if row is None or row.attempts >= MAX_CALL_ATTEMPTS:
        return
    retry_at = now + gap
    if retry_at >= row.window_end:
        return
    row.status = PlanStatus.PLANNED
    row.send_at = retry_at
    row.twilio_sid = None
    row.updated_at = now
