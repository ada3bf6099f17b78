"""Loop protection as a pure function: tell an auto-responder from a person by how it texts.

A person asks different things, at a person's pace. An auto-responder (or another service's bot
answering ours) sends the same words again and again, answers each of our texts within a second
or two, or sends far more texts than anyone types. Any of those, within the window, pauses our
replies: the first held text hears once that replies are paused; texts that keep coming inside
the pause get no answer, and the pause lasts until the number has been quiet for its length.
STOP and DELETE are honoured and confirmed, a red flag still reaches the care team, and every
text is logged (`service.flows.inbound_text` applies this; the store gives the history).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import fuzz

from service.config import Settings
from service.domain.conversation import Outcome, Profile, Reply
from service.vocabulary import ConsentAction, Direction, LoopSignal, LoopVerdict, Status
from service.words.normalize import normalize

# The one reply that says replies are paused (messages/<lang>/guard.yaml).
PAUSED_NOTICE = "guard.paused"
# rapidfuzz's ratio (0-100) at or above which two texts count as the same auto-reply.
NEARLY_SAME = 90.0
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class LoopRule:
    """What counts as a loop, and how long a pause lasts (the LOOP_* settings)."""

    window: dt.timedelta = dt.timedelta(minutes=5)
    # More texts than this within the window: a machine's rate.
    most_texts: int = 30
    # The same (or nearly the same) text more times than this within the window.
    most_repeats: int = 12
    # More than `quick_replies` of our texts in a row, each answered within `quick_reply`
    # (0 turns this signal off).
    quick_reply: dt.timedelta = dt.timedelta(seconds=2)
    quick_replies: int = 4
    pause: dt.timedelta = dt.timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoopRule:
        """The rule an operator configured."""
        return cls(
            window=dt.timedelta(minutes=settings.LOOP_WINDOW_MINUTES),
            most_texts=settings.LOOP_LIMIT_MESSAGES,
            most_repeats=settings.LOOP_REPEAT_LIMIT,
            quick_reply=dt.timedelta(seconds=settings.LOOP_QUICK_REPLY_SECONDS),
            quick_replies=settings.LOOP_QUICK_REPLY_COUNT,
            pause=dt.timedelta(minutes=settings.LOOP_PAUSE_MINUTES),
        )

    @property
    def lookback(self) -> dt.timedelta:
        """How far back the history must reach: the window, or the pause if it is longer."""
        return max(self.window, self.pause)

    @property
    def history_rows(self) -> int:
        """The most recent messages the store needs to show (each text, with up to 2 replies)."""
        return 3 * (max(self.most_repeats, self.quick_replies) + 1)


class Past(NamedTuple):
    """One earlier text to or from the number: when, which way, (theirs) what it said, and
    whether loop protection held it. (A tuple: every text builds a few dozen of them.)"""

    at: dt.datetime
    direction: Direction
    body: str = ""
    held: bool = False


@dataclass(frozen=True)
class History:
    """What the store knows of the number's recent texts, as of the moment this one arrived."""

    # Texts from the number within the window, before this one.
    texts_in_window: int = 0
    # The latest messages both ways within the lookback, newest first (at most `history_rows`).
    recent: Sequence[Past] = ()

    def in_pause(self, now: dt.datetime, pause: dt.timedelta) -> bool:
        """Whether a pause is on: their latest text was held less than `pause` ago. (Every text
        within `pause` of a held one is held too, so the latest held text is their latest.)"""
        latest = next((past for past in self.recent if past.direction is Direction.INBOUND), None)
        return latest is not None and latest.held and now - latest.at < pause


@dataclass(frozen=True)
class Judgement:
    """Loop protection's verdict on one text, and the signal behind it (for the log)."""

    verdict: LoopVerdict
    signal: LoopSignal | None = None

    @property
    def held(self) -> bool:
        """Whether the text's normal answer is held back."""
        return self.verdict is not LoopVerdict.ANSWER


ANSWER = Judgement(LoopVerdict.ANSWER)


def judge(history: History, text: str, now: dt.datetime, rule: LoopRule) -> Judgement:
    """Answer, start a pause (the first held text), or hold quietly inside a pause."""
    if history.in_pause(now, rule.pause):
        return Judgement(LoopVerdict.HOLD, LoopSignal.PAUSED)
    if history.texts_in_window >= rule.most_texts:
        return Judgement(LoopVerdict.PAUSE, LoopSignal.HIGH_RATE)
    if rule.quick_replies and quick_reply_streak(history.recent, now, rule) > rule.quick_replies:
        return Judgement(LoopVerdict.PAUSE, LoopSignal.QUICK_REPLIES)
    # Only a number with that many texts in the window can have repeated one that often.
    if history.texts_in_window >= rule.most_repeats and (
        repeats(history.recent, text, now, rule) >= rule.most_repeats
    ):
        return Judgement(LoopVerdict.PAUSE, LoopSignal.REPEATED_TEXT)
    return ANSWER


def gist(text: str) -> str:
    """A text as loop protection compares it: case, accents, punctuation and spacing gone, and
    each run of digits one `#` (a ticket number or a clock time changes in every auto-reply);
    a text that is only a number (a menu choice) keeps its digits."""
    plain = normalize(text)
    return plain if plain.isdigit() else _DIGITS.sub("#", plain)


def nearly_same(first: str, second: str) -> bool:
    """Whether two gists are the same auto-reply (equal, or one slip apart in a long text)."""
    return first == second or fuzz.ratio(first, second, score_cutoff=NEARLY_SAME) > 0


def repeats(recent: Sequence[Past], text: str, now: dt.datetime, rule: LoopRule) -> int:
    """How many of the number's texts within the window said (nearly) what this one says."""
    wanted = gist(text)
    return sum(
        1
        for past in recent
        if past.direction is Direction.INBOUND
        and now - past.at <= rule.window
        and nearly_same(gist(past.body), wanted)
    )


def quick_reply_streak(recent: Sequence[Past], now: dt.datetime, rule: LoopRule) -> int:
    """How many of our latest texts in a row were each answered within `rule.quick_reply`,
    counting this text (arriving `now`) as an answer to our latest one."""
    answered = 0
    # Newest first. `answers` holds their texts since the older text of ours we look for.
    answers = [now]
    for past in recent:
        if now - past.at > rule.window:
            break
        if past.direction is Direction.INBOUND:
            answers.append(past.at)
        elif answers:
            if min(answers) - past.at > rule.quick_reply:
                break
            answered += 1
            answers = []
        # Else one more part of the same reply, or a text of ours nobody answered yet.
    return answered


def while_held(outcome: Outcome, before: Profile, judgement: Judgement) -> Outcome:
    """What a held text still gets: STOP and DELETE are honoured with their one confirmation, a
    red flag is recorded for the care team, and the first held text of a pause says (once) that
    replies are paused, after the safety reply when it is a red flag. Nothing else changes."""
    if outcome.consent is ConsentAction.OPT_OUT:
        if before.status is Status.STOPPED and not outcome.erase:
            # Already stopped and confirmed: a repeated STOP is recorded, not answered again.
            return dataclasses.replace(outcome, replies=())
        return outcome
    replies: tuple[Reply, ...] = ()
    if judgement.verdict is LoopVerdict.PAUSE:
        safety = outcome.replies if outcome.escalation else ()
        replies = (*safety, Reply(PAUSED_NOTICE))
    return Outcome(
        before, replies, escalation=outcome.escalation, reply_language=outcome.reply_language
    )
