"""TwiML: a call's `Plan` spoken slowly in a voice that matches its language, and text replies."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, Say, VoiceResponse

from service.domain.bridge import BridgeStep
from service.domain.call_plan import Line, Plan
from service.words.catalog import DEFAULT_LANGUAGE
from service.words.texts import Texts

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


def messaging_twiml(bodies: list[str], reply_to: str | None = None) -> str:
    """A <Response> with one <Message> per body (TwiML escapes the text).

    Each reply's `action` brings its delivery status (and Twilio's SID for it) to /sms/status,
    naming the inbound message and the reply's place, so our log of the reply gets both.
    """
    response = MessagingResponse()
    for index, body in enumerate(bodies):
        if reply_to:
            response.message(
                body, action=f"/sms/status?{urlencode({'reply_to': reply_to, 'n': index})}"
            )
        else:
            response.message(body)
    return str(response)


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


# The status events of the person's leg of a care-team bridge call.
BRIDGE_STATUS_EVENTS = "initiated ringing answered completed"


def render_bridge(step: BridgeStep, texts: Texts) -> str:
    """The TwiML of one step of a care-team bridge call: a key to press, a dial, or goodbye."""
    response = VoiceResponse()
    if step.gather:
        gather = response.gather(
            input="dtmf",
            num_digits=1,
            action=step.gather,
            method="POST",
            timeout=GATHER_TIMEOUT,
            action_on_empty_result=True,
        )
        for line in step.say:
            _say(gather, line, texts)
        return str(response)
    for line in step.say:
        _say(response, line, texts)
    if step.dial is None:
        response.hangup()
        return str(response)
    dial = step.dial
    placed = response.dial(
        caller_id=dial.caller_id or None,
        action=dial.action,
        method="POST",
        timeout=dial.timeout,
    )
    placed.number(
        dial.number,
        url=dial.whisper,
        method="POST",
        status_callback=dial.status_callback,
        status_callback_method="POST",
        status_callback_event=BRIDGE_STATUS_EVENTS,
    )
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
        line.message_id,
        _language(line.language),
        **{**texts.params(_language(line.language)), **line.params},
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
