"""Dates as people give them, by text or as the phone line hears them: plain functions."""

from __future__ import annotations

import datetime as dt

import pytest

from service.domain.dates import (
    DateBasis,
    DateProblem,
    due_date_problem,
    read_birth_date,
    read_due_date,
)

# A Monday.
TODAY = dt.date(2027, 5, 17)


@pytest.mark.parametrize(
    ("language", "words", "due", "basis"),
    [
        ("en", "30 weeks", TODAY + dt.timedelta(weeks=10), DateBasis.WEEKS_ALONG),
        ("en", "I'm 30 weeks", TODAY + dt.timedelta(weeks=10), DateBasis.WEEKS_ALONG),
        ("es", "30 semanas", TODAY + dt.timedelta(weeks=10), DateBasis.WEEKS_ALONG),
        ("es", "treinta y dos semanas", TODAY + dt.timedelta(weeks=8), DateBasis.WEEKS_ALONG),
        ("en", "7 months", dt.date(2027, 7, 23), DateBasis.MONTHS_ALONG),
        ("es", "tengo 8 meses", dt.date(2027, 6, 22), DateBasis.MONTHS_ALONG),
        ("en", "due in 3 weeks", TODAY + dt.timedelta(weeks=3), DateBasis.WEEKS_LEFT),
        ("en", "I am 41 weeks, due date was May 10", dt.date(2027, 5, 10), DateBasis.GIVEN),
        ("en", "the fifth of June", dt.date(2027, 6, 5), DateBasis.GIVEN),
        ("es", "cinco de junio", dt.date(2027, 6, 5), DateBasis.GIVEN),
        ("en", "June 5th", dt.date(2027, 6, 5), DateBasis.GIVEN),
        ("en", "6/5/27", dt.date(2027, 6, 5), DateBasis.GIVEN),
    ],
)
def test_due_dates_from_dates_or_how_far_along(
    language: str, words: str, due: dt.date, basis: DateBasis
) -> None:
    reading = read_due_date(words, language, TODAY)
    assert reading is not None
    assert (reading.date, reading.basis) == (due, basis)


def test_a_due_date_just_past_stays_in_the_past_and_is_read_back() -> None:
    reading = read_due_date("May 10", "en", TODAY)
    assert reading is not None and reading.date == dt.date(2027, 5, 10)
    assert reading.needs_read_back(TODAY)
    assert due_date_problem(reading.date, TODAY) is None


def test_a_named_future_due_date_needs_no_read_back_but_weeks_do() -> None:
    named = read_due_date("June 5", "en", TODAY)
    weeks = read_due_date("30 weeks", "en", TODAY)
    assert named is not None and not named.needs_read_back(TODAY)
    assert weeks is not None and weeks.needs_read_back(TODAY)


def test_a_due_date_long_past_or_far_ahead_is_a_problem() -> None:
    assert due_date_problem(TODAY - dt.timedelta(days=30), TODAY) is DateProblem.DUE_PAST
    assert due_date_problem(TODAY + dt.timedelta(days=301), TODAY) is DateProblem.DUE_TOO_FAR


@pytest.mark.parametrize("words", ["hello", "1", "30 weeks ago", "60 weeks"])
def test_words_that_are_no_due_date_to_come(words: str) -> None:
    reading = read_due_date(words, "en", TODAY)
    assert reading is None or due_date_problem(reading.date, TODAY) is not None


@pytest.mark.parametrize(
    ("language", "words", "born"),
    [
        ("en", "yesterday", dt.date(2027, 5, 16)),
        ("en", "last Tuesday", dt.date(2027, 5, 11)),
        ("en", "on Monday", dt.date(2027, 5, 10)),
        ("en", "3 weeks ago", dt.date(2027, 4, 26)),
        ("en", "the fifth of May", dt.date(2027, 5, 5)),
        ("es", "ayer", dt.date(2027, 5, 16)),
        ("es", "el martes", dt.date(2027, 5, 11)),
        ("es", "hace 2 semanas", dt.date(2027, 5, 3)),
        ("es", "cinco de mayo", dt.date(2027, 5, 5)),
    ],
)
def test_birth_dates_as_people_say_them(language: str, words: str, born: dt.date) -> None:
    assert read_birth_date(words, language, TODAY) == born
