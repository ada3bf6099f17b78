"""What is sent, to whom and when: the whole reminder schedule, declared as data.

Scheduled messages go out only on SLOT_WEEKDAYS (Monday, Wednesday, Friday), one per slot day,
so nobody gets more than 1 a day or 3 in any 7 days. A check-in takes the first slot day on or
after its due day, in place of that day's reminder.

Texts come from pools. A pool belongs to one weekday and its texts take turns by calendar week,
the same week number for everyone: whatever stage or track a person moves through, a text comes
back only after its whole pool has gone round. Every text is in exactly one pool, and every
pool holds at least MIN_POOL_SIZE texts, so nobody gets the same text twice within
MIN_POOL_SIZE weeks (35 days). Check-ins rotate four ways of asking for the same reason.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from functools import lru_cache

from service.vocabulary import Stage, Track

MONDAY, WEDNESDAY, FRIDAY = 0, 2, 4
SLOT_WEEKDAYS = (MONDAY, WEDNESDAY, FRIDAY)

# Pregnancy reminders run until this many days after the due date (the birth may be late or
# not yet reported); after-birth reminders run through the first year.
PREGNANCY_FIRST_DAY = -300
PREGNANCY_LAST_DAY = 42
POSTPARTUM_LAST_DAY = 365
# The third trimester starts 12 weeks before the due date.
THIRD_TRIMESTER_DAY = -84
# Spine fractures after birth happen most in the first 12 weeks (8 to 12, in the article).
EARLY_WEEKS_LAST_DAY = 83
# Bone comes back about 6 months after breastfeeding stops: tips for that time.
WEANED_TIPS_DAYS = 182
# A text comes back no sooner than this many weeks (5 weeks > the 28 days promised).
MIN_POOL_SIZE = 5


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


class Feeding(enum.StrEnum):
    """Where a person is with breastfeeding on one day, as far as the tips are concerned."""

    ANY = "any"
    BREASTFEEDING = "breastfeeding"
    # Stopped within the last WEANED_TIPS_DAYS days: bone is coming back.
    RECENTLY_WEANED = "recently_weaned"


@dataclass(frozen=True)
class Pool:
    """Texts that take turns on one weekday, one calendar week each."""

    name: str
    weekday: int
    message_ids: tuple[str, ...]

    def message_for(self, local_date: dt.date) -> str:
        """The text for that day: the same for everyone, the next one a week later."""
        week = local_date.toordinal() // 7
        return self.message_ids[week % len(self.message_ids)]


def _pool(name: str, weekday: int, *suffixes: str) -> Pool:
    """A pool of `reminder.<name>.<suffix>` texts."""
    return Pool(name, weekday, tuple(f"reminder.{name}.{suffix}" for suffix in suffixes))


# Calcium and activity have no baby words: the self-care track shares them.
CALCIUM = _pool(
    "calcium", MONDAY, "amount", "each_meal", "greens", "chia", "from_bones", "pill", "snack"
)
ACTIVITY = _pool(
    "activity", WEDNESDAY, "walk", "every_day", "chair", "on_your_feet", "strength", "active"
)
PREGNANCY = _pool(
    "pregnancy",
    FRIDAY,
    "baby_calcium",
    "vitamin_d",
    "smoking",
    "most_fine",
    "medicines",
    "blood_test",
    "teens",
)
# The third trimester carries the back-pain warning every Friday.
THIRD_TRIMESTER = _pool(
    "third_trimester", FRIDAY, "back_pain", "first_sign", "fall", "lifting", "do_not_wait"
)
NEWBORN = _pool(
    "newborn", WEDNESDAY, "walk", "lifting", "feeding_snack", "move_daily", "back_hurts"
)
FRACTURE_PEAK = _pool("fracture_peak", FRIDAY, "back_pain", "weeks", "fall", "rare", "not_normal")
LATER = _pool(
    "later", FRIDAY, "recovery", "vitamin_d", "smoking", "more_children", "bone_test", "back_pain"
)
BREASTFEEDING = _pool(
    "breastfeeding",
    MONDAY,
    "bone_loss",
    "calcium",
    "comes_back",
    "medicines",
    "vitamin_d",
    "each_meal",
)
WEANED = _pool("weaned", MONDAY, "comes_back", "calcium", "move", "vitamin_d", "back_pain")
SELF_CARE = _pool(
    "self_care", FRIDAY, "back_pain", "vitamin_d", "smoking", "recovery", "fall", "tests", "rest"
)
POOLS: tuple[Pool, ...] = (
    CALCIUM,
    ACTIVITY,
    PREGNANCY,
    THIRD_TRIMESTER,
    NEWBORN,
    FRACTURE_PEAK,
    LATER,
    BREASTFEEDING,
    WEANED,
    SELF_CARE,
)


@dataclass(frozen=True)
class Reminder:
    """Who gets a pool's texts: a track, a stage (None: any), days `first_day`..`last_day`
    counted from the stage's date, and where they are with breastfeeding.

    The stage's date is the due date while pregnant (so days before it are negative) and the
    birth date after birth. On each slot day the first reminder that fits is sent.
    """

    key: str
    pool: Pool
    track: Track
    stage: Stage | None
    first_day: int
    last_day: int
    feeding: Feeding = Feeding.ANY

    @property
    def weekday(self) -> int:
        """The weekday its pool goes out on."""
        return self.pool.weekday


REMINDERS: tuple[Reminder, ...] = (
    Reminder(
        "pregnant.calcium",
        CALCIUM,
        Track.BABY,
        Stage.PREGNANT,
        PREGNANCY_FIRST_DAY,
        PREGNANCY_LAST_DAY,
    ),
    Reminder(
        "pregnant.activity",
        ACTIVITY,
        Track.BABY,
        Stage.PREGNANT,
        PREGNANCY_FIRST_DAY,
        PREGNANCY_LAST_DAY,
    ),
    Reminder(
        "pregnant.facts",
        PREGNANCY,
        Track.BABY,
        Stage.PREGNANT,
        PREGNANCY_FIRST_DAY,
        THIRD_TRIMESTER_DAY - 1,
    ),
    # Spine fractures are most common in the third trimester: warn about back pain then.
    Reminder(
        "pregnant.back_pain",
        THIRD_TRIMESTER,
        Track.BABY,
        Stage.PREGNANT,
        THIRD_TRIMESTER_DAY,
        PREGNANCY_LAST_DAY,
    ),
    Reminder(
        "postpartum.breastfeeding",
        BREASTFEEDING,
        Track.BABY,
        Stage.POSTPARTUM,
        0,
        POSTPARTUM_LAST_DAY,
        Feeding.BREASTFEEDING,
    ),
    Reminder(
        "postpartum.weaned",
        WEANED,
        Track.BABY,
        Stage.POSTPARTUM,
        0,
        POSTPARTUM_LAST_DAY,
        Feeding.RECENTLY_WEANED,
    ),
    Reminder("postpartum.calcium", CALCIUM, Track.BABY, Stage.POSTPARTUM, 0, POSTPARTUM_LAST_DAY),
    Reminder("postpartum.newborn", NEWBORN, Track.BABY, Stage.POSTPARTUM, 0, EARLY_WEEKS_LAST_DAY),
    Reminder(
        "postpartum.activity",
        ACTIVITY,
        Track.BABY,
        Stage.POSTPARTUM,
        EARLY_WEEKS_LAST_DAY + 1,
        POSTPARTUM_LAST_DAY,
    ),
    # The first 12 weeks after birth are when the rare spine fractures happen most.
    Reminder(
        "postpartum.back_pain",
        FRACTURE_PEAK,
        Track.BABY,
        Stage.POSTPARTUM,
        0,
        EARLY_WEEKS_LAST_DAY,
    ),
    Reminder(
        "postpartum.later",
        LATER,
        Track.BABY,
        Stage.POSTPARTUM,
        EARLY_WEEKS_LAST_DAY + 1,
        POSTPARTUM_LAST_DAY,
    ),
    # After a loss: bone tips with no baby words, counted from the stage's date.
    Reminder(
        "selfcare.calcium",
        CALCIUM,
        Track.SELF_CARE,
        None,
        PREGNANCY_FIRST_DAY,
        POSTPARTUM_LAST_DAY,
    ),
    Reminder(
        "selfcare.activity",
        ACTIVITY,
        Track.SELF_CARE,
        None,
        PREGNANCY_FIRST_DAY,
        POSTPARTUM_LAST_DAY,
    ),
    Reminder(
        "selfcare.tips",
        SELF_CARE,
        Track.SELF_CARE,
        None,
        PREGNANCY_FIRST_DAY,
        POSTPARTUM_LAST_DAY,
    ),
)


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


# Four ways to ask, in turn: the same question never comes twice within 6 weeks.
CHECK_IN_TEXTS = (
    "checkin.back_pain",
    "checkin.back_pain_today",
    "checkin.back_pain_moving",
    "checkin.back_pain_week",
)
CHECK_INS: tuple[CheckIn, ...] = tuple(
    CheckIn(key, CHECK_IN_TEXTS[index % len(CHECK_IN_TEXTS)], weeks=weeks, months=months)
    for index, (key, weeks, months) in enumerate(
        [(f"checkin.week{weeks}", weeks, 0) for weeks in (1, 2, 4, 6, 8, 10, 12)]
        + [("checkin.month6", 0, 6), ("checkin.month12", 0, 12)]
    )
)

ITEMS_BY_KEY: dict[str, Reminder | CheckIn] = {
    **{item.key: item for item in REMINDERS},
    **{item.key: item for item in CHECK_INS},
}

# The track an item key belongs to: a planned message of the other track is never sent.
TRACK_OF_PREFIX: dict[str, Track] = {
    "pregnant.": Track.BABY,
    "postpartum.": Track.BABY,
    "selfcare.": Track.SELF_CARE,
}


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


# The program (l13's rule, `domain.life` acts on it): 12 months after birth, or 6 months after
# weaning when that is later, at most 24 months after birth; a year after a loss.
MONTHS_AFTER_BIRTH = 12
MONTHS_AFTER_WEANING = 6
MOST_MONTHS_AFTER_BIRTH = 24
MONTHS_AFTER_LOSS = 12


def program_end(
    birth_date: dt.date, weaned_on: dt.date | None = None, loss_on: dt.date | None = None
) -> dt.date:
    """The day the program ends (the goodbye): 12 months after birth, or 6 months after weaning
    when that is later, never more than 24 months after birth; a year after a loss."""
    if loss_on is not None:
        return add_months(loss_on, MONTHS_AFTER_LOSS)
    end = add_months(birth_date, MONTHS_AFTER_BIRTH)
    if weaned_on is not None:
        end = max(end, add_months(weaned_on, MONTHS_AFTER_WEANING))
    return min(end, add_months(birth_date, MOST_MONTHS_AFTER_BIRTH))


def _last_day(reminder: Reminder, profile: ScheduleProfile) -> int:
    """A reminder's last day; after-birth tips run on until 6 months after weaning."""
    if (
        reminder.last_day != POSTPARTUM_LAST_DAY
        or profile.stage is not Stage.POSTPARTUM
        or profile.birth_date is None
        or profile.weaned_on is None
    ):
        return reminder.last_day
    ends = program_end(profile.birth_date, profile.weaned_on)
    return max(reminder.last_day, (ends - profile.birth_date).days)


