"""Calls end to end: decide with `phone_menu` or `reminder_calls`, record effects, speak TwiML."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service import phone_menu, reminder_calls
from service.models import (
    CallStep,
    Channel,
    ConsentAction,
    Direction,
    Message,
    Stage,
    Status,
    Subscriber,
    utcnow,
)
from service.phones import local_time_zone, mask
from service.records import record_consent, record_escalation, record_opt_out
from service.subscriptions import local_today
from service.texts import Texts
from service.voice_plan import (
    Escalate,
    OptOut,
    Plan,
    SendText,
    Subscribe,
    render_twiml,
    speech_words,
)

log = logging.getLogger(__name__)

# A text the caller asked for, waiting for the sender (the scheduler's outbox) to send it.
QUEUED = "queued"


@dataclass(frozen=True)
class CallTurn:
    """One webhook of a call: who is on the line, and what they pressed or said."""

    phone: str
    call_sid: str
    digits: str = ""
    speech: str = ""
    # The webhook's path and query: with the answer, it names this step of the call.
    step: str = ""

    @property
    def step_key(self) -> str:
        """The same for a retry of this webhook, different for any other step or answer."""
        raw = "\n".join((self.step, self.digits, self.speech))
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def start_menu(texts: Texts, turn: CallTurn) -> str:
    """The TwiML a new inbound call starts with: the language choice, in each language."""
    log.info("call %s from %s", turn.call_sid, mask(turn.phone))
    return render_twiml(phone_menu.start(), texts)


def answer_menu(
    sessions: sessionmaker[Session],
    texts: Texts,
    turn: CallTurn,
    query: dict[str, str],
    now: dt.datetime | None = None,
) -> str:
    """The TwiML for the next step of an inbound call; a hidden number can only listen."""
    now = now or utcnow()
    state = phone_menu.CallState.from_query(query)
    today = local_today(local_time_zone(turn.phone), now)
    said = phone_menu.Said(turn.digits, turn.speech)
    plan = phone_menu.answer(state, said, today, speech_words(texts))
    if plan.effects and not turn.phone:
        plan = phone_menu.hidden_number(state)
    return _finish(sessions, texts, turn, plan, now, source=f"menu:{state.node}")


def answer_reminder(
    sessions: sessionmaker[Session],
    texts: Texts,
    turn: CallTurn,
    query: dict[str, str],
    answered_by: str,
    now: dt.datetime | None = None,
) -> str:
    """The TwiML a reminder or check-in call we placed starts with."""
    call = reminder_calls.ReminderCall.from_query(query)
    plan = reminder_calls.greet(call, answered_by, _has_text(texts, call.language))
    return _finish(sessions, texts, turn, plan, now or utcnow(), source=call.message_id)


def answer_reminder_keys(
    sessions: sessionmaker[Session],
    texts: Texts,
    turn: CallTurn,
    query: dict[str, str],
    now: dt.datetime | None = None,
) -> str:
    """The TwiML after the person on a placed call pressed a key, spoke, or stayed silent."""
    call = reminder_calls.ReminderCall.from_query(query)
    plan = reminder_calls.respond(
        call, turn.digits, turn.speech, speech_words(texts), _has_text(texts, call.language)
    )
    return _finish(sessions, texts, turn, plan, now or utcnow(), source=call.message_id)


def _has_text(texts: Texts, language: str) -> Callable[[str], bool]:
    """Whether the catalog has a text id in a language."""
    ids = texts.catalog.ids(language)
    return ids.__contains__


def _finish(
    sessions: sessionmaker[Session],
    texts: Texts,
    turn: CallTurn,
    plan: Plan,
    now: dt.datetime,
    source: str,
) -> str:
    """Record the plan's effects in one transaction, once per step of a call, then render it."""
    if plan.effects:
        recorded = _record_once(sessions, texts, turn, plan, now)
        log.info(
            "call %s from %s (%s): %s%s",
            turn.call_sid,
            mask(turn.phone),
            source,
            ",".join(type(effect).__name__ for effect in plan.effects),
            "" if recorded else " (a retried step: already recorded)",
        )
    return render_twiml(plan, texts)


