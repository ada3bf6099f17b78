"""What a reminder or check-in call we place says, and what its keys do: (call, answer) -> plan.

No Flask, no database. The scheduler places the call with the URL
`/voice/reminder?message=<catalog id>&lang=<en|es>`; answers come back to `/voice/reminder/answer`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from service.domain.call_plan import (
    AnswerCheckin,
    Ask,
    Effect,
    Escalate,
    Line,
    NotYet,
    OptOut,
    Plan,
    ReportBirth,
    RetryCall,
    SetFeeding,
)
from service.domain.dates import birth_date_problem, read_birth_date
from service.domain.phone_menu import keypad_date
from service.domain.reading import read
from service.understanding import (
    SAFETY_TABLE,
    ReadingKind,
    SafetyFamily,
    Understanding,
)
from service.vocabulary import Stage
from service.words.keywords import normalize

ANSWER_PATH = "/voice/reminder/answer"
MESSAGE_ID = re.compile(r"^(reminder|checkin|life)\.[a-z0-9_]+(\.[a-z0-9_]+)*$")
# The call that asks "Has your baby arrived?" (`domain.life`): a yes asks the day.
BIRTH_QUESTION = "life.ask_birth"
LIFE_PREFIX = "life."
# Where a birth question call is: asking, reading the day, reading the day back, or asking
# about breastfeeding once the birth is recorded.
STEPS = ("", "date", "confirm", "feeding")
# Twilio's AnsweredBy values (with MachineDetection) that mean nobody is listening live.
VOICEMAIL_ANSWERS = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
)
REPROMPTS = 2
# A yes to the back-pain check-in is severe back pain: the triage table's row.
BACK_PAIN = SAFETY_TABLE[SafetyFamily.BACK_PAIN]
OPT_OUT_DISCLOSURE = "voice.stop.done"
STOP_KEY = "9"

SpeechWords = Mapping[str, Mapping[str, tuple[str, ...]]]


class UnknownMessageError(ValueError):
    """The call URL does not name a reminder or check-in."""


@dataclass(frozen=True)
class ReminderCall:
    """One placed call: which message it carries, in which language, and how many silences."""

    message_id: str
    language: str
    tries: int = 0
    step: str = ""
    date: dt.date | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ReminderCall:
        """Read the call from its URL; refuse a message id that is not a reminder or check-in."""
        message_id = query.get("message", "")
        if not MESSAGE_ID.match(message_id):
            raise UnknownMessageError(message_id)
        language = query.get("lang", "en")
        try:
            tries = max(0, min(int(query.get("tries", "0")), REPROMPTS))
        except ValueError:
            tries = 0
        step = query.get("step", "") if query.get("step") in STEPS else ""
        try:
            date = dt.date.fromisoformat(query["date"]) if query.get("date") else None
        except ValueError:
            step, date = "", None
        if step == "confirm" and date is None:
            step = "date"
        return cls(message_id, language if language in ("en", "es") else "en", tries, step, date)

    @property
    def is_checkin(self) -> bool:
        """Whether the call asks about back pain."""
        return self.message_id.startswith("checkin.")

    @property
    def asks_birth(self) -> bool:
        """Whether the call asks "Has your baby arrived?"."""
        return self.message_id == BIRTH_QUESTION

    def url(self, tries: int) -> str:
        """Where the answer to this call's prompt is posted."""
        query = {"message": self.message_id, "lang": self.language, "tries": str(tries)}
        if self.step:
            query["step"] = self.step
        if self.date:
            query["date"] = self.date.isoformat()
        return f"{ANSWER_PATH}?{urlencode(query)}"

    def line(self, message_id: str) -> Line:
        """A text in the call's language."""
        return Line(message_id, self.language)


@dataclass(frozen=True)
class Keys:
    """What the keys do on one kind of call."""

    question: str
    simple: str
    options: Mapping[str, tuple[str, str]]  # key -> (speech intent, action)


