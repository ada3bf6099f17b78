"""The schedule as a pure function: caps, check-in weeks, rotation, and the send windows."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.config import load_settings
from service.domain.schedule import (
    CHECK_INS,
    ITEMS_BY_KEY,
    SLOT_WEEKDAYS,
    Reminder,
    ScheduleProfile,
    add_months,
    due_on,
)
from service.domain.send_windows import SendWindows, parse_window, send_time, utc_window
from service.vocabulary import Stage
from service.words.catalog import Catalog

WINDOWS = SendWindows.from_settings(load_settings({}, environ={}))


def days(start: dt.date, count: int) -> list[dt.date]:
    """`count` consecutive days from `start`."""
    return [start + dt.timedelta(days=offset) for offset in range(count)]


@given(
    due=st.dates(dt.date(2026, 1, 1), dt.date(2030, 1, 1)),
    birth_shift=st.integers(-21, 14),
)
def test_no_one_gets_more_than_one_a_day_or_three_in_any_seven_days(
    due: dt.date, birth_shift: int
) -> None:
    birth = due + dt.timedelta(days=birth_shift)
    sent: list[dt.date] = []
    for day in days(due - dt.timedelta(days=280), 280 + birth_shift):
        if due_on(ScheduleProfile(Stage.PREGNANT, due, None), day):
            sent.append(day)
    for day in days(birth, 380):
        if due_on(ScheduleProfile(Stage.POSTPARTUM, due, birth), day):
            sent.append(day)
    assert len(sent) == len(set(sent))
    for index, day in enumerate(sent):
        in_week = [other for other in sent[index:] if (other - day).days < 7]
        assert len(in_week) <= 3, day


def test_every_scheduled_message_falls_on_a_slot_weekday() -> None:
    birth = dt.date(2027, 3, 3)
    for day in days(birth - dt.timedelta(days=300), 700):
        due = due_on(ScheduleProfile(Stage.POSTPARTUM, None, birth), day) or due_on(
            ScheduleProfile(Stage.PREGNANT, birth, None), day
        )
        if due:
            assert day.weekday() in SLOT_WEEKDAYS


@pytest.mark.parametrize("birth", [dt.date(2027, 3, 1), dt.date(2027, 3, 2), dt.date(2027, 3, 6)])
def test_each_check_in_goes_out_once_within_three_days_of_its_due_day(birth: dt.date) -> None:
    sent = {}
    for day in days(birth, 400):
        due = due_on(ScheduleProfile(Stage.POSTPARTUM, None, birth), day)
        if due and due.key.startswith("checkin."):
            assert due.key not in sent
            sent[due.key] = day
    assert list(sent) == [check_in.key for check_in in CHECK_INS]
    for check_in in CHECK_INS:
        assert 0 <= (sent[check_in.key] - check_in.due(birth)).days < 3


def test_check_ins_are_at_weeks_1_2_4_6_8_10_12_then_6_and_12_months() -> None:
    birth = dt.date(2027, 1, 31)
    assert [check_in.due(birth) for check_in in CHECK_INS] == [
        birth + dt.timedelta(weeks=weeks) for weeks in (1, 2, 4, 6, 8, 10, 12)
    ] + [dt.date(2027, 7, 31), dt.date(2028, 1, 31)]
    assert add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)


def test_nothing_is_due_without_a_stage_or_its_date() -> None:
    monday = dt.date(2027, 3, 1)
    assert due_on(ScheduleProfile(None, None, None), monday) is None
    assert due_on(ScheduleProfile(Stage.PREGNANT, None, None), monday) is None


def test_reminders_stop_a_year_after_the_birth() -> None:
    birth = dt.date(2027, 3, 1)
    late = days(birth + dt.timedelta(days=370), 60)
    assert [
        day for day in late if due_on(ScheduleProfile(Stage.POSTPARTUM, None, birth), day)
    ] == []


def test_third_trimester_fridays_warn_about_back_pain() -> None:
    due = dt.date(2027, 3, 5)
    fridays = [day for day in days(due - dt.timedelta(days=80), 70) if day.weekday() == 4]
    messages = {
        due_on(ScheduleProfile(Stage.PREGNANT, due, None), day).message_id for day in fridays
    }  # type: ignore[union-attr]
    assert {"reminder.third_trimester.back_pain", "reminder.third_trimester.fall"} <= messages


def test_every_scheduled_text_exists_in_the_catalog(catalog: Catalog) -> None:
    for item in ITEMS_BY_KEY.values():
        message_ids = item.pool.message_ids if isinstance(item, Reminder) else (item.message_id,)
        for message_id in message_ids:
            assert message_id in catalog.ids("en") and message_id in catalog.ids("es")


def test_window_is_clamped_to_eight_to_eight() -> None:
    window = parse_window("06:30-22:00")
    assert window is not None
    assert (window.start, window.end) == (dt.time(8), dt.time(20))
    assert parse_window("") is None
    assert parse_window("19:00-09:00") is None


def test_default_windows_are_weekdays_10_to_18_saturday_10_to_17_sunday_none() -> None:
    monday, saturday, sunday = dt.date(2027, 3, 1), dt.date(2027, 3, 6), dt.date(2027, 3, 7)
    assert utc_window(WINDOWS, ("America/New_York",), monday) == (
        dt.datetime(2027, 3, 1, 15),
        dt.datetime(2027, 3, 1, 23),
    )
    assert utc_window(WINDOWS, ("America/Los_Angeles",), saturday) == (
        dt.datetime(2027, 3, 6, 18),
        dt.datetime(2027, 3, 7, 1),
    )
    assert utc_window(WINDOWS, ("America/Chicago",), sunday) is None


def test_window_follows_daylight_saving_time() -> None:
    summer = utc_window(WINDOWS, ("America/New_York",), dt.date(2027, 7, 5))
    assert summer is not None and summer[0] == dt.datetime(2027, 7, 5, 14)
    phoenix = utc_window(WINDOWS, ("America/Phoenix",), dt.date(2027, 7, 5))
    assert phoenix is not None and phoenix[0] == dt.datetime(2027, 7, 5, 17)


def test_disagreeing_zones_use_the_stricter_window() -> None:
    both = utc_window(WINDOWS, ("America/New_York", "America/Los_Angeles"), dt.date(2027, 3, 1))
    # 10:00 in Los Angeles to 18:00 in New York: inside the window in both places.
    assert both == (dt.datetime(2027, 3, 1, 18), dt.datetime(2027, 3, 1, 23))


def test_send_times_spread_over_the_window_and_stay_put() -> None:
    window = (dt.datetime(2027, 3, 1, 15), dt.datetime(2027, 3, 1, 23))
    times = [send_time(person, dt.date(2027, 3, 1), window) for person in range(1, 2001)]
    assert all(window[0] <= moment < window[1] for moment in times)
    hours = {moment.hour for moment in times}
    assert hours == set(range(15, 23))
    assert times == [send_time(person, dt.date(2027, 3, 1), window) for person in range(1, 2001)]
