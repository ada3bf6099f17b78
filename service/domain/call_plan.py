"""What a call should hear next, as plain data: lines to say, a question to ask, effects to record.

The phone menu and the call script decide a `Plan`; `service.gateway.twiml` speaks it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from service.understanding import SafetyRule


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
    """Record a warning sign for the care team: the triage table's row for it."""

    rule: SafetyRule
    detail: str
    language: str


@dataclass(frozen=True)
class AnswerCheckin:
    """Log the person's answer to a check-in call, as a text answer is logged (the program page
    counts check-ins answered yes, no or not at all)."""

    # The answer's message id: `checkin_reply.pain` (yes) or `checkin_reply.no_pain` (no).
    answer_id: str


@dataclass(frozen=True)
class ReportBirth:
    """The person says their baby was born on `date` (the birth question's call)."""

    date: dt.date
    language: str


@dataclass(frozen=True)
class NotYet:
    """The person says the baby has not come yet: ask again later, not now."""

    language: str


@dataclass(frozen=True)
class ReportLoss:
    """A member says by phone that they lost their baby (`follow_up`: the care team is told)."""

    language: str
    evidence: str
    follow_up: bool = True


@dataclass(frozen=True)
class KeepSelfCare:
    """After a loss, the member chose bone health tips just for themselves."""

    language: str
    evidence: str


@dataclass(frozen=True)
class ChangeDate:
    """A member gives a new due date (pregnant) or birth date (postpartum) by phone."""

    stage: str
    date: dt.date
    language: str


@dataclass(frozen=True)
class ChangeChannel:
    """A member switches between texts ("sms") and calls ("voice")."""

    channel: str
    language: str
    evidence: str


@dataclass(frozen=True)
class Pause:
    """A member pauses their tips for the usual two weeks."""

    language: str
    evidence: str


@dataclass(frozen=True)
class Resume:
    """A member starts their tips again."""

    language: str
    evidence: str


@dataclass(frozen=True)
class SetDayPart:
    """A member chooses the part of the day for their tips ("morning", ...)."""

    part: str
    language: str


@dataclass(frozen=True)
class SetFeeding:
    """The answer to "Are you breastfeeding?" after a birth told by phone (a skip has none)."""

    breastfeeding: bool
    language: str


@dataclass(frozen=True)
class Weaned:
    """A breastfeeding member says by phone they stopped: as the WEANED text, from today."""

    language: str
    evidence: str


@dataclass(frozen=True)
class RetryCall:
    """Place this call again later the same day, inside the person's window (a check-in call
    that reached an answering machine, like one nobody answered)."""

    after: dt.timedelta


Effect = (
    SendText
    | Subscribe
    | OptOut
    | Escalate
    | AnswerCheckin
    | ReportBirth
    | NotYet
    | ChangeDate
    | ChangeChannel
    | Pause
    | Resume
    | SetDayPart
    | SetFeeding
    | Weaned
    | ReportLoss
    | KeepSelfCare
    | RetryCall
)


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
