"""Inbound texts end to end: load the person, decide with `conversation`, record everything."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.conversation import Outcome, Profile, respond
from service.db import Base
from service.models import (
    Channel,
    ConsentAction,
    Direction,
    Escalation,
    Message,
    PlannedMessage,
    Recipient,
    Stage,
    Status,
    Subscriber,
    utcnow,
)
from service.phones import local_time_zone, mask
from service.records import record_consent, record_escalation
from service.texts import Texts

log = logging.getLogger(__name__)

REPLIED_IN_TWIML = "replied"
ERASED_DETAIL = "(erased at the person's request)"


@dataclass(frozen=True)
class InboundText:
    """One text as Twilio delivered it to our webhook."""

    phone: str
    body: str
    message_sid: str | None = None
    zip_code: str | None = None


class SubscriberFields(Protocol):
    """What a text needs of a subscriber: a `subscribers` row or a `Subscriber` object."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> Status: ...
    @property
    def language(self) -> str: ...
    @property
    def channel(self) -> Channel: ...
    @property
    def enrollment_step(self) -> str | None: ...
    @property
    def stage(self) -> Stage | None: ...
    @property
    def due_date(self) -> dt.date | None: ...
    @property
    def birth_date(self) -> dt.date | None: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def zip_code(self) -> str | None: ...
    @property
    def last_checkin_at(self) -> dt.datetime | None: ...


@dataclass(frozen=True)
class LoopLimit:
    """How many texts one number may send within a window before we stop answering it."""

    messages: int = 10
    window: dt.timedelta = dt.timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoopLimit:
        """LOOP_LIMIT_MESSAGES texts within LOOP_WINDOW_MINUTES."""
        return cls(settings.LOOP_LIMIT_MESSAGES, dt.timedelta(minutes=settings.LOOP_WINDOW_MINUTES))


def receive_text(
    sessions: sessionmaker[Session],
    inbound: InboundText,
    texts: Texts,
    now: dt.datetime | None = None,
    loop_limit: LoopLimit | None = None,
) -> list[str]:
    """Answer one inbound text once; a repeated MessageSid gets the first answer again."""
    now = now or utcnow()
    loop_limit = loop_limit or LoopLimit()
    try:
        with sessions.begin() as session:
            connection = session.connection()
            known = connection.execute(
                _WHAT_WE_KNOW,
                {
                    "sid": inbound.message_sid,
                    "phone": inbound.phone,
                    "since": now - loop_limit.window,
                },
            ).one()
            if known.earlier_id is not None:
                return _replies_to(connection, known.earlier_id)
            return _answer(session, inbound, texts, now, known, loop_limit)
    except IntegrityError:
        # Twilio retried while the first delivery was still being answered: reuse that answer.
        with sessions.begin() as session:
            earlier = _earlier_replies(session.connection(), inbound.message_sid)
            if earlier is None:
                raise
            return earlier


# The text webhook's statements, built once: building a statement costs more than running it,
# and every text runs these (BENCHMARKS.md, "What was fixed along the way").
_SUBSCRIBERS = Base.metadata.tables["subscribers"]
_MESSAGES = Base.metadata.tables["messages"]
# The logged message carrying a Twilio SID (status callbacks look messages up by it too).
MESSAGE_ID_BY_SID = sa.select(_MESSAGES.c.id).where(_MESSAGES.c.twilio_sid == sa.bindparam("sid"))
_REPLIES_TO = (
    sa.select(_MESSAGES.c.body)
    .where(_MESSAGES.c.in_reply_to_id == sa.bindparam("inbound_id"))
    .order_by(_MESSAGES.c.id)
)
_RECENT_INBOUND = (
    sa.select(sa.func.count())
    .select_from(_MESSAGES)
    .where(
        _MESSAGES.c.phone == sa.bindparam("phone"),
        _MESSAGES.c.created_at >= sa.bindparam("since"),
        _MESSAGES.c.direction == Direction.INBOUND,
    )
)
# One round trip for all a new text needs to know: whether this MessageSid came before, how
# many texts the number sent lately (loop protection), and its subscriber row if it has one.
_WHAT_WE_KNOW = sa.select(
    MESSAGE_ID_BY_SID.scalar_subquery().label("earlier_id"),
    _RECENT_INBOUND.scalar_subquery().label("recent"),
    *_SUBSCRIBERS.c,
).select_from(
    sa.select(sa.literal_column("1").label("one"))
    .subquery()
    .outerjoin(_SUBSCRIBERS, _SUBSCRIBERS.c.phone == sa.bindparam("phone"))
)
_INSERT_SUBSCRIBER = sa.insert(_SUBSCRIBERS).returning(_SUBSCRIBERS.c.id)
_INSERT_INBOUND = sa.insert(_MESSAGES).returning(_MESSAGES.c.id)
_INSERT_REPLIES = sa.insert(_MESSAGES)
_DELETE_SUBSCRIBER = sa.delete(_SUBSCRIBERS).where(_SUBSCRIBERS.c.phone == sa.bindparam("phone"))

