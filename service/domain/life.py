"""Life changes as pure functions: every move between statuses in one table, the program's end
date, and what the `life` job owes each person today (ask about the birth, assume it, end a
pause, say goodbye).

No database: `scheduler.life` loads the people and stores what is decided here.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from service.domain.schedule import program_end
from service.vocabulary import Channel, DayPart, PendingQuestion, Stage, Status

# "Has your baby arrived?" three days after the due date; after two weeks with no news (or a
# week after the last NOT YET), tips move to after birth, counted from the due date.
BIRTH_QUESTION_DAYS = 3
BIRTH_ASSUMED_DAYS = 14
NOT_YET_GRACE_DAYS = 7
# Scheduled messages that ask a question: once sent, a bare answer answers it.
QUESTION_OF_ITEM: Mapping[str, PendingQuestion] = {"life.ask_birth": PendingQuestion.BIRTH}
# The care team's escalation reason for a loss: a follow-up when they can, not a red flag.
FOLLOW_UP_REASON = "loss_follow_up"
DEFAULT_PAUSE_WEEKS = 2
MOST_PAUSE_WEEKS = 12


class LifeEvent(enum.StrEnum):
    """Something that moves a subscriber from one status to another after joining."""

    PAUSE = "pause"  # PAUSE [weeks]
    RESUME = "resume"  # RESUME, or a pause's last day passed
    LOSS = "loss"  # a loss: nothing goes out until they choose
    KEEP_SELF_CARE = "keep_self_care"  # after a loss: bone tips for themselves
    PROGRAM_ENDS = "program_ends"  # the goodbye


# Every move between statuses after joining, in one place (STOP, START and JOIN: the
# conversation's compliance rules, which work from every status).
TRANSITIONS: Mapping[LifeEvent, Mapping[Status, Status]] = {
    LifeEvent.PAUSE: {Status.ACTIVE: Status.PAUSED, Status.PAUSED: Status.PAUSED},
    LifeEvent.RESUME: {Status.PAUSED: Status.ACTIVE},
    LifeEvent.LOSS: {Status.ACTIVE: Status.PAUSED, Status.PAUSED: Status.PAUSED},
    LifeEvent.KEEP_SELF_CARE: {Status.PAUSED: Status.ACTIVE, Status.ACTIVE: Status.ACTIVE},
    LifeEvent.PROGRAM_ENDS: {Status.ACTIVE: Status.COMPLETED},
}


def next_status(status: Status | None, event: LifeEvent) -> Status | None:
    """The status after `event`, or None when it cannot happen from `status`."""
    return TRANSITIONS[event].get(status) if status is not None else None


def pause_until(today: dt.date, weeks: int | None) -> dt.date:
    """The last day of a pause of `weeks` weeks (2 when not said, at most 12)."""
    weeks = DEFAULT_PAUSE_WEEKS if not weeks else min(max(weeks, 1), MOST_PAUSE_WEEKS)
    return today + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)


class LifeStep(enum.StrEnum):
    """What the `life` job does for one person today; each has a message id of the same name."""

    ASK_BIRTH = "life.ask_birth"
    ASSUME_BIRTH = "life.birth_assumed"
    END_PAUSE = "life.welcome_back"
    GOODBYE = "life.goodbye"


@dataclass(frozen=True)
class LifeProfile:
    """What the `life` job needs to know about one person."""

    status: Status
    stage: Stage | None
    due_date: dt.date | None = None
    birth_date: dt.date | None = None
    weaned_on: dt.date | None = None
    paused_until: dt.date | None = None
    birth_asked_on: dt.date | None = None
    birth_assumed_on: dt.date | None = None
    loss_on: dt.date | None = None


def life_step(person: LifeProfile, today: dt.date) -> LifeStep | None:
    """What is owed to a person today, at most one thing; None when nothing is."""
    if person.status is Status.PAUSED:
        ended = person.paused_until is not None and today > person.paused_until
        return LifeStep.END_PAUSE if ended else None
    if person.status is not Status.ACTIVE:
        return None
    if person.loss_on is not None:
        ends = program_end(person.loss_on, loss_on=person.loss_on)
        return LifeStep.GOODBYE if today > ends else None
    if person.stage is Stage.POSTPARTUM and person.birth_date is not None:
        # The last day is the program's own (its last check-in); the goodbye comes after it.
        ends = program_end(person.birth_date, person.weaned_on)
        return LifeStep.GOODBYE if today > ends else None
    if person.stage is not Stage.PREGNANT or person.due_date is None:
        return None
    late = (today - person.due_date).days
    if person.birth_asked_on is not None and late >= BIRTH_ASSUMED_DAYS:
        grace = (today - person.birth_asked_on).days
        if grace >= NOT_YET_GRACE_DAYS or person.birth_asked_on <= person.due_date:
            return LifeStep.ASSUME_BIRTH
    if person.birth_asked_on is None and late >= BIRTH_QUESTION_DAYS:
        return LifeStep.ASK_BIRTH
    return None


@dataclass(frozen=True)
class Candidates:
    """Who may be owed something on `latest` (the latest local date anywhere): the only rows
    the `life` job needs to read, so a pass reads a few rows, not every subscriber."""

    latest: dt.date

    @property
    def pause_over_before(self) -> dt.date:
        """A pause whose last day is before this may have ended."""
        return self.latest

    @property
    def due_on_or_before(self) -> dt.date:
        """A due date on or before this may call for the birth question (or the assumption)."""
        return self.latest - dt.timedelta(days=BIRTH_QUESTION_DAYS)

    @property
    def ended_before(self) -> dt.date:
        """A birth or loss before this may have reached the program's end (a year at least)."""
        return self.latest - dt.timedelta(days=365)


