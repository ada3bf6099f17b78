"""Delivery and call status callbacks: record each once, never move a status backwards."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from service.models import Message, PlannedMessage, PlanStatus

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
    """Move the logged message forward to this status, once."""
    message = session.scalar(
        sa.select(Message).where(Message.twilio_sid == update.sid).with_for_update()
    )
    if message is None and update.reply_to is not None:
        message = _twiml_reply(session, update.sid, *update.reply_to)
    if message is None:
        log.info("status %s for a SID we did not send", update.status)
        return False
    if ranks.get(update.status, 0) <= ranks.get(message.status, 0):
        return False
    message.status = update.status
    message.updated_at = now
    if update.error_code:
        message.error_code = update.error_code
        session.execute(
            sa.update(PlannedMessage)
            .where(PlannedMessage.twilio_sid == update.sid)
            .values(error_code=update.error_code, updated_at=now)
        )
        if update.error_code in UNREACHABLE_CODES:
            log.warning("delivery failed with %s (number may be unreachable)", update.error_code)
    return True


def _twiml_reply(session: Session, sid: str, inbound_sid: str, index: int) -> Message | None:
    """Our log of a TwiML reply, which learns its Twilio SID from its first status callback."""
    inbound_id = session.scalar(sa.select(Message.id).where(Message.twilio_sid == inbound_sid))
    if inbound_id is None:
        return None
    reply = session.scalar(
        sa.select(Message)
        .where(Message.in_reply_to_id == inbound_id)
        .order_by(Message.id)
        .offset(index)
        .limit(1)
        .with_for_update()
    )
    if reply is None or reply.twilio_sid not in (None, sid):
        return None
    reply.twilio_sid = sid
    return reply


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