# The subscriber columns a text can change, and how a Profile fills them.
PROFILE_COLUMNS = ("status", "language", "enrollment_step", "stage", "due_date", "birth_date")


# A YES/1 or NO/2 within this long of a back-pain check-in answers the check-in.
CHECKIN_REPLY_WINDOW = dt.timedelta(hours=72)


def profile_of(subscriber: SubscriberFields | None, now: dt.datetime | None = None) -> Profile:
    """The conversation's view of a subscriber row (an ORM object or a plain row)."""
    if subscriber is None:
        return Profile()
    checkin_at = subscriber.last_checkin_at
    return Profile(
        status=subscriber.status,
        language=subscriber.language,
        enrollment_step=subscriber.enrollment_step,
        stage=subscriber.stage,
        due_date=subscriber.due_date,
        birth_date=subscriber.birth_date,
        channel=subscriber.channel,
        awaiting_checkin_reply=bool(
            now and checkin_at and now - checkin_at <= CHECKIN_REPLY_WINDOW
        ),
    )


def local_today(time_zone: str, now: dt.datetime) -> dt.date:
    """The person's calendar date at the UTC instant `now`."""
    return now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(time_zone)).date()


def _earlier_replies(connection: sa.Connection, message_sid: str | None) -> list[str] | None:
    """What we answered the first time this MessageSid arrived, or None if it is new."""
    if not message_sid:
        return None
    inbound_id = connection.execute(MESSAGE_ID_BY_SID, {"sid": message_sid}).scalar()
    if inbound_id is None:
        return None
    return _replies_to(connection, inbound_id)


def _replies_to(connection: sa.Connection, inbound_id: int) -> list[str]:
    """The bodies we answered one logged inbound text with, in order."""
    return list(connection.execute(_REPLIES_TO, {"inbound_id": inbound_id}).scalars())


def _answer(
    session: Session,
    inbound: InboundText,
    texts: Texts,
    now: dt.datetime,
    known: sa.Row[Any],
    loop_limit: LoopLimit,
) -> list[str]:
    """Decide, apply and log the answer to a new inbound text."""
    connection = session.connection()
    subscriber: SubscriberFields | None = known if known.id is not None else None
    time_zone = (
        subscriber.time_zone if subscriber else local_time_zone(inbound.phone, inbound.zip_code)
    )
    before = profile_of(subscriber, now)
    outcome = respond(before, inbound.body, local_today(time_zone, now), texts.keywords)
    if known.recent >= loop_limit.messages:
        outcome = while_looping(outcome, before)
        log.warning(
            "text from %s not answered: %s texts in the loop window",
            mask(inbound.phone),
            known.recent,
        )
    # Everything is decided before the first write, so SQLite's write lock is held briefly.
    bodies = [texts.render(reply, outcome.language) for reply in outcome.replies]
    if outcome.erase:
        erase_person(session, inbound.phone)
        subscriber_id = None
    else:
        subscriber_id = _apply(connection, subscriber, outcome, inbound, time_zone, now)
    _log_messages(connection, subscriber_id, inbound, outcome, bodies, now)
    _record_consent(session, subscriber_id, outcome, inbound, texts, now)
    _record_escalation(session, subscriber_id, outcome, inbound, now)
    log.info(
        "text from %s answered with %s",
        mask(inbound.phone),
        ",".join(reply.message_id for reply in outcome.replies),
    )
    return bodies


