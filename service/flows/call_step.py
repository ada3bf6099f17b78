"""A step of a call, in one transaction: let the phone menu or the call script decide, record the
plan's effects once per step, and hand the plan back to be spoken."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from service.domain import call_script, phone_menu
from service.domain.call_plan import (
    AnswerCheckin,
    ChangeChannel,
    ChangeDate,
    Escalate,
    KeepSelfCare,
    NotYet,
    OptOut,
    Pause,
    Plan,
    ReportBirth,
    ReportLoss,
    Resume,
    RetryCall,
    SendText,
    SetDayPart,
    SetFeeding,
    Subscribe,
    Weaned,
)
from service.domain.clock import local_date, utcnow
from service.domain.conversation import MEMBERS
from service.domain.life import FOLLOW_UP_REASON, LifeEvent, next_status, pause_until
from service.domain.phones import local_time_zone, mask
from service.flows.replanning import reach_of, refit_planned
from service.store import call_steps, consent, escalations, messages, planned, subscribers
from service.store.db import DbSession, DuplicateError, Sessions, transaction
from service.vocabulary import (
    Channel,
    ConsentAction,
    ConsentChannel,
    DayPart,
    EscalationSource,
    PendingQuestion,
    Stage,
    Status,
    Track,
)
from service.words.texts import Texts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallTurn:
    """One webhook of a call: who is on the line, and what they pressed or said."""

    phone: str
    call_sid: str
    digits: str = ""
    speech: str = ""
    # The webhook's path and query: with the answer, it names this step of the call.
    step: str = ""
    # Where Twilio places the caller, when it knows (FromZip): the person's time zone.
    zip_code: str | None = None

    @property
    def step_key(self) -> str:
        """The same for a retry of this webhook, different for any other step or answer."""
        raw = "\n".join((self.step, self.digits, self.speech))
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def start_menu(turn: CallTurn) -> Plan:
    """What a new inbound call starts with: the language choice, in each language."""
    log.info("call %s from %s", turn.call_sid, mask(turn.phone))
    return phone_menu.start()


def answer_menu(
    sessions: Sessions,
    texts: Texts,
    turn: CallTurn,
    query: dict[str, str],
    now: dt.datetime | None = None,
    loss_follow_up: bool = True,
) -> Plan:
    """The next step of an inbound call; a hidden number can only listen.

    `loss_follow_up` (CARE_TEAM_LOSS_FOLLOW_UP): whether a loss told by phone is also a
    follow-up for the care team.
    """
    now = now or utcnow()
    state = phone_menu.CallState.from_query(query)
    today = local_date(local_time_zone(turn.phone, turn.zip_code), now)
    said = phone_menu.Said(turn.digits, turn.speech)
    member = breastfeeding = False
    last_reminder = None
    if state.node == "main" and turn.phone:
        # Only the main menu offers the last reminder, the change menu and weaning: read there.
        with sessions() as session:
            last_reminder = planned.last_sent_message_id(session, turn.phone)
        member, breastfeeding = _membership(sessions, turn.phone)
    plan = phone_menu.answer(
        state,
        said,
        today,
        texts.spoken_keywords,
        last_reminder,
        member,
        breastfeeding=breastfeeding,
    )
    if not loss_follow_up:
        effects = tuple(
            dataclasses.replace(effect, follow_up=False)
            if isinstance(effect, ReportLoss)
            else effect
            for effect in plan.effects
        )
        plan = dataclasses.replace(plan, effects=effects)
    if plan.effects and not turn.phone:
        if all(isinstance(effect, Escalate) for effect in plan.effects):
            # A hidden number still hears what to do; nobody could call it back.
            plan = dataclasses.replace(plan, effects=())
        else:
            plan = phone_menu.hidden_number(state)
    return _record(sessions, texts, turn, plan, now, source=f"menu:{state.node}")


def _membership(sessions: Sessions, phone: str) -> tuple[bool, bool]:
    """Whether the caller is signed up (active or paused: option 3 changes, not signs up), and
    whether they said they are breastfeeding after the birth (they may say they stopped)."""
    with transaction(sessions) as session:
        caller = subscribers.find_by_phone(session, phone)
    if caller is None or caller.status not in MEMBERS or caller.loss_on is not None:
        return False, False
    return True, caller.stage is Stage.POSTPARTUM and caller.breastfeeding is True


def answer_reminder(
    sessions: Sessions,
    texts: Texts,
    turn: CallTurn,
    query: dict[str, str],
    answered_by: str,
    retry_after: dt.timedelta,
    now: dt.datetime | None = None,
) -> Plan:
    """What a reminder or check-in call we placed starts with."""
    call = call_script.ReminderCall.from_query(query)
    plan = call_script.greet(call, answered_by, _has_text(texts, call.language), retry_after)
    return _record(sessions, texts, turn, plan, now or utcnow(), source=call.message_id)


def answer_reminder_keys(
    sessions: Sessions,
    texts: Texts,
    turn: CallTurn,
    query: dict[str, str],
    now: dt.datetime | None = None,
) -> Plan:
    """What follows a key, words or silence from the person on a call we placed."""
    now = now or utcnow()
    call = call_script.ReminderCall.from_query(query)
    today = local_date(local_time_zone(turn.phone, turn.zip_code), now)
    plan = call_script.respond(
        call,
        turn.digits,
        turn.speech,
        texts.spoken_keywords,
        _has_text(texts, call.language),
        today,
    )
    return _record(sessions, texts, turn, plan, now, source=call.message_id)


def _has_text(texts: Texts, language: str) -> Callable[[str], bool]:
    """Whether the catalog has a text id in a language."""
    ids = texts.catalog.ids(language)
    return ids.__contains__


def _record(
    sessions: Sessions,
    texts: Texts,
    turn: CallTurn,
    plan: Plan,
    now: dt.datetime,
    source: str,
) -> Plan:
    """Record the plan's effects in one transaction, once per step of a call."""
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
    return plan


