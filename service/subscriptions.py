"""Inbound texts end to end: load the person, decide with `conversation`, record everything."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.conversation import Outcome, Profile, respond
from service.models import (
    Channel,
    ConsentAction,
    Direction,
    Escalation,
    Message,
    PlannedMessage,
    Recipient,
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
            earlier = _earlier_replies(session, inbound.message_sid)
            if earlier is not None:
                return earlier
            return _answer(session, inbound, texts, now, loop_limit)
    except IntegrityError:
        # Twilio retried while the first delivery was still being answered: reuse that answer.
        with sessions.begin() as session:
            earlier = _earlier_replies(session, inbound.message_sid)
            if earlier is None:
                raise
            return earlier


# A YES/1 or NO/2 within this long of a back-pain check-in answers the check-in.
CHECKIN_REPLY_WINDOW = dt.timedelta(hours=72)


def profile_of(subscriber: Subscriber | None, now: dt.datetime | None = None) -> Profile:
    """The conversation's view of a subscriber row."""
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


def _earlier_replies(session: Session, message_sid: str | None) -> list[str] | None:
    """What we answered the first time this MessageSid arrived, or None if it is new."""
    if not message_sid:
        return None
    inbound_id = session.scalar(sa.select(Message.id).where(Message.twilio_sid == message_sid))
    if inbound_id is None:
        return None
    bodies = session.scalars(
        sa.select(Message.body).where(Message.in_reply_to_id == inbound_id).order_by(Message.id)
    )
    return list(bodies)


def _answer(
    session: Session, inbound: InboundText, texts: Texts, now: dt.datetime, loop_limit: LoopLimit
) -> list[str]:
    """Decide, apply and log the answer to a new inbound text."""
    subscriber = session.scalar(sa.select(Subscriber).where(Subscriber.phone == inbound.phone))
    time_zone = (
        subscriber.time_zone if subscriber else local_time_zone(inbound.phone, inbound.zip_code)
    )
    before = profile_of(subscriber, now)
    outcome = respond(before, inbound.body, local_today(time_zone, now), texts.keywords)
    recent = recent_texts(session, inbound.phone, now - loop_limit.window)
    if recent >= loop_limit.messages:
        outcome = while_looping(outcome, before)
        log.warning(
            "text from %s not answered: %s texts in the loop window", mask(inbound.phone), recent
        )
    if outcome.erase:
        erase_person(session, subscriber, inbound.phone)
        subscriber = None
    else:
        subscriber = _apply(session, subscriber, outcome, inbound, time_zone)
    bodies = [texts.render(reply, outcome.language) for reply in outcome.replies]
    _log_messages(session, subscriber, inbound, outcome, bodies, now)
    _record_consent(session, subscriber, outcome, inbound, texts, now)
    _record_escalation(session, subscriber, outcome, inbound, now)
    log.info(
        "text from %s answered with %s",
        mask(inbound.phone),
        ",".join(reply.message_id for reply in outcome.replies),
    )
    return bodies


def _log_messages(
    session: Session,
    subscriber: Subscriber | None,
    inbound: InboundText,
    outcome: Outcome,
    bodies: list[str],
    now: dt.datetime,
) -> None:
    """Log the text and our replies to it."""
    # Plain INSERTs, not ORM objects: the unit of work was most of each webhook's time.
    session.flush()
    subscriber_id = subscriber.id if subscriber is not None else None
    received_id = session.scalar(
        sa.insert(Message)
        .returning(Message.id)
        .values(
            subscriber_id=subscriber_id,
            phone=inbound.phone,
            direction=Direction.INBOUND,
            twilio_sid=inbound.message_sid or None,
            body=inbound.body,
            status="received",
            created_at=now,
            updated_at=now,
        )
    )
    replies = [
        {
            "subscriber_id": subscriber_id,
            "phone": inbound.phone,
            "direction": Direction.OUTBOUND,
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
        session.execute(sa.insert(Message), replies)


def recent_texts(session: Session, phone: str, since: dt.datetime) -> int:
    """How many texts this number sent us since a moment (the (phone, created_at) index)."""
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(Message)
        .where(
            Message.phone == phone,
            Message.created_at >= since,
            Message.direction == Direction.INBOUND,
        )
    )
    return count or 0


def while_looping(outcome: Outcome, before: Profile) -> Outcome:
    """A number caught in a loop hears nothing; an opt-out and a red flag still count."""
    if outcome.consent is ConsentAction.OPT_OUT:
        return dataclasses.replace(outcome, replies=())
    return Outcome(before, (), escalation=outcome.escalation, reply_language=outcome.reply_language)


def erase_person(session: Session, subscriber: Subscriber | None, phone: str) -> None:
    """Erase what we hold about a number except its consent log, which the law asks us to keep."""
    for erase in ERASERS:
        erase(session, phone)
    if subscriber is not None:
        session.delete(subscriber)
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
    session: Session,
    subscriber: Subscriber | None,
    outcome: Outcome,
    inbound: InboundText,
    time_zone: str,
) -> Subscriber | None:
    """Save the new profile; a number we never heard from gets a row only once it has a status."""
    profile = outcome.profile
    if subscriber is None:
        if profile.status is None:
            return None
        subscriber = Subscriber(phone=inbound.phone, time_zone=time_zone, zip_code=inbound.zip_code)
        session.add(subscriber)
    subscriber.status = profile.status or subscriber.status
    subscriber.language = profile.language
    subscriber.enrollment_step = profile.enrollment_step
    subscriber.stage = profile.stage
    subscriber.due_date = profile.due_date
    subscriber.birth_date = profile.birth_date
    subscriber.channel = profile.channel or Channel.SMS
    if not profile.awaiting_checkin_reply:
        subscriber.last_checkin_at = None
    if inbound.zip_code and inbound.zip_code != subscriber.zip_code:
        subscriber.zip_code = inbound.zip_code
        subscriber.time_zone = local_time_zone(inbound.phone, inbound.zip_code)
    return subscriber


def _record_consent(
    session: Session,
    subscriber: Subscriber | None,
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
        subscriber,
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
    subscriber: Subscriber | None,
    outcome: Outcome,
    inbound: InboundText,
    now: dt.datetime,
) -> None:
    """Record a red flag for the care team."""
    if outcome.escalation is None:
        return
    record_escalation(
        session,
        subscriber,
        inbound.phone,
        source="text",
        reason=outcome.escalation,
        detail=inbound.body,
        language=outcome.language,
        now=now,
    )
