"""What a reminder or check-in call we place says, and what its keys do: (call, answer) -> plan.

No Flask, no database. The scheduler places the call with the URL
`/voice/reminder?message=<catalog id>&lang=<en|es>`; answers come back to `/voice/reminder/answer`.
"""

from __future__ import annotations

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
    OptOut,
    Plan,
    RetryCall,
)
from service.domain.reading import read
from service.domain.vocabulary import Stage
from service.understanding import (
    SAFETY_TABLE,
    ReadingKind,
    SafetyFamily,
    Understanding,
)
from service.words.keywords import normalize

ANSWER_PATH = "/voice/reminder/answer"
MESSAGE_ID = re.compile(r"^(reminder|checkin)\.[a-z0-9_]+(\.[a-z0-9_]+)*$")
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
        return cls(message_id, language if language in ("en", "es") else "en", tries)

    @property
    def is_checkin(self) -> bool:
        """Whether the call asks about back pain."""
        return self.message_id.startswith("checkin.")

    def url(self, tries: int) -> str:
        """Where the answer to this call's prompt is posted."""
        query = {"message": self.message_id, "lang": self.language, "tries": str(tries)}
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


# Said when a call names a message the catalog no longer has (planned before an update).
FALLBACK_VOICE = {"checkin": "voice.checkin.back_pain", "reminder": "voice.reminder.calcium.amount"}


def spoken_message_id(call: ReminderCall, has_text: Callable[[str], bool]) -> str:
    """The message's own voice version (`voice.<id>`; the content check requires one)."""
    voice_id = f"voice.{call.message_id}"
    if has_text(voice_id):
        return voice_id
    return FALLBACK_VOICE["checkin" if call.is_checkin else "reminder"]


def message_lines(call: ReminderCall, has_text: Callable[[str], bool]) -> tuple[Line, ...]:
    """Who is calling, then the message itself, for the ear."""
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
    reading: Understanding | None = None,
) -> Plan:
    """What the person's key or words on a placed call lead to (`reading`: what the words mean,
    read here when not given)."""
    keys = CHECKIN_KEYS if call.is_checkin else REMINDER_KEYS
    if speech.strip() and not digits.strip():
        # Check-ins go out after the birth; a reminder's stage is not known here.
        stage = Stage.POSTPARTUM if call.is_checkin else None
        reading = reading or read(speech, stage=stage, language=call.language)
        heard = _warning(call, keys, reading, speech, has_text)
        if heard is not None:
            return heard
    action = _action(keys, digits.strip(), speech, words.get(call.language, {}))
    if action is None and reading is not None:
        action = _answered_in_words(call, reading)
        if action is None and reading.kind is ReadingKind.SAFETY_CHECK and reading.safety:
            # Maybe a warning sign: what to do if it is happening, then the question again.
            lines = (call.line(reading.safety.check_id), call.line(keys.question))
            return Plan(ask=_ask(call, keys, lines, 0))
    if action is None:
        if call.tries >= REPROMPTS:
            return Plan(say=(call.line("voice.reminder.goodbye"),))
        lead = "voice.reprompt.wrong_key" if digits or speech else "voice.reprompt.silence"
        lines = (call.line(lead), call.line(keys.simple))
        return Plan(ask=_ask(call, keys, lines, call.tries + 1))
    return OUTCOMES[action](call, has_text)


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
    keys = CHECKIN_KEYS if call.is_checkin else REMINDER_KEYS
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


OUTCOMES: dict[str, Callable[[ReminderCall, Callable[[str], bool]], Plan]] = {
    "repeat": _repeat,
    "stop": _stop,
    "back_pain": _back_pain,
    "no_pain": _no_pain,
}
