"""The message log (`messages`): the one module that writes it, and the one place that moves a
logged text or call from one `MessageStatus` to the next.

Inbound texts are RECEIVED (HELD if they came while loop protection held replies) and our TwiML
replies REPLIED; a text the phone line asked for waits in the outbox (WAITING), is CLAIMED by one
send pass and SUBMITTED once Twilio gives it a SID, or ends SKIPPED, CANCELLED, REJECTED or
UNKNOWN; Twilio's callbacks then move it forward by rank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from service.domain.loop_guard import History, LoopRule, Past
from service.store import subscribers
from service.store.models import Message
from service.vocabulary import (
    Channel,
    Direction,
    MessageStatus,
    SendFailure,
    Status,
)

MESSAGES = cast(sa.Table, Message.__table__)
_SUBSCRIBERS = subscribers.SUBSCRIBERS

# The text webhook's statements, built once: building a statement costs more than running it,
# and every text runs these (BENCHMARKS.md, "What was fixed along the way").
MESSAGE_ID_BY_SID = sa.select(MESSAGES.c.id).where(MESSAGES.c.twilio_sid == sa.bindparam("sid"))
_REPLIES_TO = (
    sa.select(MESSAGES.c.body)
    .where(MESSAGES.c.in_reply_to_id == sa.bindparam("inbound_id"))
    .order_by(MESSAGES.c.id)
)
# How many texts the number sent since `window_start` (loop protection's rate); the
# (phone, created_at) index finds them.
_RECENT_INBOUND = (
    sa.select(sa.func.count())
    .select_from(MESSAGES)
    .where(
        MESSAGES.c.phone == sa.bindparam("phone"),
        MESSAGES.c.created_at >= sa.bindparam("window_start"),
        MESSAGES.c.direction == Direction.INBOUND,
    )
)


class _JsonRows(FunctionElement[Any]):
    """Rows as one JSON array of arrays: `json_group_array(json_array(...))` on SQLite,
    `json_agg(json_build_array(...))` on PostgreSQL (NULL when there are no rows)."""

    type = sa.JSON()
    inherit_cache = True


@compiles(_JsonRows, "sqlite")
def _json_rows_sqlite(element: _JsonRows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(_JsonRows, "postgresql")
def _json_rows_postgresql(element: _JsonRows, compiler: Any, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


# The number's latest texts both ways since `since` (at most `rows`): when, which way, whether
# loop protection held it, and the words of theirs (ours are not needed, only when they went),
# as one JSON value: one column of one row reads far faster than a row per message.
_HISTORY_ROWS = (
    sa.select(
        MESSAGES.c.id,
        MESSAGES.c.created_at,
        MESSAGES.c.direction,
        MESSAGES.c.status,
        sa.case((MESSAGES.c.direction == Direction.INBOUND, MESSAGES.c.body)).label("body"),
    )
    .where(
        MESSAGES.c.phone == sa.bindparam("phone"),
        MESSAGES.c.created_at >= sa.bindparam("since"),
        MESSAGES.c.channel == Channel.SMS,
    )
    .order_by(MESSAGES.c.created_at.desc(), MESSAGES.c.id.desc())
    .limit(sa.bindparam("rows", type_=sa.Integer))
    .subquery()
)
_HISTORY = sa.select(
    _JsonRows(
        _HISTORY_ROWS.c.id,
        _HISTORY_ROWS.c.direction,
        _HISTORY_ROWS.c.created_at,
        _HISTORY_ROWS.c.status,
        _HISTORY_ROWS.c.body,
    )
).scalar_subquery()

# One round trip for all a new text needs to know: whether this MessageSid came before, the
# subscriber row if there is one, and the number's recent texts for loop protection.
_WHAT_WE_KNOW = sa.select(
    MESSAGE_ID_BY_SID.scalar_subquery().label("earlier_id"),
    _RECENT_INBOUND.scalar_subquery().label("recent"),
    _HISTORY.label("history"),
    *_SUBSCRIBERS.c,
).select_from(
    sa.select(sa.literal_column("1").label("one"))
    .subquery()
    .outerjoin(_SUBSCRIBERS, _SUBSCRIBERS.c.phone == sa.bindparam("phone"))
)
_DIRECTIONS = {direction.value: direction for direction in Direction}
_INSERT_INBOUND = sa.insert(MESSAGES).returning(MESSAGES.c.id)
_INSERT_REPLIES = sa.insert(MESSAGES)


@dataclass(frozen=True)
class Known:
    """What we know of a number when a text arrives."""

    # The earlier log row of this MessageSid (a Twilio retry), or None.
    earlier_id: int | None
    # The subscriber row (None for a number we never kept).
    subscriber: sa.Row[Any] | None
    # Its recent texts, for loop protection.
    history: History


def what_we_know(
    connection: sa.Connection,
    message_sid: str | None,
    phone: str,
    now: dt.datetime,
    rule: LoopRule,
) -> Known:
    """Whether this MessageSid was logged, the number's subscriber row, and its recent texts
    as loop protection reads them; one statement."""
    row = connection.execute(
        _WHAT_WE_KNOW,
        {
            "sid": message_sid,
            "phone": phone,
            "since": now - rule.lookback,
            "window_start": now - rule.window,
            "rows": rule.history_rows,
        },
    ).one()
    # [id, direction, created_at, status, body], newest first (an aggregate keeps no order).
    recent = sorted(
        (
            (dt.datetime.fromisoformat(at), message_id, direction, status, body)
            for message_id, direction, at, status, body in row.history or ()
        ),
        reverse=True,
    )
    history = History(
        texts_in_window=row.recent,
        recent=[
            Past(at, _DIRECTIONS[direction], body or "", status == MessageStatus.HELD)
            for at, _, direction, status, body in recent
        ],
    )
    return Known(row.earlier_id, row if row.id is not None else None, history)


def replies_to(connection: sa.Connection, inbound_id: int) -> list[str]:
    """The bodies we answered one logged inbound text with, in order."""
    return list(connection.execute(_REPLIES_TO, {"inbound_id": inbound_id}).scalars())


def earlier_replies(connection: sa.Connection, message_sid: str | None) -> list[str] | None:
    """What we answered the first time this MessageSid arrived, or None if it is new."""
    if not message_sid:
        return None
    inbound_id = connection.execute(MESSAGE_ID_BY_SID, {"sid": message_sid}).scalar()
    if inbound_id is None:
        return None
    return replies_to(connection, inbound_id)


@dataclass(frozen=True)
class LoggedReply:
    """One reply to log: its catalog id and the words sent."""

    message_id: str
    body: str


def log_text_and_replies(
    connection: sa.Connection,
    subscriber_id: int | None,
    phone: str,
    message_sid: str | None,
    body: str,
    replies: Sequence[LoggedReply],
    now: dt.datetime,
    held: bool = False,
) -> None:
    """Log an inbound text (RECEIVED, or HELD by loop protection) and the replies we sent in
    TwiML (REPLIED)."""
    received_id = connection.execute(
        _INSERT_INBOUND,
        {
            "subscriber_id": subscriber_id,
            "phone": phone,
            "direction": Direction.INBOUND,
            "channel": Channel.SMS,
            "twilio_sid": message_sid or None,
            "body": body,
            "status": MessageStatus.HELD if held else MessageStatus.RECEIVED,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    rows = [
        {
            "subscriber_id": subscriber_id,
            "phone": phone,
            "direction": Direction.OUTBOUND,
            "channel": Channel.SMS,
            "body": reply.body,
            "message_id": reply.message_id,
            "status": MessageStatus.REPLIED,
            "in_reply_to_id": received_id,
            "created_at": now,
            "updated_at": now,
        }
        for reply in replies
    ]
    if rows:
        connection.execute(_INSERT_REPLIES, rows)


def queue_text(
    connection: sa.Connection | Session,
    subscriber_id: int | None,
    phone: str,
    message_id: str,
    body: str,
    now: dt.datetime,
) -> None:
    """Put a text in the outbox (WAITING) for the next send pass."""
    connection.execute(
        sa.insert(MESSAGES).values(
            subscriber_id=subscriber_id,
            phone=phone,
            direction=Direction.OUTBOUND,
            channel=Channel.SMS,
            body=body,
            message_id=message_id,
            status=MessageStatus.WAITING,
            created_at=now,
            updated_at=now,
        )
    )


# The message log's catalog id for a text a care-team member wrote on an escalation's page.
CARE_TEXT = "care.text"


def log_care_text(
    connection: sa.Connection | Session,
    subscriber_id: int | None,
    phone: str,
    body: str,
    now: dt.datetime,
) -> int:
    """Log a text a care-team member is sending now (CLAIMED: this request sends it, no send
    pass may); its row id."""
    return int(
        connection.execute(
            sa.insert(MESSAGES)
            .values(
                subscriber_id=subscriber_id,
                phone=phone,
                direction=Direction.OUTBOUND,
                channel=Channel.SMS,
                body=body,
                message_id=CARE_TEXT,
                status=MessageStatus.CLAIMED,
                created_at=now,
                updated_at=now,
            )
            .returning(MESSAGES.c.id)
        ).scalar_one()
    )


def log_call_answer(
    connection: sa.Connection | Session,
    subscriber_id: int | None,
    phone: str,
    answer_id: str,
    now: dt.datetime,
) -> None:
    """Log a check-in call's answer (a key or a word) as an inbound call row named by the
    answer's message id, the same id a text answer's reply carries; no words are kept."""
    connection.execute(
        sa.insert(MESSAGES).values(
            subscriber_id=subscriber_id,
            phone=phone,
            direction=Direction.INBOUND,
            channel=Channel.VOICE,
            body="",
            message_id=answer_id,
            status=MessageStatus.RECEIVED,
            created_at=now,
            updated_at=now,
        )
    )


def return_to_outbox(
    connection: sa.Connection | Session, message_id: int, now: dt.datetime
) -> None:
    """A claimed text that provably did not reach Twilio: WAITING, for the next send pass."""
    connection.execute(
        sa.update(MESSAGES)
        .where(MESSAGES.c.id == message_id, MESSAGES.c.status == MessageStatus.CLAIMED)
        .values(status=MessageStatus.WAITING, updated_at=now)
    )


def conversation(
    session: Session,
    phone: str,
    *,
    since: dt.datetime,
    from_id: int | None,
    until: dt.datetime | None,
    limit: int,
) -> Sequence[Message]:
    """A number's texts both ways, in the order they were logged (the latest `limit`): from
    the logged text `from_id` on when it is known, else from the time `since`, until `until`."""
    query = sa.select(Message).where(Message.phone == phone, Message.channel == Channel.SMS)
    if from_id is not None:
        query = query.where(Message.id >= from_id)
    else:
        query = query.where(Message.created_at >= since)
    if until is not None:
        query = query.where(Message.created_at <= until)
    latest = query.order_by(Message.id.desc()).limit(limit)
    return list(reversed(session.scalars(latest).all()))


def text_logged_at(session: Session, phone: str, at: dt.datetime, body: str) -> int | None:
    """The id of the text this number sent at `at` with these words (what raised a red flag)."""
    found: int | None = session.scalar(
        sa.select(Message.id)
        .where(
            Message.phone == phone,
            Message.direction == Direction.INBOUND,
            Message.created_at == at,
            Message.body == body,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    return found


def log_submitted(
    connection: sa.Connection | Session,
    *,
    subscriber_id: int | None,
    phone: str,
    channel: Channel,
    twilio_sid: str,
    body: str,
    message_id: str,
    now: dt.datetime,
) -> None:
    """Log a scheduled text or call Twilio accepted (SUBMITTED, with its SID)."""
    connection.execute(
        sa.insert(MESSAGES).values(
            subscriber_id=subscriber_id,
            phone=phone,
            direction=Direction.OUTBOUND,
            channel=channel,
            twilio_sid=twilio_sid,
            body=body,
            message_id=message_id,
            status=MessageStatus.SUBMITTED,
            created_at=now,
            updated_at=now,
        )
    )


def advance(
    connection: sa.Connection | Session,
    twilio_sid: str,
    status: MessageStatus,
    error_code: int | None,
    ranks: Mapping[MessageStatus, int],
    now: dt.datetime,
) -> bool:
    """Move the message with this SID forward to `status`, once; whether a row moved.

    One conditional UPDATE: the database compares ranks, so two callbacks racing for the same
    message cannot move it backwards, and no row lock is held while Python decides.
    """
    rank = ranks.get(status, 0)
    current_rank = sa.case(
        {str(key): value for key, value in ranks.items()}, value=MESSAGES.c.status, else_=0
    )
    values: dict[str, object] = {"status": status, "updated_at": now}
    if error_code:
        values["error_code"] = error_code
    moved = connection.execute(
        sa.update(MESSAGES)
        .where(MESSAGES.c.twilio_sid == twilio_sid, current_rank < rank)
        .values(values)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def phone_of(connection: sa.Connection | Session, twilio_sid: str) -> str:
    """The number a logged message with this SID went to ("" when unknown or erased)."""
    phone = connection.execute(
        sa.select(MESSAGES.c.phone).where(MESSAGES.c.twilio_sid == twilio_sid)
    ).scalar()
    return phone or ""


def has_sid(connection: sa.Connection | Session, twilio_sid: str) -> bool:
    """Whether a logged message carries this Twilio SID."""
    return connection.execute(MESSAGE_ID_BY_SID, {"sid": twilio_sid}).first() is not None


def name_twiml_reply(
    connection: sa.Connection | Session, twilio_sid: str, inbound_sid: str, index: int
) -> bool:
    """Give a TwiML reply its Twilio SID, learnt from its first status callback."""
    replies = (
        sa.select(MESSAGES.c.id)
        .where(
            MESSAGES.c.in_reply_to_id
            == sa.select(MESSAGES.c.id)
            .where(MESSAGES.c.twilio_sid == inbound_sid)
            .scalar_subquery()
        )
        .order_by(MESSAGES.c.id)
        .offset(index)
        .limit(1)
        .scalar_subquery()
    )
    named = connection.execute(
        sa.update(MESSAGES)
        .where(MESSAGES.c.id == replies, MESSAGES.c.twilio_sid.is_(None))
        .values(twilio_sid=twilio_sid)
    )
    # Zero rows: no such reply, or a racing callback named it first (then the SID is there).
    return bool(named.rowcount) or has_sid(connection, twilio_sid)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OutboxText:
    """A claimed outbox text: what sending it needs."""

    id: int
    subscriber_id: int | None
    phone: str
    body: str


@dataclass(frozen=True)
class OutboxClaim:
    """The texts one pass claimed, and how many waiting texts it skipped or cancelled."""

    texts: list[OutboxText]
    skipped: int = 0
    cancelled: int = 0


def claim_outbox(
    connection: sa.Connection,
    now: dt.datetime,
    *,
    max_age: dt.timedelta,
    batch: int,
    lock_rows: bool,
) -> OutboxClaim:
    """Skip stale or no-longer-wanted waiting texts, then claim the rest (one process each)."""
    waiting = sa.and_(
        MESSAGES.c.direction == Direction.OUTBOUND,
        MESSAGES.c.status == MessageStatus.WAITING,
    )
    stopped = sa.select(_SUBSCRIBERS.c.id).where(_SUBSCRIBERS.c.status == Status.STOPPED)
    skipped = connection.execute(
        sa.update(MESSAGES)
        .where(waiting, MESSAGES.c.created_at < now - max_age)
        .values(status=MessageStatus.SKIPPED, updated_at=now)
    )
    cancelled = connection.execute(
        sa.update(MESSAGES)
        .where(waiting, MESSAGES.c.subscriber_id.in_(stopped))
        .values(status=MessageStatus.CANCELLED, updated_at=now)
    )
    due = (
        sa.select(MESSAGES.c.id)
        .where(waiting, MESSAGES.c.channel == Channel.SMS, MESSAGES.c.created_at <= now)
        .order_by(MESSAGES.c.id)
        .limit(batch)
    )
    if lock_rows:
        due = due.with_for_update(skip_locked=True)
    rows = connection.execute(
        sa.update(MESSAGES)
        .where(MESSAGES.c.id.in_(due.scalar_subquery()), waiting)
        .values(status=MessageStatus.CLAIMED, updated_at=now)
        .returning(MESSAGES.c.id, MESSAGES.c.subscriber_id, MESSAGES.c.phone, MESSAGES.c.body)
    ).all()
    return OutboxClaim(
        [OutboxText(*row) for row in rows], skipped.rowcount or 0, cancelled.rowcount or 0
    )


# Where a failed outbox text ends (any other failure: REJECTED).
OUTBOX_FAILURE_STATUS = {
    SendFailure.UNKNOWN: MessageStatus.UNKNOWN,
    SendFailure.UNEXPECTED: MessageStatus.ERROR,
}


def record_outbox_outcome(
    connection: sa.Connection | Session,
    message_id: int,
    twilio_sid: str | None,
    failure: SendFailure | None,
    error_code: int | None,
    now: dt.datetime,
    last_error: str = "",
) -> MessageStatus:
    """SUBMITTED with the SID Twilio gave, UNKNOWN when a crash or timeout hid it, ERROR when the
    answer made no sense, or REJECTED. Returns the status written."""
    if failure is None:
        status = MessageStatus.SUBMITTED
        values: dict[str, Any] = {"status": status, "twilio_sid": twilio_sid}
    else:
        status = OUTBOX_FAILURE_STATUS.get(failure, MessageStatus.REJECTED)
        values = {"status": status, "error_code": error_code, "last_error": last_error[:200]}
    connection.execute(
        sa.update(MESSAGES).where(MESSAGES.c.id == message_id).values(updated_at=now, **values)
    )
    return status


def mark_outbox_error(
    connection: sa.Connection | Session, message_id: int, last_error: str, now: dt.datetime
) -> None:
    """Something unexpected happened to this one outbox text: ERROR, never sent again."""
    connection.execute(
        sa.update(MESSAGES)
        .where(MESSAGES.c.id == message_id)
        .values(status=MessageStatus.ERROR, last_error=last_error[:200], updated_at=now)
    )


def outbox_waiting(connection: sa.Connection | Session, now: dt.datetime) -> int:
    """Texts the phone line queued that no pass has sent yet."""
    return int(
        connection.execute(
            sa.select(sa.func.count())
            .select_from(MESSAGES)
            .where(
                MESSAGES.c.direction == Direction.OUTBOUND,
                MESSAGES.c.status.in_([MessageStatus.WAITING, MessageStatus.CLAIMED]),
                MESSAGES.c.created_at <= now,
            )
        ).scalar_one()
    )


def forget_stale_claims(connection: sa.Connection, stale: dt.datetime, now: dt.datetime) -> int:
    """Outbox texts a crashed pass claimed: UNKNOWN (they may have gone), never sent again."""
    result = connection.execute(
        sa.update(MESSAGES)
        .where(MESSAGES.c.status == MessageStatus.CLAIMED, MESSAGES.c.updated_at < stale)
        .values(status=MessageStatus.UNKNOWN, updated_at=now)
    )
    return result.rowcount or 0


def erase_by_phone(connection: sa.Connection | Session, phone: str) -> None:
    """Every text to and from the number, and texts queued for it."""
    connection.execute(sa.delete(MESSAGES).where(MESSAGES.c.phone == phone))
