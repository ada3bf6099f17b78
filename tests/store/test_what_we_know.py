"""The text webhook's one lookup: the subscriber, a retried MessageSid, and the recent history
loop protection reads, on both databases."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from service.domain.loop_guard import LoopRule, Past
from service.store import messages
from service.store.db import Database
from service.store.messages import LoggedReply
from service.vocabulary import Channel, Direction, MessageStatus

PHONE = "+12125550143"
OTHER = "+13105550188"
NOW = dt.datetime(2026, 11, 23, 15, 0)
RULE = LoopRule()


def log(database: Database, body: str, at: dt.datetime, replies: int = 1, **kw: object) -> None:
    """Log one inbound text with `replies` replies, as the flow does."""
    with database.engine.begin() as connection:
        messages.log_text_and_replies(
            connection,
            None,
            str(kw.get("phone", PHONE)),
            str(kw.get("sid", f"SM{body}{at:%H%M%S%f}")),
            body,
            [LoggedReply("fallback.unknown", f"reply {n}") for n in range(replies)],
            at,
            held=bool(kw.get("held", False)),
        )


def known(database: Database, now: dt.datetime = NOW, sid: str | None = "SMnew") -> messages.Known:
    """What the webhook would learn at `now`."""
    with database.engine.connect() as connection:
        return messages.what_we_know(connection, sid, PHONE, now, RULE)


def test_a_number_we_never_heard_from_has_no_row_and_no_history(database: Database) -> None:
    result = known(database)
    assert result.earlier_id is None and result.subscriber is None
    assert result.history.texts_in_window == 0 and list(result.history.recent) == []


def test_the_history_is_newest_first_with_their_words_and_held_marks(database: Database) -> None:
    log(database, "first", NOW - dt.timedelta(seconds=30), replies=2)
    log(database, "second", NOW - dt.timedelta(seconds=10), replies=0, held=True)
    log(database, "elsewhere", NOW - dt.timedelta(seconds=5), phone=OTHER)
    result = known(database)
    assert result.history.texts_in_window == 2
    assert list(result.history.recent) == [
        Past(NOW - dt.timedelta(seconds=10), Direction.INBOUND, "second", held=True),
        Past(NOW - dt.timedelta(seconds=30), Direction.OUTBOUND),
        Past(NOW - dt.timedelta(seconds=30), Direction.OUTBOUND),
        Past(NOW - dt.timedelta(seconds=30), Direction.INBOUND, "first"),
    ]


def test_the_history_reaches_back_the_lookback_and_no_further_than_its_rows(
    database: Database,
) -> None:
    log(database, "too old", NOW - RULE.lookback - dt.timedelta(seconds=1))
    for n in range(RULE.history_rows):
        log(database, f"text {n}", NOW - dt.timedelta(seconds=60 - n))
    result = known(database)
    assert len(result.history.recent) == RULE.history_rows
    assert result.history.recent[-1].at > NOW - dt.timedelta(seconds=60)
    assert result.history.texts_in_window == RULE.history_rows


def test_calls_are_not_part_of_the_text_history(database: Database) -> None:
    with database.engine.begin() as connection:
        messages.log_submitted(
            connection,
            subscriber_id=None,
            phone=PHONE,
            channel=Channel.VOICE,
            twilio_sid="CA1",
            body="",
            message_id="reminder.calcium",
            now=NOW - dt.timedelta(seconds=1),
        )
    assert list(known(database).history.recent) == []


def test_a_retried_message_sid_is_found(database: Database) -> None:
    log(database, "hello", NOW - dt.timedelta(seconds=1), sid="SMretry")
    with database.engine.connect() as connection:
        first_id = connection.execute(
            sa.select(messages.MESSAGES.c.id).where(
                messages.MESSAGES.c.status == MessageStatus.RECEIVED
            )
        ).scalar_one()
    assert known(database, sid="SMretry").earlier_id == first_id