def _log_messages(
    connection: sa.Connection,
    subscriber_id: int | None,
    inbound: InboundText,
    outcome: Outcome,
    bodies: list[str],
    now: dt.datetime,
) -> None:
    """Log the text and our replies to it."""
    received_id = connection.execute(
        _INSERT_INBOUND,
        {
            "subscriber_id": subscriber_id,
            "phone": inbound.phone,
            "direction": Direction.INBOUND,
            "channel": Channel.SMS,
            "twilio_sid": inbound.message_sid or None,
            "body": inbound.body,
            "status": "received",
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    replies = [
        {
            "subscriber_id": subscriber_id,
            "phone": inbound.phone,
            "direction": Direction.OUTBOUND,
            "channel": Channel.SMS,
            "body": body,
            "message_id": reply.message_id,
            "status": REPLIED_IN_TWIML,
            "in_reply_to_id": received_id,
            "created_at": now,
            "updated_at": now,
        }
        for reply, body in zip(outcome.replies, bodies, strict=True)
    ]
    if replies:
        connection.execute(_INSERT_REPLIES, replies)


def while_looping(outcome: Outcome, before: Profile) -> Outcome:
    """A number caught in a loop hears nothing; an opt-out and a red flag still count."""
    if outcome.consent is ConsentAction.OPT_OUT:
        return dataclasses.replace(outcome, replies=())
    return Outcome(before, (), escalation=outcome.escalation, reply_language=outcome.reply_language)


def erase_person(session: Session, phone: str) -> None:
    """Erase what we hold about a number except its consent log, which the law asks us to keep."""
    for erase in ERASERS:
        erase(session, phone)
    # The database's ON DELETE rules unlink the consent log from the row.
    session.execute(_DELETE_SUBSCRIBER, {"phone": phone})
    log.info("erased the data of %s at their request", mask(phone))


def _erase_messages(session: Session, phone: str) -> None:
    """Every text to and from the number, and texts queued for it."""
    session.execute(sa.delete(Message).where(Message.phone == phone))


def _erase_escalations(session: Session, phone: str) -> None:
    """Red flags keep only what counts them (reason, when, how handled), never who or what."""
    erased_note = sa.case((Escalation.note.is_not(None), ERASED_DETAIL), else_=None)
    subscriber_ids = sa.select(Subscriber.id).where(Subscriber.phone == phone)
    session.execute(
        sa.update(Escalation)
        .where(sa.or_(Escalation.phone == phone, Escalation.subscriber_id.in_(subscriber_ids)))
        .values(phone="", detail=ERASED_DETAIL, note=erased_note, subscriber_id=None)
        .execution_options(synchronize_session=False)
    )


def _erase_planned(session: Session, phone: str) -> None:
    """Reminders and check-ins not yet sent (and the record of those that were)."""
    subscriber_ids = sa.select(Subscriber.id).where(Subscriber.phone == phone)
    session.execute(
        sa.delete(PlannedMessage)
        .where(
            PlannedMessage.subscriber_id.in_(subscriber_ids),
            PlannedMessage.recipient == Recipient.SUBSCRIBER,
        )
        .execution_options(synchronize_session=False)
    )


# What erasing a person removes, table by table.
ERASERS: tuple[Callable[[Session, str], None], ...] = (
    _erase_messages,
    _erase_planned,
    _erase_escalations,
)


def _apply(
    connection: sa.Connection,
    subscriber: SubscriberFields | None,
    outcome: Outcome,
    inbound: InboundText,
    time_zone: str,
    now: dt.datetime,
) -> int | None:
    """Save what changed; a number we never heard from gets a row only once it has a status."""
    profile = outcome.profile
    if subscriber is None:
        if profile.status is None:
            return None
        values = _profile_values(profile, None)
        values.update(phone=inbound.phone, time_zone=time_zone, zip_code=inbound.zip_code)
        values.update(created_at=now, updated_at=now)
        subscriber_id: int = connection.execute(_INSERT_SUBSCRIBER, values).scalar_one()
        return subscriber_id
    values = _profile_values(profile, subscriber)
    if inbound.zip_code and inbound.zip_code != subscriber.zip_code:
        values.update(
            zip_code=inbound.zip_code, time_zone=local_time_zone(inbound.phone, inbound.zip_code)
        )
    changed = {name: value for name, value in values.items() if getattr(subscriber, name) != value}
    if changed:
        connection.execute(
            sa.update(_SUBSCRIBERS)
            .where(_SUBSCRIBERS.c.id == subscriber.id)
            .values(**changed, updated_at=now)
        )
    return subscriber.id


def _profile_values(profile: Profile, subscriber: SubscriberFields | None) -> dict[str, object]:
    """The subscriber columns the new profile sets."""
    values: dict[str, object] = {name: getattr(profile, name) for name in PROFILE_COLUMNS}
    values["status"] = profile.status or (subscriber.status if subscriber else None)
    values["channel"] = profile.channel or Channel.SMS
    if not profile.awaiting_checkin_reply:
        values["last_checkin_at"] = None
    return values


def _record_consent(
    session: Session,
    subscriber_id: int | None,
    outcome: Outcome,
    inbound: InboundText,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Keep the consent log: who, when, how, which disclosure, and the words they used."""
    if outcome.consent is None or outcome.consent_disclosure is None:
        return
    record_consent(
        session,
        subscriber_id,
        inbound.phone,
        outcome.consent,
        channel="sms",
        disclosure_id=outcome.consent_disclosure,
        disclosure_version=texts.catalog.version(outcome.consent_disclosure, outcome.language),
        language=outcome.language,
        evidence=inbound.body,
        now=now,
    )


def _record_escalation(
    session: Session,
    subscriber_id: int | None,
    outcome: Outcome,
    inbound: InboundText,
    now: dt.datetime,
) -> None:
    """Record a red flag for the care team."""
    if outcome.escalation is None:
        return
    record_escalation(
        session,
        subscriber_id,
        inbound.phone,
        stage=outcome.profile.stage,
        source="text",
        reason=outcome.escalation,
        detail=inbound.body,
        language=outcome.language,
        now=now,
    )