# A reminder: 1 repeats, 9 stops. A check-in asks about back pain, so 1 and 2 answer it.
REMINDER_KEYS = Keys(
    question="voice.reminder.options",
    simple="voice.reminder.options_simple",
    options={"1": ("voice_repeat", "repeat"), STOP_KEY: ("voice_stop", "stop")},
)
CHECKIN_KEYS = Keys(
    question="voice.checkin.question",
    simple="voice.checkin.question_simple",
    options={
        "1": ("voice_yes", "back_pain"),
        "2": ("voice_no", "no_pain"),
        "3": ("voice_repeat", "repeat"),
        STOP_KEY: ("voice_stop", "stop"),
    },
)
BIRTH_KEYS = Keys(
    question="voice.life.ask_birth_keys",
    simple="voice.life.ask_birth_simple",
    options={
        "1": ("voice_yes", "born"),
        "2": ("voice_no", "not_yet"),
        "3": ("voice_repeat", "repeat"),
        STOP_KEY: ("voice_stop", "stop"),
    },
)
BIRTH_CONFIRM_KEYS = Keys(
    question="voice.life.birth_confirm",
    simple="voice.life.birth_confirm",
    options={"1": ("voice_yes", "birth_right"), "2": ("voice_no", "born")},
)
# After the birth: 1 yes, 2 no; any other key, other words or silence skips the question.
FEEDING_KEYS = Keys(
    question="voice.feed.ask",
    simple="voice.feed.ask",
    options={"1": ("voice_yes", "feeding_yes"), "2": ("voice_no", "feeding_no")},
)


def keys_of(call: ReminderCall) -> Keys:
    """What the keys do on this call, at this step."""
    if call.asks_birth:
        return {"confirm": BIRTH_CONFIRM_KEYS, "feeding": FEEDING_KEYS}.get(call.step, BIRTH_KEYS)
    return CHECKIN_KEYS if call.is_checkin else REMINDER_KEYS


# Said when a call names a message the catalog no longer has (planned before an update).
FALLBACK_VOICE = {"checkin": "voice.checkin.back_pain", "reminder": "voice.reminder.calcium.amount"}


def spoken_message_id(call: ReminderCall, has_text: Callable[[str], bool]) -> str:
    """The message's own voice version (`voice.<id>`; the content check requires one)."""
    voice_id = f"voice.{call.message_id}"
    if has_text(voice_id):
        return voice_id
    return FALLBACK_VOICE["checkin" if call.is_checkin else "reminder"]


def message_lines(call: ReminderCall, has_text: Callable[[str], bool]) -> tuple[Line, ...]:
    """Who is calling, then the message itself, for the ear (a life change says its own hello)."""
    if call.message_id.startswith(LIFE_PREFIX):
        return (call.line(spoken_message_id(call, has_text)),)
    hello = "voice.checkin.hello" if call.is_checkin else "voice.reminder.hello"
    return (call.line(hello), call.line(spoken_message_id(call, has_text)))


def greet(
    call: ReminderCall,
    answered_by: str,
    has_text: Callable[[str], bool],
    retry_after: dt.timedelta,
) -> Plan:
    """The call was answered: a voicemail gets a short message (and a check-in is tried again
    later, as if nobody answered), a person gets the reminder."""
    if answered_by in VOICEMAIL_ANSWERS:
        effects: tuple[Effect, ...] = (RetryCall(retry_after),) if call.is_checkin else ()
        return Plan(say=(call.line("voice.voicemail"),), effects=effects)
    return _speak(call, has_text)


def respond(
    call: ReminderCall,
    digits: str,
    speech: str,
    words: SpeechWords,
    has_text: Callable[[str], bool],
    today: dt.date | None = None,
    reading: Understanding | None = None,
) -> Plan:
    """What the person's key or words on a placed call lead to (`reading`: what the words mean,
    read here when not given)."""
    keys = keys_of(call)
    if speech.strip() and not digits.strip():
        # Check-ins go out after the birth; a reminder's stage is not known here.
        stage = Stage.POSTPARTUM if call.is_checkin else None
        reading = reading or read(speech, stage=stage, language=call.language)
        heard = _warning(call, keys, reading, speech, has_text)
        if heard is not None:
            return heard
    if call.asks_birth and call.step == "date":
        return _birth_date(call, digits.strip(), speech, today or dt.date.today())
    action = _action(keys, digits.strip(), speech, words.get(call.language, {}))
    if call.asks_birth and call.step == "feeding":
        return _feeding(call, action)
    if action is None and reading is not None:
        action = _answered_in_words(call, reading)
        if action is None and reading.kind is ReadingKind.SAFETY_CHECK and reading.safety:
            # Maybe a warning sign: what to do if it is happening, then the question again.
            lines = (call.line(reading.safety.check_id), call.line(keys.question))
            return Plan(ask=_ask(call, keys, lines, 0))
    if action is None:
        return _again(call, keys, wrong=bool(digits or speech))
    return OUTCOMES[action](call, has_text)