def _previous_slot_gap(weekday: int) -> int:
    """Days since the slot day before this one (Monday's is the Friday before)."""
    earlier = [slot for slot in SLOT_WEEKDAYS if slot < weekday]
    previous = earlier[-1] if earlier else SLOT_WEEKDAYS[-1] - 7
    return weekday - previous


def feeding_on(profile: ScheduleProfile, local_date: dt.date) -> Feeding:
    """Whether the tips of that day are for breastfeeding, for bone coming back, or neither."""
    if profile.weaned_on is not None:
        since = (local_date - profile.weaned_on).days
        if 0 <= since <= WEANED_TIPS_DAYS:
            return Feeding.RECENTLY_WEANED
        return Feeding.ANY
    return Feeding.BREASTFEEDING if profile.breastfeeding else Feeding.ANY


def _anchor(profile: ScheduleProfile) -> dt.date | None:
    """The date days are counted from: the due date while pregnant, else the birth date."""
    if profile.stage is Stage.PREGNANT:
        return profile.due_date
    if profile.stage is Stage.POSTPARTUM:
        return profile.birth_date
    return None


def _fits(reminder: Reminder, profile: ScheduleProfile, day: int, feeding: Feeding) -> bool:
    """Whether a reminder is for this person on this day."""
    return (
        reminder.track is profile.track
        and reminder.stage in (None, profile.stage)
        and reminder.first_day <= day <= _last_day(reminder, profile)
        and reminder.feeding in (Feeding.ANY, feeding)
    )


# Planning a million people meets only a few thousand distinct (profile, day) questions.
@lru_cache(maxsize=65_536)
def due_on(profile: ScheduleProfile, local_date: dt.date) -> Due | None:
    """What one person is due on one local day, or None: the schedule as a pure function."""
    weekday = local_date.weekday()
    if weekday not in SLOT_WEEKDAYS:
        return None
    if profile.stage is Stage.POSTPARTUM and profile.birth_date is not None:
        gap = _previous_slot_gap(weekday)
        for check_in in CHECK_INS:
            if 0 <= (local_date - check_in.due(profile.birth_date)).days < gap:
                return Due(check_in.key, check_in.message_id)
    anchor = _anchor(profile)
    if anchor is None:
        return None
    day = (local_date - anchor).days
    feeding = feeding_on(profile, local_date)
    for reminder in REMINDERS:
        if reminder.weekday == weekday and _fits(reminder, profile, day, feeding):
            return Due(reminder.key, reminder.pool.message_for(local_date))
    return None
