"""What a call should hear next, as plain data, and how that becomes TwiML.

The phone menu and the reminder calls decide a `Plan`; `render_twiml` turns it into words from
the catalog, spoken slowly in a voice that matches the language. No Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from twilio.twiml.voice_response import Gather, Say, VoiceResponse

from service.catalog import DEFAULT_LANGUAGE
from service.texts import Texts

# Amazon Polly voices Twilio supports, each with the one language it speaks; a mismatched pair
# makes Twilio skip the <Say> (https://www.twilio.com/docs/voice/twiml/say/text-speech).
VOICES: dict[str, tuple[str, str]] = {
    "en": ("Polly.Joanna", "en-US"),
    "es": ("Polly.Lupe", "es-US"),
}

# A little slower than the voice's default, for about 150 words a minute.
SPEECH_RATE = "90%"
# Numbers (keys, dates, 911, 1,000 mg) slower still.
NUMBER_RATE = "70%"
# Relay and TTY callers need time: never less than 10 seconds per prompt.
GATHER_TIMEOUT = 12
_NUMBER = re.compile(r"(\d[\d,]*\d|\d)")


@dataclass(frozen=True)
class Line:
    """One catalog text to speak, in one language, with values for its placeholders."""

    message_id: str
    language: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Ask:
    """A prompt that waits for a key or words, then posts the answer to `action`."""

    lines: tuple[Line, ...]
    action: str
    language: str
    hint_intents: tuple[str, ...] = ()
    # One key acts at once in a menu; a date is typed up to the pound key.
    single_key: bool = True


@dataclass(frozen=True)
class SendText:
    """Text the caller a catalog text (they asked for it by a keypress)."""

    message_id: str
    language: str


@dataclass(frozen=True)
class Subscribe:
    """Sign the caller up (or change their choices) after they agreed to the disclosure."""

    language: str
    stage: str
    date: dt.date
    channel: str
    disclosure_id: str
    evidence: str


@dataclass(frozen=True)
class OptOut:
    """Stop every reminder and call to this number, and log the opt-out."""

    language: str
    disclosure_id: str
    evidence: str


@dataclass(frozen=True)
class Escalate:
    """Record a red flag for the care team."""

    reason: str
    detail: str
    language: str


Effect = SendText | Subscribe | OptOut | Escalate


class BareHangupError(ValueError):
    """A plan would hang up without saying anything."""


@dataclass(frozen=True)
class Plan:
    """Lines to say, then either a prompt that waits for an answer or a hang-up."""

    say: tuple[Line, ...] = ()
    ask: Ask | None = None
    effects: tuple[Effect, ...] = ()

    def __post_init__(self) -> None:
        if self.ask is None and not self.say:
            raise BareHangupError("a call never ends without a goodbye")

    @property
    def hangs_up(self) -> bool:
        """Whether the call ends after this plan."""
        return self.ask is None


def render_twiml(plan: Plan, texts: Texts) -> str:
    """The TwiML document for a plan."""
    response = VoiceResponse()
    for line in plan.say:
        _say(response, line, texts)
    if plan.ask is None:
        response.hangup()
        return str(response)
    ask = plan.ask
    gather = response.gather(
        input="dtmf speech",
        action=ask.action,
        method="POST",
        timeout=GATHER_TIMEOUT,
        speech_timeout="auto",
        language=VOICES[_language(ask.language)][1],
        hints=", ".join(hints(texts, ask.language, ask.hint_intents, dates=not ask.single_key))
        or None,
        action_on_empty_result=True,
        num_digits=1 if ask.single_key else None,
        finish_on_key="#",
    )
    for line in ask.lines:
        _say(gather, line, texts)
    # Should Twilio ever fall through the <Gather>, the same URL hears it as silence.
    response.redirect(ask.action, method="POST")
    return str(response)


def hints(texts: Texts, language: str, intents: tuple[str, ...], dates: bool = False) -> list[str]:
    """Words that help speech recognition: the prompt's keywords, and month names for a date."""
    words: list[str] = []
    if dates:
        words.extend(
            str(month).lower() for month in texts.catalog.words(_language(language))["months"]
        )
    for intent in intents:
        for word in texts.catalog.keywords(_language(language)).get(intent, []):
            spoken = str(word).lower()
            if not spoken.isdigit() and spoken not in words:
                words.append(spoken)
    return words


def spoken_text(line: Line, texts: Texts) -> str:
    """The words of one line."""
    return texts.catalog.text(
        line.message_id, _language(line.language), **{**texts.params, **line.params}
    )


def _say(parent: VoiceResponse | Gather, line: Line, texts: Texts) -> None:
    """One <Say> in the line's voice, slowed down, with its numbers slower still."""
    voice, language = VOICES[_language(line.language)]
    say: Say = parent.say(voice=voice, language=language)
    for index, piece in enumerate(_NUMBER.split(spoken_text(line, texts))):
        if piece.strip():
            say.prosody(piece, rate=NUMBER_RATE if index % 2 else SPEECH_RATE)


def _language(language: str) -> str:
    """A language we have a voice for."""
    return language if language in VOICES else DEFAULT_LANGUAGE


def speech_words(texts: Texts) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per language, each intent's keywords, normalized for matching what a caller said."""
    # Built once per app: normalizing every keyword took 9 ms of each call webhook.
    return {language: texts.spoken_keywords[language] for language in VOICES}