def _again(call: ReminderCall, keys: Keys, wrong: bool) -> Plan:
    """Silence or a wrong key: the choices again, more simply; after two, goodbye."""
    if call.tries >= REPROMPTS:
        return Plan(say=(call.line("voice.reminder.goodbye"),))
    lead = "voice.reprompt.wrong_key" if wrong else "voice.reprompt.silence"
    lines = (call.line(lead), _line(call, keys.simple))
    return Plan(ask=_ask(call, keys, lines, call.tries + 1))


def _line(call: ReminderCall, message_id: str) -> Line:
    """A line in the call's language, with the day being read back if any."""
    return Line(message_id, call.language, {"date": call.date} if call.date else {})


def _birth_date(call: ReminderCall, digits: str, speech: str, today: dt.date) -> Plan:
    """The day the baby was born, typed (month and day) or said; then read back for a yes."""
    if digits:
        date = keypad_date(digits, today, "past")
    elif speech:
        date = read_birth_date(speech, call.language, today)
    else:
        date = None
    if date is None or birth_date_problem(date, today) is not None:
        if call.tries >= REPROMPTS:
            return Plan(say=(call.line("voice.reminder.goodbye"),))
        lead = "voice.date.unreadable" if digits or speech else "voice.reprompt.silence"
        lines = (call.line(lead), call.line("voice.life.birth_date_simple"))
        ask = Ask(lines, call.url(call.tries + 1), call.language, single_key=False)
        return Plan(ask=ask)
    confirm = dataclasses.replace(call, step="confirm", date=date, tries=0)
    return Plan(
        ask=_ask(confirm, BIRTH_CONFIRM_KEYS, (_line(confirm, "voice.life.birth_confirm"),), 0)
    )


def _warning(
    call: ReminderCall,
    keys: Keys,
    reading: Understanding,
    speech: str,
    has_text: Callable[[str], bool],
) -> Plan | None:
    """A warning sign said on the call: its spoken safety message and an escalation, then the
    question again (on a check-in, severe back pain is the check-in's yes)."""
    rule = reading.safety
    if rule is None or reading.kind is not ReadingKind.SAFETY:
        return None
    if call.is_checkin and rule.family is SafetyFamily.BACK_PAIN:
        return _back_pain(call, has_text)
    effects: tuple[Effect, ...] = ()
    if rule.alert:
        effects = (Escalate(rule, f"{call.message_id}: said {speech}", call.language),)
    lines = (call.line(rule.voice_id), call.line(keys.question))
    return Plan(ask=_ask(call, keys, lines, 0), effects=effects)


def _answered_in_words(call: ReminderCall, reading: Understanding) -> str | None:
    """A yes or no in the person's own words ("claro que si", "not really") to a check-in."""
    if not call.is_checkin or reading.kind is not ReadingKind.ANSWER:
        return None
    return {"answer.yes": "back_pain", "answer.no": "no_pain"}.get(reading.label)


def _action(
    keys: Keys, digits: str, speech: str, vocabulary: Mapping[str, tuple[str, ...]]
) -> str | None:
    """The action of the key pressed or said."""
    if digits:
        return keys.options[digits][1] if digits in keys.options else None
    spoken = f" {normalize(speech)} "
    if spoken.strip() in keys.options:
        return keys.options[spoken.strip()][1]
    for intent, action in keys.options.values():
        if any(f" {word} " in spoken for word in vocabulary.get(intent, ()) if word):
            return action
    return None