def _record_once(
    sessions: Sessions, texts: Texts, turn: CallTurn, plan: Plan, now: dt.datetime
) -> bool:
    """Apply the plan's effects unless this step of the call was already recorded (a retry)."""
    try:
        with transaction(sessions) as session:
            if call_steps.step_recorded(session, turn.call_sid, turn.step_key):
                return False
            call_steps.record_step(session, turn.call_sid, turn.step_key, now)
            for effect in plan.effects:
                caller = subscribers.find_by_phone(session, turn.phone)
                EFFECTS[type(effect)](session, caller, effect, turn, texts, now)
            return True
    except DuplicateError:
        # Twilio retried while the first delivery was still being recorded.
        with transaction(sessions) as session:
            if call_steps.step_recorded(session, turn.call_sid, turn.step_key):
                return False
        raise


def _subscribe(
    session: DbSession,
    caller: Any,
    effect: Subscribe,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Sign the caller up (or change their choices) and log the opt-in with its disclosure."""
    stage = Stage(effect.stage)
    values: dict[str, object] = {
        "status": Status.ACTIVE,
        "enrollment_step": None,
        "language": effect.language,
        "channel": Channel(effect.channel),
        "stage": stage,
        "due_date" if stage is Stage.PREGNANT else "birth_date": effect.date,
    }
    if caller is None:
        subscriber_id = subscribers.add_subscriber(session, turn.phone, turn.zip_code, values, now)
    else:
        subscriber_id = caller.id
        values.update(subscribers.location_changes(turn.phone, caller.zip_code, turn.zip_code))
        subscribers.update_subscriber(session, subscriber_id, values, now)
    fields = _consent_fields(effect, turn, texts, now)
    consent.record_consent(session, subscriber_id, turn.phone, ConsentAction.OPT_IN, **fields)


def _opt_out(
    session: DbSession,
    caller: Any,
    effect: OptOut,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Suppress the number at once; the opt-out is logged even for a number we never enrolled."""
    subscriber_id = caller.id if caller is not None else None
    fields = _consent_fields(effect, turn, texts, now)
    consent.record_opt_out(session, subscriber_id, turn.phone, **fields)


def _consent_fields(
    effect: Subscribe | OptOut, turn: CallTurn, texts: Texts, now: dt.datetime
) -> dict[str, Any]:
    """What the consent log keeps for a call: the spoken disclosure and the keypress."""
    return {
        "channel": ConsentChannel.VOICE,
        "disclosure_id": effect.disclosure_id,
        "disclosure_version": texts.catalog.version(effect.disclosure_id, effect.language),
        "catalog_version": texts.catalog.catalog_version,
        "language": effect.language,
        "evidence": f"{effect.evidence} (call {turn.call_sid})",
        "now": now,
    }


def _send_text(
    session: DbSession,
    caller: Any,
    effect: SendText,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Put the text the caller asked for in the outbox; the next send pass sends it."""
    body = texts.sms(effect.message_id, effect.language)
    subscriber_id = caller.id if caller is not None else None
    messages.queue_text(session, subscriber_id, turn.phone, effect.message_id, body, now)


def _escalate(
    session: DbSession,
    caller: Any,
    effect: Escalate,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Record a red flag from a call for the care team."""
    escalations.record_escalation(
        session,
        caller.id if caller is not None else None,
        turn.phone,
        stage=caller.stage if caller is not None else None,
        source=EscalationSource.CALL,
        reason=effect.rule.family,
        urgency=effect.rule.urgency,
        detail=f"{effect.detail} (call {turn.call_sid})",
        language=effect.language,
        now=now,
    )


def _answer_checkin(
    session: DbSession,
    caller: Any,
    effect: AnswerCheckin,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Log the key the person pressed to answer a check-in call (the answer, not their words)."""
    subscriber_id = caller.id if caller is not None else None
    messages.log_call_answer(session, subscriber_id, turn.phone, effect.answer_id, now)
    if subscriber_id is not None:
        subscribers.note_checkin_answered(session, subscriber_id)


def _report_birth(
    session: DbSession,
    caller: Any,
    effect: ReportBirth,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """The birth, told on the birth question's call: after-birth tips from now on."""
    if caller is None or caller.status is not Status.ACTIVE:
        return
    changes = {"stage": Stage.POSTPARTUM, "birth_date": effect.date, "birth_assumed_on": None}
    subscribers.update_subscriber(session, caller.id, changes, now)
    planned.cancel_for_person(session, caller.id, now)


def _not_yet(
    session: DbSession,
    caller: Any,
    effect: NotYet,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Not born yet: the birth is assumed no sooner than a week from today."""
    if caller is None:
        return
    today = local_date(caller.time_zone, now)
    subscribers.update_subscriber(session, caller.id, {"birth_asked_on": today}, now)


def _change(session: DbSession, caller: Any, changes: dict[str, object], now: dt.datetime) -> None:
    """Save a member's change and refit their planned messages, in this transaction."""
    after = SimpleNamespace(**{**caller._asdict(), **changes})
    subscribers.update_subscriber(session, caller.id, changes, now)
    refit_planned(session, caller.id, caller.time_zone, reach_of(caller), reach_of(after), now)


def _log_reach(
    session: DbSession,
    caller: Any,
    action: ConsentAction,
    effect: ChangeChannel | Pause | Resume,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """A change of reach by phone, in the consent log (the menu's words and the keypress)."""
    consent.record_consent(
        session,
        caller.id,
        turn.phone,
        action,
        channel=ConsentChannel.VOICE,
        disclosure_id="voice.change.done",
        disclosure_version=texts.catalog.version("voice.change.done", effect.language),
        language=effect.language,
        evidence=f"{effect.evidence} (call {turn.call_sid})",
        now=now,
    )


def _change_date(
    session: DbSession,
    caller: Any,
    effect: ChangeDate,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """A new due date (pregnant again, or still) or birth date, from the change menu."""
    if caller is None or caller.status not in MEMBERS:
        return
    if effect.stage == Stage.PREGNANT:
        changes: dict[str, object] = {
            "stage": Stage.PREGNANT,
            "due_date": effect.date,
            "birth_date": None,
            "birth_asked_on": None,
            "birth_assumed_on": None,
        }
    else:
        changes = {"stage": Stage.POSTPARTUM, "birth_date": effect.date, "birth_assumed_on": None}
    _change(session, caller, changes, now)


def _change_channel(
    session: DbSession,
    caller: Any,
    effect: ChangeChannel,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Texts or calls from now on; today's planned message goes the new way."""
    if caller is None or caller.status not in MEMBERS:
        return
    _change(session, caller, {"channel": Channel(effect.channel)}, now)
    _log_reach(session, caller, ConsentAction.CHANNEL, effect, turn, texts, now)


def _pause(
    session: DbSession,
    caller: Any,
    effect: Pause,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Nothing scheduled for two weeks; planned messages are cancelled."""
    status = next_status(caller.status, LifeEvent.PAUSE) if caller is not None else None
    if status is None:
        return
    until = pause_until(local_date(caller.time_zone, now), None)
    _change(session, caller, {"status": status, "paused_until": until}, now)
    _log_reach(session, caller, ConsentAction.PAUSE, effect, turn, texts, now)


def _resume(
    session: DbSession,
    caller: Any,
    effect: Resume,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Tips start again now."""
    status = next_status(caller.status, LifeEvent.RESUME) if caller is not None else None
    if status is None:
        return
    _change(session, caller, {"status": status, "paused_until": None}, now)
    _log_reach(session, caller, ConsentAction.RESUME, effect, turn, texts, now)


def _set_day_part(
    session: DbSession,
    caller: Any,
    effect: SetDayPart,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Morning, afternoon or evening, inside the send window."""
    if caller is None or caller.status not in MEMBERS:
        return
    _change(session, caller, {"day_part": DayPart(effect.part)}, now)


def _set_feeding(
    session: DbSession,
    caller: Any,
    effect: SetFeeding,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """The breastfeeding answer after a birth told by phone, stored as the text's answer."""
    if caller is None or caller.status not in MEMBERS or caller.stage is not Stage.POSTPARTUM:
        return
    changes: dict[str, object] = {
        "breastfeeding": effect.breastfeeding,
        "pending_question": None,
        "pending_options": None,
        "pending_asked_at": None,
    }
    _change(session, caller, changes, now)


def _weaned(
    session: DbSession,
    caller: Any,
    effect: Weaned,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Weaning said by phone, stored as the WEANED text: from today, the program runs 6 months
    more."""
    if caller is None or caller.stage is not Stage.POSTPARTUM or caller.loss_on is not None:
        return
    changes: dict[str, object] = {
        "breastfeeding": False,
        "weaned_on": local_date(caller.time_zone, now),
        "pending_question": None,
        "pending_options": None,
        "pending_asked_at": None,
    }
    _change(session, caller, changes, now)


def _retry_call(
    session: DbSession,
    caller: Any,
    effect: RetryCall,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """Plan the call again later today, as for a call nobody answered (if the window allows)."""
    retried = planned.plan_call_retry(session, turn.call_sid, now, effect.after)
    log.info(
        "call %s to %s reached a machine; %s",
        turn.call_sid,
        mask(turn.phone),
        "will be tried again" if retried else "not retried",
    )


def _report_loss(
    session: DbSession,
    caller: Any,
    effect: ReportLoss,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """A loss told by phone: every baby message stops now, the consent log keeps it, and the
    care team may follow up; the person then chooses (by key, or by text: 1 or 2)."""
    status = next_status(caller.status, LifeEvent.LOSS) if caller is not None else None
    if status is None:
        return
    changes: dict[str, object] = {
        "status": status,
        "paused_until": None,
        "loss_on": local_date(caller.time_zone, now),
        "track": Track.SELF_CARE,
        "breastfeeding": None,
        "pending_question": PendingQuestion.LOSS_CHOICE,
        "pending_options": None,
        "pending_asked_at": now,
    }
    _change(session, caller, changes, now)
    consent.record_consent(
        session,
        caller.id,
        turn.phone,
        ConsentAction.LOSS,
        channel=ConsentChannel.VOICE,
        disclosure_id="voice.loss.sorry",
        disclosure_version=texts.catalog.version("voice.loss.sorry", effect.language),
        language=effect.language,
        evidence=f"{effect.evidence} (call {turn.call_sid})",
        now=now,
    )
    if effect.follow_up:
        escalations.record_escalation(
            session,
            caller.id,
            turn.phone,
            stage=caller.stage,
            source=EscalationSource.CALL,
            reason=FOLLOW_UP_REASON,
            urgency=None,
            detail=f"told us of a loss (call {turn.call_sid})",
            language=effect.language,
            now=now,
        )


def _keep_self_care(
    session: DbSession,
    caller: Any,
    effect: KeepSelfCare,
    turn: CallTurn,
    texts: Texts,
    now: dt.datetime,
) -> None:
    """After a loss: bone tips just for them (an opt-in to the offer they heard)."""
    status = next_status(caller.status, LifeEvent.KEEP_SELF_CARE) if caller is not None else None
    if status is None or caller.loss_on is None:
        return
    changes: dict[str, object] = {
        "status": status,
        "pending_question": None,
        "pending_asked_at": None,
    }
    _change(session, caller, changes, now)
    consent.record_consent(
        session,
        caller.id,
        turn.phone,
        ConsentAction.OPT_IN,
        channel=ConsentChannel.VOICE,
        disclosure_id="voice.loss.sorry",
        disclosure_version=texts.catalog.version("voice.loss.sorry", effect.language),
        language=effect.language,
        evidence=f"{effect.evidence} (call {turn.call_sid})",
        now=now,
    )


# Each effect's recorder, by the effect's type.
EFFECTS: dict[type[Any], Callable[..., None]] = {
    Subscribe: _subscribe,
    OptOut: _opt_out,
    SendText: _send_text,
    Escalate: _escalate,
    AnswerCheckin: _answer_checkin,
    ReportBirth: _report_birth,
    NotYet: _not_yet,
    ChangeDate: _change_date,
    ChangeChannel: _change_channel,
    Pause: _pause,
    Resume: _resume,
    SetDayPart: _set_day_part,
    SetFeeding: _set_feeding,
    Weaned: _weaned,
    RetryCall: _retry_call,
    ReportLoss: _report_loss,
    KeepSelfCare: _keep_self_care,
}