def _record_once(
    sessions: sessionmaker[Session], texts: Texts, turn: CallTurn, plan: Plan, now: dt.datetime
) -> bool:
    """Apply the plan's effects unless this step of the call was already recorded (a retry)."""
    try:
        with sessions.begin() as session:
            if _step_recorded(session, turn):
                return False
            session.add(CallStep(call_sid=turn.call_sid, step=turn.step_key, created_at=now))
            session.flush()
            subscriber = session.scalar(sa.select(Subscriber).where(Subscriber.phone == turn.phone))
            for effect in plan.effects:
                subscriber = EFFECTS[type(effect)](session, subscriber, effect, turn, texts, now)
            return True
    except IntegrityError:
        # Twilio retried while the first delivery was still being recorded.
        with sessions.begin() as session:
            if _step_recorded(session, turn):
                return False
        raise


def _step_recorded(session: Session, turn: CallTurn) -> bool:
    """Whether this step of this call already had its effects recorded."""
    found = session.scalar(
        sa.select(CallStep.id).where(
            CallStep.call_sid == turn.call_sid, CallStep.step == turn.step_key
        )
    )
    return found is not None


def _subscribe(
    session: Session,
    subscriber: Subscriber | None,
    effect: Subscribe,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> Subscriber:
    """Sign the caller up (or change their choices) and log the opt-in with its disclosure."""
    if subscriber is None:
        subscriber = Subscriber(phone=turn.phone, time_zone=local_time_zone(turn.phone))
        session.add(subscriber)
    stage = Stage(effect.stage)
    subscriber.status = Status.ACTIVE
    subscriber.enrollment_step = None
    subscriber.language = effect.language
    subscriber.channel = Channel(effect.channel)
    subscriber.stage = stage
    if stage is Stage.PREGNANT:
        subscriber.due_date = effect.date
    else:
        subscriber.birth_date = effect.date
    fields = _consent_fields(effect, turn, texts, now)
    session.flush()  # a new subscriber gets its id
    record_consent(session, subscriber.id, turn.phone, ConsentAction.OPT_IN, **fields)
    return subscriber


def _opt_out(
    session: Session,
    subscriber: Subscriber | None,
    effect: OptOut,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> Subscriber | None:
    """Suppress the number at once; the opt-out is logged even for a number we never enrolled."""
    record_opt_out(session, subscriber, turn.phone, **_consent_fields(effect, turn, texts, now))
    return subscriber


def _consent_fields(
    effect: Subscribe | OptOut, turn: CallTurn, texts: Texts, now: dt.datetime
) -> dict[str, Any]:
    """What the consent log keeps for a call: the spoken disclosure and the keypress."""
    return {
        "channel": "voice",
        "disclosure_id": effect.disclosure_id,
        "disclosure_version": texts.catalog.version(effect.disclosure_id, effect.language),
        "language": effect.language,
        "evidence": f"{effect.evidence} (call {turn.call_sid})",
        "now": now,
    }


def _send_text(
    session: Session,
    subscriber: Subscriber | None,
    effect: SendText,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> Subscriber | None:
    """Queue the text the caller asked for; the outbox sender delivers queued texts."""
    body = texts.catalog.text(effect.message_id, effect.language, **texts.params)
    session.add(
        Message(
            subscriber=subscriber,
            phone=turn.phone,
            direction=Direction.OUTBOUND,
            channel=Channel.SMS,
            body=body,
            message_id=effect.message_id,
            status=QUEUED,
            created_at=now,
        )
    )
    return subscriber


def _escalate(
    session: Session,
    subscriber: Subscriber | None,
    effect: Escalate,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> Subscriber | None:
    """Record a red flag from a call for the care team."""
    record_escalation(
        session,
        subscriber.id if subscriber is not None else None,
        turn.phone,
        stage=subscriber.stage if subscriber is not None else None,
        source="call",
        reason=effect.reason,
        detail=f"{effect.detail} (call {turn.call_sid})",
        language=effect.language,
        now=now,
    )
    return subscriber


# Each effect's recorder, by the effect's type.
EFFECTS: dict[type[Any], Callable[..., Subscriber | None]] = {
    Subscribe: _subscribe,
    OptOut: _opt_out,
    SendText: _send_text,
    Escalate: _escalate,
}
