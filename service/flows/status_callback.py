"""A delivery or call status callback, in one transaction: record it once, never backwards."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from service.domain.phones import mask
from service.store import messages, planned
from service.store.db import DbSession, Sessions, transaction
from service.vocabulary import (
    CALL_STATUS_RANK,
    SMS_STATUS_RANK,
    UNANSWERED_CALL,
    MessageStatus,
)

log = logging.getLogger(__name__)

UNREACHABLE_CODES = frozenset({30003, 30005, 30006})
# A text Twilio could not deliver (reported later, by its status callback).
UNDELIVERED = frozenset({MessageStatus.FAILED, MessageStatus.UNDELIVERED})


@dataclass(frozen=True)
class StatusUpdate:
    """One status callback as Twilio posted it."""

    sid: str
    status: str
    error_code: int | None = None
    # For a reply sent as TwiML: the inbound MessageSid it answered, and its place among replies.
    reply_to: tuple[str, int] | None = None


def record_sms_status(sessions: Sessions, update: StatusUpdate, now: dt.datetime) -> bool:
    """Record a text's delivery status; False when it was a repeat or arrived out of order."""
    with transaction(sessions) as session:
        return _advance(session, update, SMS_STATUS_RANK, now)


def record_call_status(
    sessions: Sessions, update: StatusUpdate, now: dt.datetime, retry_hours: int
) -> bool:
    """Record a call's status; an unanswered reminder call is planned again, hours later."""
    with transaction(sessions) as session:
        changed = _advance(session, update, CALL_STATUS_RANK, now)
        if changed and update.status in UNANSWERED_CALL:
            retried = planned.plan_call_retry(
                session, update.sid, now, dt.timedelta(hours=retry_hours)
            )
            log.warning(
                "call %s to %s: %s%s; %s",
                update.sid,
                mask(messages.phone_of(session, update.sid)),
                update.status,
                f", Twilio code {update.error_code}" if update.error_code else "",
                f"will be tried again in {retry_hours} hours" if retried else "not retried",
            )
        return changed


def _advance(
    session: DbSession,
    update: StatusUpdate,
    ranks: dict[MessageStatus, int],
    now: dt.datetime,
) -> bool:
    """Move the logged message forward to this status, once (a TwiML reply is named first)."""
    # A status we do not track (Twilio adds some) moves nothing, but still names a TwiML reply.
    status = _known_status(update.status, ranks)
    if status is not None and _move_forward(session, update, status, ranks, now):
        return True
    if update.reply_to is None or messages.has_sid(session, update.sid):
        return False  # a repeat, an out-of-order callback, or a SID we did not send
    if not messages.name_twiml_reply(session, update.sid, *update.reply_to):
        log.info("status %s for a SID we did not send", status)
        return False
    return status is not None and _move_forward(session, update, status, ranks, now)


def _known_status(status: str, ranks: dict[MessageStatus, int]) -> MessageStatus | None:
    """Twilio's status as ours, or None for one we do not track."""
    try:
        known = MessageStatus(status)
    except ValueError:
        return None
    return known if known in ranks else None


def _move_forward(
    session: DbSession,
    update: StatusUpdate,
    status: MessageStatus,
    ranks: dict[MessageStatus, int],
    now: dt.datetime,
) -> bool:
    """Set the status where it ranks lower than this one; whether a row moved."""
    if not messages.advance(session, update.sid, status, update.error_code, ranks, now):
        return False
    if update.error_code:
        planned.note_error_code(session, update.sid, update.error_code, now)
    if status in UNDELIVERED and ranks is SMS_STATUS_RANK:
        log.warning(
            "text %s to %s: %s%s%s; not retried",
            update.sid,
            mask(messages.phone_of(session, update.sid)),
            status.value,
            f", Twilio code {update.error_code}" if update.error_code else "",
            " (the number may be unreachable)" if update.error_code in UNREACHABLE_CODES else "",
        )
    return True