def _speak(call: ReminderCall, has_text: Callable[[str], bool]) -> Plan:
    """Say the message and what the keys do, and wait."""
    call = dataclasses.replace(call, step="", date=None)
    keys = keys_of(call)
    lines = (*message_lines(call, has_text), call.line(keys.question))
    return Plan(ask=_ask(call, keys, lines, 0))


def _ask(call: ReminderCall, keys: Keys, lines: tuple[Line, ...], tries: int) -> Ask:
    """Wait for a key or words after the lines."""
    intents = tuple(dict.fromkeys(intent for intent, _ in keys.options.values()))
    return Ask(lines=lines, action=call.url(tries), language=call.language, hint_intents=intents)


def _repeat(call: ReminderCall, has_text: Callable[[str], bool]) -> Plan:
    """Say it all again."""
    return _speak(call, has_text)


def _stop(call: ReminderCall, has_text: Callable[[str], bool]) -> Plan:
    """No more calls or texts, logged as an opt-out."""
    effect = OptOut(call.language, OPT_OUT_DISCLOSURE, f"keypress 9 on {call.message_id}")
    lines = (call.line(OPT_OUT_DISCLOSURE), call.line("voice.reminder.goodbye"))
    return Plan(say=lines, effects=(effect,))


def _back_pain(call: ReminderCall, has_text: Callable[[str], bool]) -> Plan:
    """Back pain: what to do now, and a record for the care team."""
    effect: Effect = Escalate(BACK_PAIN, f"{call.message_id}: answered yes", call.language)
    lines = (call.line(BACK_PAIN.voice_id), call.line("voice.reminder.goodbye"))
    return Plan(say=lines, effects=(effect, AnswerCheckin("checkin_reply.pain")))


def _no_pain(call: ReminderCall, has_text: Callable[[str], bool]) -> Plan:
    """No back pain: a short word of encouragement."""
    lines = (call.line("voice.checkin.no_pain"), call.line("voice.reminder.goodbye"))
    return Plan(say=lines, effects=(AnswerCheckin("checkin_reply.no_pain"),))


def _born(call: ReminderCall, has_text: Callable[[str], bool]) -> Plan:
    """The baby has arrived: ask the day."""
    asking = dataclasses.replace(call, step="date", date=None, tries=0)
    lines = (call.line("voice.life.birth_date"),)
    return Plan(ask=Ask(lines, asking.url(0), call.language, single_key=False))


def _birth_right(call: ReminderCall, has_text: Callable[[str], bool]) -> Plan:
    """The day read back is right: after-birth tips from now on."""
    if call.date is None:
        return _born(call, has_text)
    asking = dataclasses.replace(call, step="feeding", date=None, tries=0)
    lines = (call.line("voice.life.birth_recorded"), call.line(FEEDING_KEYS.question))
    ask = _ask(asking, FEEDING_KEYS, lines, 0)
    return Plan(ask=ask, effects=(ReportBirth(call.date, call.language),))


def _feeding(call: ReminderCall, action: str | None) -> Plan:
    """The breastfeeding answer (as the text's 1 or 2), or a skip; then goodbye."""
    goodbye = call.line("voice.reminder.goodbye")
    if action is None:
        return Plan(say=(call.line("voice.feed.skipped"), goodbye))
    feeding = action == "feeding_yes"
    lines = (call.line("voice.feed.yes" if feeding else "voice.feed.no"), goodbye)
    return Plan(say=lines, effects=(SetFeeding(feeding, call.language),))


def _not_yet(call: ReminderCall, has_text: Callable[[str], bool]) -> Plan:
    """Not yet: pregnancy tips go on; we ask again later."""
    return Plan(say=(call.line("voice.life.not_yet"),), effects=(NotYet(call.language),))


OUTCOMES: dict[str, Callable[[ReminderCall, Callable[[str], bool]], Plan]] = {
    "born": _born,
    "birth_right": _birth_right,
    "not_yet": _not_yet,
    "repeat": _repeat,
    "stop": _stop,
    "back_pain": _back_pain,
    "no_pain": _no_pain,
}
