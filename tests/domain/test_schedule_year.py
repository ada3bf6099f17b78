"""A whole year of reminders, planned day by day as a pure function: nobody hears the same text
twice within 28 days, the self-care track has no baby words, and breastfeeding changes the tips."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from service.domain.schedule import (
    CHECK_INS,
    MIN_POOL_SIZE,
    POOLS,
    REMINDERS,
    SLOT_WEEKDAYS,
    ScheduleProfile,
    due_on,
)
from service.vocabulary import Stage, Track
from service.words.catalog import Catalog

NO_REPEAT_DAYS = 28
DUE = dt.date(2027, 3, 1)
BABY_WORDS = {
    "en": re.compile(r"(?i)\b(baby|babies|birth|breastfe\w*|pregnan\w*|newborn|child\w*|moms?)\b"),
    "es": re.compile(r"(?i)\b(beb[eé]s?|parto|pecho|embaraz\w*|hij[oa]s?|reci[eé]n nacid\w*)\b"),
}


@dataclass(frozen=True)
class Journey:
    """One person's year: their profile on each day (None before they join)."""

    name: str
    first_day: dt.date
    days: int
    profile_on: Callable[[dt.date], ScheduleProfile]


def _pregnant(day: dt.date) -> ScheduleProfile:
    return ScheduleProfile(Stage.PREGNANT, due_date=DUE)


def _born(birth: dt.date, **changes: object) -> ScheduleProfile:
    base = ScheduleProfile(Stage.POSTPARTUM, due_date=DUE, birth_date=birth)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _breastfed_then_weaned(day: dt.date) -> ScheduleProfile:
    """Pregnant from 30 weeks before the due date, born 3 days late, breastfed 7 months."""
    birth = DUE + dt.timedelta(days=3)
    weaned = birth + dt.timedelta(days=210)
    if day < birth:
        return _pregnant(day)
    if day < weaned:
        return _born(birth, breastfeeding=True)
    return _born(birth, breastfeeding=True, weaned_on=weaned)


def _not_breastfeeding(day: dt.date) -> ScheduleProfile:
    """Joined after the birth, skipped the breastfeeding question."""
    return _born(DUE)


def _still_breastfeeding(day: dt.date) -> ScheduleProfile:
    """Joined at 20 weeks, born early, breastfeeding all year."""
    birth = DUE - dt.timedelta(days=12)
    return _pregnant(day) if day < birth else _born(birth, breastfeeding=True)


def _loss(day: dt.date) -> ScheduleProfile:
    """Pregnant, then a loss at 26 weeks: self-care tips from then on."""
    loss = DUE - dt.timedelta(weeks=14)
    if day < loss:
        return _pregnant(day)
    return ScheduleProfile(Stage.PREGNANT, due_date=DUE, track=Track.SELF_CARE)


JOURNEYS = (
    Journey(
        "breastfed 7 months, then weaned", DUE - dt.timedelta(weeks=30), 575, _breastfed_then_weaned
    ),
    Journey("after birth, not breastfeeding", DUE, 366, _not_breastfeeding),
    Journey("breastfeeding all year", DUE - dt.timedelta(weeks=20), 505, _still_breastfeeding),
    Journey("self-care after a loss", DUE - dt.timedelta(weeks=30), 366, _loss),
)


def plan_year(journey: Journey) -> list[tuple[dt.date, str, str]]:
    """(day, item key, message id) of every scheduled message the person gets."""
    sent = []
    for offset in range(journey.days):
        day = journey.first_day + dt.timedelta(days=offset)
        due = due_on(journey.profile_on(day), day)
        if due is not None:
            sent.append((day, due.key, due.message_id))
    return sent


def shortest_repeat_gap(sent: list[tuple[dt.date, str, str]]) -> int | None:
    """The fewest days between two sends of the same text (None: nothing repeats)."""
    last: dict[str, dt.date] = {}
    gaps = []
    for day, _key, message_id in sent:
        if message_id in last:
            gaps.append((day - last[message_id]).days)
        last[message_id] = day
    return min(gaps) if gaps else None


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda journey: journey.name)
def test_nobody_gets_the_same_text_twice_within_28_days(journey: Journey) -> None:
    sent = plan_year(journey)
    gap = shortest_repeat_gap(sent)
    distinct = len({message_id for _, _, message_id in sent})
    print(
        f"{journey.name}: {len(sent)} texts over {journey.days} days, {distinct} distinct,"
        f" shortest gap between two of the same {gap} days"
    )
    assert gap is None or gap > NO_REPEAT_DAYS
    assert distinct >= 25
    days = [day for day, _, _ in sent]
    assert len(days) == len(set(days))
    assert all(day.weekday() in SLOT_WEEKDAYS for day in days)


def test_every_text_is_in_one_pool_of_at_least_five_on_one_weekday() -> None:
    seen: dict[str, str] = {}
    for pool in POOLS:
        assert len(pool.message_ids) >= MIN_POOL_SIZE, pool.name
        assert pool.weekday in SLOT_WEEKDAYS
        for message_id in pool.message_ids:
            assert message_id not in seen, f"{message_id} is in {seen[message_id]} and {pool.name}"
            seen[message_id] = pool.name
    assert {reminder.pool for reminder in REMINDERS} == set(POOLS)


def test_the_reminders_hold_at_least_40_distinct_texts_in_each_language(catalog: Catalog) -> None:
    scheduled = {message_id for pool in POOLS for message_id in pool.message_ids}
    assert len(scheduled) >= 40
    for language in ("en", "es"):
        texts = {catalog.template(message_id, language) for message_id in scheduled}
        assert len(texts) == len(scheduled)


def test_the_self_care_track_never_says_a_baby_word(catalog: Catalog) -> None:
    sent = plan_year(JOURNEYS[-1])
    loss = DUE - dt.timedelta(weeks=14)
    after = {message_id for day, _, message_id in sent if day >= loss}
    assert after
    for language, words in BABY_WORDS.items():
        for message_id in after:
            text = catalog.template(message_id, language)
            assert not words.search(text), (message_id, language, text)


def test_breastfeeding_brings_its_tips_and_weaning_the_tips_for_bone_coming_back() -> None:
    keys = {key for _, key, _ in plan_year(JOURNEYS[0])}
    assert {"postpartum.breastfeeding", "postpartum.weaned"} <= keys
    not_breastfeeding = {key for _, key, _ in plan_year(JOURNEYS[1])}
    assert not {"postpartum.breastfeeding", "postpartum.weaned"} & not_breastfeeding


def test_the_third_trimester_and_the_first_12_weeks_warn_about_back_pain_every_week() -> None:
    sent = plan_year(JOURNEYS[0])
    birth = DUE + dt.timedelta(days=3)
    third = [key for day, key, _ in sent if DUE - dt.timedelta(weeks=12) <= day < birth]
    early = [key for day, key, _ in sent if birth <= day < birth + dt.timedelta(weeks=12)]
    assert third.count("pregnant.back_pain") >= 11
    # After the birth Fridays warn, unless a check-in asks about back pain that week.
    warnings = early.count("postpartum.back_pain") + sum(k.startswith("checkin.") for k in early)
    assert warnings >= 12


def test_a_check_in_never_asks_the_same_words_twice_within_six_weeks() -> None:
    birth = dt.date(2027, 3, 3)
    by_text: dict[str, list[dt.date]] = {}
    for check_in in CHECK_INS:
        by_text.setdefault(check_in.message_id, []).append(check_in.due(birth))
    for days in by_text.values():
        assert all((later - earlier).days >= 42 for earlier, later in itertools.pairwise(days))
