"""What is sent, to whom and when: the whole reminder schedule, declared as data.

Scheduled messages go out only on SLOT_WEEKDAYS (Monday, Wednesday, Friday), one per slot day,
so nobody gets more than 1 a day or 3 in any 7 days. A check-in takes the first slot day on or
after its due day, in place of that day's reminder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from service.domain.vocabulary import Stage, Track

MONDAY, WEDNESDAY, FRIDAY = 0, 2, 4
SLOT_WEEKDAYS = (MONDAY, WEDNESDAY, FRIDAY)

# Pregnancy reminders run until this many days after the due date (the birth may be late or
# not yet reported); after-birth reminders run through the first year.
PREGNANCY_LAST_DAY = 42
POSTPARTUM_LAST_DAY = 365
THIRD_TRIMESTER_DAY = -84


@dataclass(frozen=True)
class Reminder:
    """A tip on one weekday, for days `first_day`..`last_day` counted from the stage's date.

    The stage's date is the due date while pregnant (so days before it are negative) and the
    birth date after birth. `message_ids` rotate week by week.
    """

    key: str
    stage: Stage
    weekday: int
    message_ids: tuple[str, ...]
    first_day: int
    last_day: int

    def message_for(self, local_date: dt.date) -> str:
        """The text for that day: the rotation advances once a week."""
        week = local_date.toordinal() // 7
        return self.message_ids[week % len(self.message_ids)]


@dataclass(frozen=True)
class CheckIn:
    """A back-pain check-in, due `weeks` weeks or `months` months after the birth."""

    key: str
    message_id: str
    weeks: int = 0
    months: int = 0

    def due(self, birth_date: dt.date) -> dt.date:
        """The day the check-in is due (it goes out on the first slot day from then)."""
        if self.months:
            return add_months(birth_date, self.months)
        return birth_date + dt.timedelta(weeks=self.weeks)


REMINDERS: tuple[Reminder, ...] = (
    Reminder(
        "pregnant.calcium",
        Stage.PREGNANT,
        MONDAY,
        ("reminder.calcium_food", "reminder.calcium_daily"),
        -300,
        PREGNANCY_LAST_DAY,
    ),
    Reminder(
        "pregnant.activity",
        Stage.PREGNANT,
        WEDNESDAY,
        ("reminder.activity_walk", "reminder.activity_strength"),
        -300,
        PREGNANCY_LAST_DAY,
    ),
    Reminder("pregnant.vitamin_d", Stage.PREGNANT, FRIDAY, ("reminder.vitamin_d",), -300, -85),
    # Spine fractures are most common in the third trimester: warn about back pain then.
    Reminder(
        "pregnant.late",
        Stage.PREGNANT,
        FRIDAY,
        ("reminder.back_pain_pregnancy", "reminder.vitamin_d"),
        THIRD_TRIMESTER_DAY,
        PREGNANCY_LAST_DAY,
    ),
    Reminder(
        "postpartum.calcium",
        Stage.POSTPARTUM,
        MONDAY,
        ("reminder.calcium_breastfeeding", "reminder.calcium_food"),
        0,
        POSTPARTUM_LAST_DAY,
    ),
    Reminder(
        "postpartum.activity",
        Stage.POSTPARTUM,
        WEDNESDAY,
        ("reminder.activity_after_birth", "reminder.lifting"),
        0,
        POSTPARTUM_LAST_DAY,
    ),
    Reminder(
        "postpartum.vitamin_d",
        Stage.POSTPARTUM,
        FRIDAY,
        ("reminder.vitamin_d",),
        0,
        POSTPARTUM_LAST_DAY,
    ),
)

CHECK_INS: tuple[CheckIn, ...] = (
    *(
        CheckIn(f"checkin.week{weeks}", "checkin.back_pain", weeks=weeks)
        for weeks in (1, 2, 4, 6, 8, 10, 12)
    ),
    CheckIn("checkin.month6", "checkin.back_pain", months=6),
    CheckIn("checkin.month12", "checkin.back_pain", months=12),
)

ITEMS_BY_KEY: dict[str, Reminder | CheckIn] = {
    **{item.key: item for item in REMINDERS},
    **{item.key: item for item in CHECK_INS},
}


@dataclass(frozen=True)
class ScheduleProfile:
    """What the schedule needs to know about a person: stage, dates, breastfeeding, track.

    `breastfeeding` is None when it was not asked or the person skipped the question;
    `weaned_on` is the day they stopped; `track` SELF_CARE (after a loss) gets no baby words.
    """

    stage: Stage | None
    due_date: dt.date | None = None
    birth_date: dt.date | None = None
    breastfeeding: bool | None = None
    weaned_on: dt.date | None = None
    track: Track = Track.BABY


@dataclass(frozen=True)
class Due:
    """The one scheduled message a person gets on a day."""

    key: str
    message_id: str


def add_months(date: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = date.month - 1 + months
    year, month = date.year + month_index // 12, month_index % 12 + 1
    for day in range(date.day, 27, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, min(date.day, 28))


def _previous_slot_gap(weekday: int) -> int:
    """Days since the slot day before this one (Monday's is the Friday before)."""
    earlier = [slot for slot in SLOT_WEEKDAYS if slot < weekday]
    previous = earlier[-1] if earlier else SLOT_WEEKDAYS[-1] - 7
    return weekday - previous


# Planning a million people meets only a few thousand distinct (stage, dates, day) questions.
@lru_cache(maxsize=65_536)
def due_on(profile: ScheduleProfile, local_date: dt.date) -> Due | None:
    """What one person is due on one local day, or None: the schedule as a pure function."""
    stage, due_date, birth_date = profile.stage, profile.due_date, profile.birth_date
    weekday = local_date.weekday()
    if weekday not in SLOT_WEEKDAYS:
        return None
    if stage is Stage.POSTPARTUM and birth_date is not None:
        gap = _previous_slot_gap(weekday)
        for check_in in CHECK_INS:
            if 0 <= (local_date - check_in.due(birth_date)).days < gap:
                return Due(check_in.key, check_in.message_id)
        anchor: dt.date | None = birth_date
    elif stage is Stage.PREGNANT:
        anchor = due_date
    else:
        return None
    if anchor is None:
        return None
    day = (local_date - anchor).days
    for reminder in REMINDERS:
        if (
            reminder.stage is stage
            and reminder.weekday == weekday
            and reminder.first_day <= day <= reminder.last_day
        ):
            return Due(reminder.key, reminder.message_for(local_date))
    return None