# Local hours of each part of the day; the send window still bounds them.
DAY_PARTS: Mapping[DayPart, tuple[dt.time, dt.time]] = {
    DayPart.MORNING: (dt.time(8), dt.time(12)),
    DayPart.AFTERNOON: (dt.time(12), dt.time(16)),
    DayPart.EVENING: (dt.time(16), dt.time(20)),
}


def window_part(
    window: tuple[dt.datetime, dt.datetime], time_zone: str, day: dt.date, part: DayPart | None
) -> tuple[dt.datetime, dt.datetime]:
    """The part of a day's (naive UTC) send window in the person's chosen part of the day.

    When the part and the window do not meet, the whole window is kept: the window is the
    law, the part a wish.
    """
    if part is None:
        return window
    zone = ZoneInfo(time_zone)
    first, last = DAY_PARTS[part]
    part_start, part_end = (
        dt.datetime.combine(day, moment, zone).astimezone(dt.UTC).replace(tzinfo=None)
        for moment in (first, last)
    )
    narrowed = (max(window[0], part_start), min(window[1], part_end))
    return narrowed if narrowed[0] < narrowed[1] else window


@dataclass(frozen=True)
class Reach:
    """What decides which planned messages still fit a person."""

    status: Status | None
    stage: Stage | None
    due_date: dt.date | None
    birth_date: dt.date | None
    channel: Channel
    day_part: DayPart | None
    loss_on: dt.date | None = None


class Refit(enum.StrEnum):
    """What a change does to a person's planned messages, in the change's own transaction."""

    CANCEL = "cancel"  # no longer fits (a new date or stage, a pause, a loss, a stop)
    CHANNEL = "channel"  # the same messages, by the other channel
    RETIME = "retime"  # the same messages, in the new part of the day


def refit(before: Reach, after: Reach) -> frozenset[Refit]:
    """What must happen to planned messages when a person's reach changes from `before`."""
    if after.status is not Status.ACTIVE or (
        before.stage,
        before.due_date,
        before.birth_date,
        before.loss_on,
    ) != (after.stage, after.due_date, after.birth_date, after.loss_on):
        return frozenset({Refit.CANCEL}) if before.status is Status.ACTIVE else frozenset()
    moves = set()
    if before.channel is not after.channel:
        moves.add(Refit.CHANNEL)
    if before.day_part is not after.day_part:
        moves.add(Refit.RETIME)
    return frozenset(moves)
