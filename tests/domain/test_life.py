"""Life changes as plain functions: the status moves, the program's end, the life job's steps."""

from __future__ import annotations

import datetime as dt

import pytest

from service.domain.life import (
    TRANSITIONS,
    LifeEvent,
    LifeProfile,
    LifeStep,
    life_step,
    next_status,
    pause_until,
    program_end,
    window_part,
)
from service.vocabulary import DayPart, Stage, Status

DUE = dt.date(2027, 6, 7)


def pregnant(**changes: object) -> LifeProfile:
    """An active pregnant person due on DUE."""
    return LifeProfile(status=Status.ACTIVE, stage=Stage.PREGNANT, due_date=DUE, **changes)  # type: ignore[arg-type]


def test_the_birth_question_comes_three_days_after_the_due_date_once() -> None:
    assert life_step(pregnant(), DUE + dt.timedelta(days=2)) is None
    assert life_step(pregnant(), DUE + dt.timedelta(days=3)) is LifeStep.ASK_BIRTH
    asked = pregnant(birth_asked_on=DUE + dt.timedelta(days=3))
    assert life_step(asked, DUE + dt.timedelta(days=4)) is None


def test_two_weeks_after_the_due_date_with_no_news_the_birth_is_assumed() -> None:
    asked = pregnant(birth_asked_on=DUE + dt.timedelta(days=3))
    assert life_step(asked, DUE + dt.timedelta(days=13)) is None
    assert life_step(asked, DUE + dt.timedelta(days=14)) is LifeStep.ASSUME_BIRTH


def test_not_yet_late_gives_a_week_more_before_the_birth_is_assumed() -> None:
    said_not_yet = pregnant(birth_asked_on=DUE + dt.timedelta(days=12))
    assert life_step(said_not_yet, DUE + dt.timedelta(days=14)) is None
    assert life_step(said_not_yet, DUE + dt.timedelta(days=19)) is LifeStep.ASSUME_BIRTH


def test_a_pause_ends_the_day_after_its_last_day() -> None:
    paused = LifeProfile(status=Status.PAUSED, stage=Stage.PREGNANT, paused_until=DUE)
    assert life_step(paused, DUE) is None
    assert life_step(paused, DUE + dt.timedelta(days=1)) is LifeStep.END_PAUSE


def test_a_pause_after_a_loss_waits_for_the_persons_choice() -> None:
    waiting = LifeProfile(status=Status.PAUSED, stage=Stage.PREGNANT, loss_on=DUE)
    assert life_step(waiting, DUE + dt.timedelta(days=400)) is None


@pytest.mark.parametrize(
    ("weaned_on", "end"),
    [
        (None, dt.date(2028, 6, 7)),
        (dt.date(2027, 9, 1), dt.date(2028, 6, 7)),
        (dt.date(2028, 3, 1), dt.date(2028, 9, 1)),
        (dt.date(2029, 3, 1), dt.date(2029, 6, 7)),
    ],
)
def test_the_program_ends_a_year_after_birth_or_six_months_after_weaning_at_most_two_years(
    weaned_on: dt.date | None, end: dt.date
) -> None:
    assert program_end(DUE, weaned_on) == end


def test_the_goodbye_comes_after_the_programs_last_day() -> None:
    mother = LifeProfile(status=Status.ACTIVE, stage=Stage.POSTPARTUM, birth_date=DUE)
    assert life_step(mother, dt.date(2028, 6, 7)) is None
    assert life_step(mother, dt.date(2028, 6, 8)) is LifeStep.GOODBYE


def test_every_transition_starts_from_a_status_it_names() -> None:
    assert next_status(Status.ACTIVE, LifeEvent.PAUSE) is Status.PAUSED
    assert next_status(Status.STOPPED, LifeEvent.RESUME) is None
    assert next_status(Status.COMPLETED, LifeEvent.PAUSE) is None
    assert all(Status.STOPPED not in moves for moves in TRANSITIONS.values())


def test_a_pause_is_two_weeks_unless_said_and_never_more_than_twelve() -> None:
    today = dt.date(2027, 5, 17)
    assert pause_until(today, None) == dt.date(2027, 5, 30)
    assert pause_until(today, 3) == dt.date(2027, 6, 6)
    assert pause_until(today, 52) == today + dt.timedelta(weeks=12, days=-1)


def test_the_part_of_the_day_narrows_the_window_and_never_leaves_it() -> None:
    day = dt.date(2027, 5, 17)
    window = (dt.datetime(2027, 5, 17, 14), dt.datetime(2027, 5, 17, 22))  # 10:00-18:00 EDT
    zone = "America/New_York"
    assert window_part(window, zone, day, DayPart.MORNING) == (
        window[0],
        dt.datetime(2027, 5, 17, 16),
    )
    assert window_part(window, zone, day, DayPart.EVENING) == (
        dt.datetime(2027, 5, 17, 20),
        window[1],
    )
    assert window_part(window, zone, day, None) == window
