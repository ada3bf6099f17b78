"""The care team's "Call now": Twilio rings the staff member's own phone; once they press 1 it
dials the person with the program's number as caller ID (so neither sees the other's number),
then tells the staff member how it went. Pure decisions; the gateway writes the TwiML."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from service.domain.call_plan import Line
from service.vocabulary import CallOutcome, MessageStatus

# What the staff member hears is in English (the care page's language).
STAFF_LANGUAGE = "en"
CONNECT_KEY = "1"
# How often the staff member is asked to press 1 before the call ends.
MAX_PROMPTS = 2
# How long the person's phone rings before "no answer".
DIAL_TIMEOUT_SECONDS = 30
# How long the staff member's phone rings.
STAFF_RING_SECONDS = 30
BRIDGE_PATH = "/voice/bridge"


@dataclass(frozen=True)
class BridgeUrls:
    """The bridge's webhook addresses for one call (absolute when the public URL is known)."""

    base: str
    contact_id: int

    def _url(self, step: str, **extra: object) -> str:
        query = urlencode({"contact": self.contact_id, **extra})
        return f"{self.base.rstrip('/')}{BRIDGE_PATH}{step}?{query}"

    @property
    def answered(self) -> str:
        """Where Twilio asks what to do when the staff member answers."""
        return self._url("")

    def connect(self, tries: int) -> str:
        """Where the key the staff member pressed goes."""
        return self._url("/connect", tries=tries)

    @property
    def dialed(self) -> str:
        """Where Twilio says how the dial to the person ended (the <Dial> action)."""
        return self._url("/dialed")

    @property
    def whisper(self) -> str:
        """What the person hears when they answer, before they are connected."""
        return self._url("/whisper")

    def status(self, leg: str) -> str:
        """The status callback of one leg ("staff" or "person")."""
        return self._url("/status", leg=leg)


@dataclass(frozen=True)
class Dial:
    """Dial the person, showing the program's number."""

    number: str
    caller_id: str
    action: str
    status_callback: str
    whisper: str
    timeout: int = DIAL_TIMEOUT_SECONDS


@dataclass(frozen=True)
class BridgeStep:
    """What one bridge webhook answers: lines to say, then a key to wait for or a dial."""

    say: tuple[Line, ...] = ()
    gather: str | None = None
    dial: Dial | None = None


def _line(message_id: str, language: str = STAFF_LANGUAGE) -> Line:
    return Line(message_id, language)


def ask_to_connect(urls: BridgeUrls, tries: int = 0) -> BridgeStep:
    """The staff member answered: say what this call is and wait for 1 (a voicemail cannot)."""
    lead = "voice.care.bridge_intro" if tries == 0 else "voice.care.bridge_press_one"
    return BridgeStep(say=(_line(lead),), gather=urls.connect(tries))


def unavailable() -> BridgeStep:
    """The person cannot be called from here (erased their number, or no such call)."""
    return BridgeStep(say=(_line("voice.care.bridge_unavailable"),))


def connect(urls: BridgeUrls, digits: str, tries: int, person: str, caller_id: str) -> BridgeStep:
    """1 dials the person; another key or silence asks again, then ends the call."""
    if digits.strip() != CONNECT_KEY:
        if tries + 1 < MAX_PROMPTS:
            return ask_to_connect(urls, tries + 1)
        return BridgeStep(say=(_line("voice.care.bridge_not_connected"),))
    dial = Dial(
        number=person,
        caller_id=caller_id,
        action=urls.dialed,
        status_callback=urls.status("person"),
        whisper=urls.whisper,
    )
    return BridgeStep(say=(_line("voice.care.bridge_connecting"),), dial=dial)


# Twilio's DialCallStatus, and what the staff member hears after the dial ends.
AFTER_DIAL = {
    "completed": "voice.care.bridge_ended",
    "answered": "voice.care.bridge_ended",
    "busy": "voice.care.bridge_busy",
    "no-answer": "voice.care.bridge_no_answer",
}


def after_dial(dial_status: str) -> BridgeStep:
    """Tell the staff member how the dial ended, then hang up."""
    return BridgeStep(say=(_line(AFTER_DIAL.get(dial_status, "voice.care.bridge_failed")),))


def whisper(language: str) -> BridgeStep:
    """What the person hears on answering: who is calling, in their language."""
    return BridgeStep(say=(_line("voice.care.whisper", language),))


WAITING = frozenset({MessageStatus.QUEUED, MessageStatus.INITIATED})
ON_THE_LINE = frozenset({MessageStatus.IN_PROGRESS, MessageStatus.ANSWERED})
MISSED = frozenset(
    {MessageStatus.BUSY, MessageStatus.NO_ANSWER, MessageStatus.FAILED, MessageStatus.CANCELED}
)
PERSON_ENDINGS = {
    MessageStatus.COMPLETED: CallOutcome.ANSWERED,
    MessageStatus.NO_ANSWER: CallOutcome.NO_ANSWER,
    MessageStatus.BUSY: CallOutcome.BUSY,
}


def call_outcome(
    staff_status: MessageStatus | None,
    person_status: MessageStatus | None,
    error: str | None = None,
) -> CallOutcome:
    """Where a bridge call is, from its two legs' latest statuses."""
    if error:
        return CallOutcome.NOT_PLACED
    if person_status is None:
        if staff_status is None or staff_status in WAITING:
            return CallOutcome.PLACING
        if staff_status is MessageStatus.RINGING:
            return CallOutcome.RINGING_STAFF
        if staff_status in ON_THE_LINE:
            return CallOutcome.STAFF_ANSWERED
        if staff_status is MessageStatus.COMPLETED:
            return CallOutcome.NOT_CONNECTED
        return CallOutcome.STAFF_MISSED
    if person_status in WAITING or person_status is MessageStatus.RINGING:
        return CallOutcome.RINGING_PERSON
    if person_status in ON_THE_LINE:
        return CallOutcome.TALKING
    return PERSON_ENDINGS.get(person_status, CallOutcome.FAILED)
