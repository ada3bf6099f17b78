"""An inbound text, in one transaction: load the person, let the conversation decide, store it."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from service.domain import loop_guard
from service.domain.clock import local_date, utcnow
from service.domain.conversation import Outcome, Profile, respond
from service.domain.life import FOLLOW_UP_REASON
from service.domain.loop_guard import LoopRule
from service.domain.phones import local_time_zone, mask
from service.flows.replanning import reach_of, refit_planned
from service.store import consent, erasure, escalations, messages, subscribers
from service.store.db import DbSession, DuplicateError, Sessions, transaction
from service.store.messages import LoggedReply
from service.vocabulary import (
    Channel,
    ConsentAction,
    ConsentChannel,
    DayPart,
    EnrollmentStep,
    EscalationSource,
    PendingQuestion,
    Stage,
    Status,
    Track,
)
from service.words.texts import Texts

log = logging.getLogger(__name__)

# The subscriber columns a text can change, and how a Profile fills them.
PROFILE_COLUMNS = (
    "status",
    "language",
    "enrollment_step",
    "stage",
    "due_date",
    "birth_date",
    "paused_until",
    "day_part",
    "birth_asked_on",
    "birth_assumed_on",
    "loss_on",
    "breastfeeding",
    "weaned_on",
    "track",
)


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
    def enrollment_step(self) -> EnrollmentStep | None: ...
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
    def pending_question(self) -> PendingQuestion | None: ...
    @property
    def pending_options(self) -> str | None: ...
    @property
    def paused_until(self) -> dt.date | None: ...
    @property
    def day_part(self) -> DayPart | None: ...
    @property
    def birth_asked_on(self) -> dt.date | None: ...
    @property
    def birth_assumed_on(self) -> dt.date | None: ...
    @property
    def loss_on(self) -> dt.date | None: ...
    @property
    def breastfeeding(self) -> bool | None: ...
    @property
    def weaned_on(self) -> dt.date | None: ...
    @property
    def track(self) -> Track: ...


def receive_text(
    sessions: Sessions,
    inbound: InboundText,
    texts: Texts,
    now: dt.datetime | None = None,
    loop_rule: LoopRule | None = None,
    loss_follow_up: bool = True,
) -> list[str]:
    """Answer one inbound text once; a repeated MessageSid gets the first answer again.

    `loss_follow_up` (the clinic's CARE_TEAM_LOSS_FOLLOW_UP): whether a loss is also an alert
    for the care team to follow up (not urgent).
    """
    now = now or utcnow()
    loop_rule = loop_rule or LoopRule()
    try:
        with transaction(sessions) as session:
            connection = session.connection()
            known = messages.what_we_know(
                connection, inbound.message_sid, inbound.phone, now, loop_rule
            )
            if known.earlier_id is not None:
                return messages.replies_to(connection, known.earlier_id)
            outcome_of = _Answering(texts, now, known, loop_rule, loss_follow_up)
            return _answer(session, inbound, outcome_of)
    except DuplicateError:
        # Twilio retried while the first delivery was still being answered: reuse that answer.
        with transaction(sessions) as session:
            earlier = messages.earlier_replies(session.connection(), inbound.message_sid)
            if earlier is None:
                raise
            return earlier


def profile_of(subscriber: SubscriberFields | None) -> Profile:
    """The conversation's view of a subscriber row (an ORM object or a plain row)."""
    if subscriber is None:
        return Profile()
    question = subscriber.pending_question
    return Profile(
        status=subscriber.status,
        language=subscriber.language,
        enrollment_step=subscriber.enrollment_step,
        stage=subscriber.stage,
        due_date=subscriber.due_date,
        birth_date=subscriber.birth_date,
        channel=subscriber.channel,
        # A plain row holds the stored value; an ORM object the enum.
        pending=PendingQuestion(question) if question else None,
        pending_options=tuple((subscriber.pending_options or "").split()),
        paused_until=subscriber.paused_until,
        day_part=DayPart(subscriber.day_part) if subscriber.day_part else None,
        birth_asked_on=subscriber.birth_asked_on,
        birth_assumed_on=subscriber.birth_assumed_on,
        loss_on=subscriber.loss_on,
        breastfeeding=subscriber.breastfeeding,
        weaned_on=subscriber.weaned_on,
        track=Track(subscriber.track),
    )


@dataclass(frozen=True)
class _Answering:
    """What answering one new text needs besides the text and the session."""

    texts: Texts
    now: dt.datetime
    known: messages.Known
    loop_rule: LoopRule
    loss_follow_up: bool


def _answer(session: DbSession, inbound: InboundText, answering: _Answering) -> list[str]:
    """Decide, apply and log the answer to a new inbound text."""
    texts, now, known, loop_rule = (
        answering.texts,
        answering.now,
        answering.known,
        answering.loop_rule,
    )
    connection = session.connection()
    subscriber: SubscriberFields | None = known.subscriber
    time_zone = subscriber.time_zone if subscriber else _stranger_zone(inbound)
    before = profile_of(subscriber)
    outcome = respond(before, inbound.body, local_date(time_zone, now), texts.keywords)
    judgement = loop_guard.judge(known.history, inbound.body, now, loop_rule)
    if judgement.held:
        outcome = loop_guard.while_held(outcome, before, judgement)
        log.warning(
            "text from %s held by loop protection (%s, %s)",
            mask(inbound.phone),
            judgement.verdict,
            judgement.signal,
        )
    # Everything is decided before the first write, so SQLite's write lock is held briefly.
    replies = [
        LoggedReply(reply.message_id, texts.sms(reply.message_id, outcome.language, reply.params))
        for reply in outcome.replies
    ]
    if outcome.erase:
        erasure.erase_person(connection, inbound.phone)
        subscriber_id = None
    else:
        subscriber_id = _save_profile(connection, subscriber, outcome, inbound, now)
    if subscriber is not None and subscriber_id is not None:
        # Planned messages that no longer fit (a new date, a pause, a loss, a stop) are
        # cancelled, or moved to the new channel or part of the day, in this transaction.
        refit_planned(
            connection,
            subscriber_id,
            time_zone,
            reach_of(subscriber),
            reach_of(outcome.profile),
            now,
        )
    if outcome.follow_up is not None and answering.loss_follow_up:
        _record_follow_up(connection, subscriber_id, outcome, inbound, now)
    messages.log_text_and_replies(
        connection,
        subscriber_id,
        inbound.phone,
        inbound.message_sid,
        inbound.body,
        replies,
        now,
        held=judgement.held,
    )
    _record_consent(connection, subscriber_id, outcome, inbound, texts, now)
    _record_escalation(connection, subscriber_id, outcome, inbound, now)
    log.info(
        "text from %s answered with %s",
        mask(inbound.phone),
        ",".join(reply.message_id for reply in outcome.replies),
    )
    return [reply.body for reply in replies]


def _stranger_zone(inbound: InboundText) -> str:
    """A stranger's time zone, by the same rule their row will get (ZIP, else area code)."""
    return local_time_zone(inbound.phone, inbound.zip_code)


def _save_profile(
    connection: Any,
    subscriber: SubscriberFields | None,
    outcome: Outcome,
    inbound: InboundText,
    now: dt.datetime,
) -> int | None:
    """Save what changed; a number we never heard from gets a row only once it has a status."""
    profile = outcome.profile
    if subscriber is None:
        if profile.status is None:
            return None
        values = _profile_values(profile, None, now)
        return subscribers.add_subscriber(connection, inbound.phone, inbound.zip_code, values, now)
    values = _profile_values(profile, subscriber, now)
    values.update(
        subscribers.location_changes(inbound.phone, subscriber.zip_code, inbound.zip_code)
    )
    changed = {name: value for name, value in values.items() if getattr(subscriber, name) != value}
    subscribers.update_subscriber(connection, subscriber.id, changed, now)
    return subscriber.id


def _profile_values(
    profile: Profile, subscriber: SubscriberFields | None, now: dt.datetime
) -> dict[str, object]:
    """The subscriber columns the new profile sets; a question asked now is asked at `now`."""
    values: dict[str, object] = {name: getattr(profile, name) for name in PROFILE_COLUMNS}
    values["status"] = profile.status or (subscriber.status if subscriber else None)
    values["channel"] = profile.channel or Channel.SMS
    before = profile_of(subscriber)
    question = (profile.pending, profile.pending_options)
    if subscriber is None or question != (before.pending, before.pending_options):
        values["pending_question"] = profile.pending
        values["pending_options"] = " ".join(profile.pending_options) or None
        values["pending_asked_at"] = now if profile.pending else None
    return values


def _record_consent(
    connection: Any,
    subscriber_id: int | None,
    outcome: Outcome,
    inbound: InboundText,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Keep the consent log: who, when, how, which disclosure, and the words they used."""
    if outcome.consent is None or outcome.consent_disclosure is None:
        return
    fields: dict[str, Any] = {
        "channel": ConsentChannel.SMS,
        "disclosure_id": outcome.consent_disclosure,
        "disclosure_version": texts.catalog.version(outcome.consent_disclosure, outcome.language),
        "catalog_version": texts.catalog.catalog_version,
        "language": outcome.language,
        "evidence": inbound.body,
        "now": now,
    }
    if outcome.consent is ConsentAction.OPT_OUT:
        consent.record_opt_out(connection, subscriber_id, inbound.phone, **fields)
    else:
        consent.record_consent(connection, subscriber_id, inbound.phone, outcome.consent, **fields)


def _record_escalation(
    connection: Any,
    subscriber_id: int | None,
    outcome: Outcome,
    inbound: InboundText,
    now: dt.datetime,
) -> None:
    """Record a warning sign for the care team, with its family and urgency."""
    if outcome.escalation is None:
        return
    escalations.record_escalation(
        connection,
        subscriber_id,
        inbound.phone,
        stage=outcome.profile.stage,
        source=EscalationSource.TEXT,
        reason=outcome.escalation.family,
        urgency=outcome.escalation.urgency,
        detail=inbound.body,
        language=outcome.language,
        now=now,
    )


def _record_follow_up(
    connection: Any,
    subscriber_id: int | None,
    outcome: Outcome,
    inbound: InboundText,
    now: dt.datetime,
) -> None:
    """A loss: an escalation the care team follows up when they can (its alert says so)."""
    escalations.record_escalation(
        connection,
        subscriber_id,
        inbound.phone,
        stage=outcome.profile.stage,
        source=EscalationSource.TEXT,
        reason=outcome.follow_up or FOLLOW_UP_REASON,
        urgency=None,
        detail=inbound.body,
        language=outcome.language,
        now=now,
    )
