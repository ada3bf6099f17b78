"""Read the dates people type ("June 5", "6/5/27", "5 de junio", "today") in English or Spanish."""

from __future__ import annotations

import datetime as dt
import enum
import warnings
from typing import Literal

import dateparser
from dateparser.search import search_dates

OTHER_LANGUAGE = {"en": "es", "es": "en"}


def parse_date(
    text: str,
    language: str,
    today: dt.date,
    prefer: Literal["future", "past"],
) -> dt.date | None:
    """The date in `text`, reading a missing year toward the future or the past; None if none."""
    text = text.strip()
    if not text or not any(char.isalnum() for char in text):
        return None
    settings = {
        "PREFER_DATES_FROM": prefer,
        "RELATIVE_BASE": dt.datetime.combine(today, dt.time()),
        # People in the US write month first; Spanish speakers mostly write the day first.
        "DATE_ORDER": "DMY" if language == "es" else "MDY",
        "REQUIRE_PARTS": ["day", "month"],
    }
    languages = [language, OTHER_LANGUAGE.get(language, "en")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = dateparser.parse(text, languages=languages, settings=settings)
        if parsed is None and len(text) <= 200:
            found = search_dates(text, languages=languages, settings=settings)
            parsed = found[0][1] if found else None
    return parsed.date() if parsed else None


# A due date more than this far ahead is a slip; a birth more than a year ago is past the program.
MAX_DAYS_UNTIL_DUE = 300
MAX_DAYS_SINCE_BIRTH = 365


class DateProblem(enum.StrEnum):
    """Why a due date or birth date someone gave makes no sense."""

    DUE_PAST = "due_past"
    DUE_TOO_FAR = "due_too_far"
    BIRTH_FUTURE = "birth_future"
    BIRTH_TOO_OLD = "birth_too_old"


def due_date_problem(date: dt.date, today: dt.date) -> DateProblem | None:
    """A due date from today up to 10 months ahead is fine; anything else has a problem."""
    if date < today:
        return DateProblem.DUE_PAST
    if (date - today).days > MAX_DAYS_UNTIL_DUE:
        return DateProblem.DUE_TOO_FAR
    return None


def birth_date_problem(date: dt.date, today: dt.date) -> DateProblem | None:
    """A birth date in the past year is fine; anything else has a problem."""
    if date > today:
        return DateProblem.BIRTH_FUTURE
    if (today - date).days > MAX_DAYS_SINCE_BIRTH:
        return DateProblem.BIRTH_TOO_OLD
    return None
