"""Read the dates people give, in English or Spanish, by text or as the phone line hears them.

A due date as a date ("June 5", "6/5/27", "cinco de junio") or as how far along they are ("30
weeks", "8 meses"); a birth date as a date or as words for a day ("yesterday", "last Tuesday", "3
weeks ago", "hace 2 semanas"). A due date just past is kept in the past (and asked about), never
moved a year ahead.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Literal

import dateparser
from dateparser.search import search_dates

OTHER_LANGUAGE = {"en": "es", "es": "en"}

# A pregnancy is counted as 40 weeks; a month of it as 4 1/3 weeks.
PREGNANCY_DAYS = 280
DAYS_PER_MONTH = 365.25 / 12
MAX_WEEKS_ALONG = 44
MAX_MONTHS_ALONG = 10


def parse_date(
    text: str,
    language: str,
    today: dt.date,
    prefer: Literal["future", "past"],
) -> dt.date | None:
    """The date in `text`, reading a missing year toward the future or the past; None if none."""
    text = _digits_for_words(text.strip())
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


class DateBasis(enum.StrEnum):
    """How a due date was worked out from what the person said."""

    GIVEN = "given"  # they named the day
    WEEKS_ALONG = "weeks_along"  # "30 weeks", "30 semanas"
    MONTHS_ALONG = "months_along"  # "7 months", "8 meses"
    WEEKS_LEFT = "weeks_left"  # "in 3 weeks", "en 3 semanas"


@dataclass(frozen=True)
class DueReading:
    """A due date read from someone's words, and how it was found."""

    date: dt.date
    basis: DateBasis

    def needs_read_back(self, today: dt.date) -> bool:
        """Worked out (not named), or already past: say it back and wait for a yes."""
        return self.basis is not DateBasis.GIVEN or self.date < today


# A due date more than this far ahead is a slip; a birth more than a year ago is past the program.
MAX_DAYS_UNTIL_DUE = 300
MAX_DAYS_SINCE_BIRTH = 365
# A due date up to this many days ago is asked about (still pregnant?), never moved a year.
JUST_PAST_DAYS = 14


def read_due_date(text: str, language: str, today: dt.date) -> DueReading | None:
    """A due date from a date, or from how far along they are; None when there is neither.

    "I am 41 weeks, due date was May 10": a named date wins over the weeks.
    """
    words = _digits_for_words(_plain(text))
    along = _along(words)
    if along is None:
        date = _due_date_named(text, language, today)
        return None if date is None else DueReading(date, DateBasis.GIVEN)
    rest = words[: along.span[0]] + " " + words[along.span[1] :]
    if _NAMED_DATE.search(rest):
        date = _due_date_named(rest, language, today)
        if date is not None:
            return DueReading(date, DateBasis.GIVEN)
    return along.reading(today)


def _due_date_named(text: str, language: str, today: dt.date) -> dt.date | None:
    """A named due date; one a few days past stays past instead of moving to next year."""
    ahead = parse_date(text, language, today, "future")
    if ahead is None or (ahead - today).days <= MAX_DAYS_UNTIL_DUE:
        return ahead
    behind = parse_date(text, language, today, "past")
    if behind is not None and 0 < (today - behind).days <= JUST_PAST_DAYS:
        return behind
    return ahead


_NUMBER = r"(\d{1,2}(?:[.,]5)?)"
_WEEKS = r"(?:weeks?|wks?|wk|semanas?|sem)"
_MONTHS = r"(?:months?|mos?|meses|mes)"
_WEEKS_LEFT = re.compile(rf"\b(?:in|en|faltan?|dentro de)\s+{_NUMBER}\s*{_WEEKS}\b")
_WEEKS_ALONG = re.compile(rf"\b{_NUMBER}\s*{_WEEKS}\b")
_MONTHS_ALONG = re.compile(rf"\b{_NUMBER}\s*{_MONTHS}\b")
# "3 weeks ago" / "hace 3 semanas" is a day in the past, not how far along.
_AGO = re.compile(r"\b(ago|hace|pasad[oa]s?)\b")


@dataclass(frozen=True)
class _Along:
    """How far along (or how long to go) someone said they are."""

    basis: DateBasis
    amount: float
    # Where in the words it was said, so a date named beside it can be read on its own.
    span: tuple[int, int]

    def reading(self, today: dt.date) -> DueReading:
        """The due date it means, counted from today."""
        if self.basis is DateBasis.WEEKS_LEFT:
            days = self.amount * 7
        elif self.basis is DateBasis.WEEKS_ALONG:
            days = PREGNANCY_DAYS - self.amount * 7
        else:
            days = PREGNANCY_DAYS - self.amount * DAYS_PER_MONTH
        return DueReading(today + dt.timedelta(days=round(days)), self.basis)


def _along(words: str) -> _Along | None:
    """Weeks or months along, or weeks left, when the words say so plausibly."""
    if _AGO.search(words):
        return None
    for pattern, basis, limit in (
        (_WEEKS_LEFT, DateBasis.WEEKS_LEFT, MAX_WEEKS_ALONG),
        (_WEEKS_ALONG, DateBasis.WEEKS_ALONG, MAX_WEEKS_ALONG),
        (_MONTHS_ALONG, DateBasis.MONTHS_ALONG, MAX_MONTHS_ALONG),
    ):
        found = pattern.search(words)
        if found:
            amount = float(found.group(1).replace(",", "."))
            return _Along(basis, amount, found.span()) if 0 < amount <= limit else None
    return None


WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
    "lunes": 0,
    "martes": 1,
    "miercoles": 2,
    "jueves": 3,
    "viernes": 4,
    "sabado": 5,
    "domingo": 6,
}
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b")
_MONTHS_NAMED = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec enero febrero marzo abril mayo junio julio "
    "agosto septiembre setiembre octubre noviembre diciembre ene abr ago dic"
)
# A month's name, or a date in digits ("6/5", "6/5/27"): a date is named, not a weekday.
_NAMED_DATE = re.compile(r"\b(" + "|".join(_MONTHS_NAMED.split()) + r")\b|\d+\s*/\s*\d+")


# "next Tuesday", "el martes que viene": a day to come, never a birth.
_COMING = re.compile(r"\b(next|coming|que viene|proxim[oa])\b")


def read_birth_date(text: str, language: str, today: dt.date) -> dt.date | None:
    """A birth date: a date, "yesterday", "3 weeks ago", or a weekday ("last Tuesday")."""
    words = _plain(text)
    weekday = _WEEKDAY.search(words)
    if weekday and not _NAMED_DATE.search(words) and not _COMING.search(words):
        back = (today.weekday() - WEEKDAYS[weekday.group(1)]) % 7 or 7
        return today - dt.timedelta(days=back)
    return parse_date(text, language, today, "past")


class DateProblem(enum.StrEnum):
    """Why a due date or birth date someone gave makes no sense."""

    DUE_PAST = "due_past"
    DUE_TOO_FAR = "due_too_far"
    BIRTH_FUTURE = "birth_future"
    BIRTH_TOO_OLD = "birth_too_old"


def due_date_problem(date: dt.date, today: dt.date) -> DateProblem | None:
    """A due date from two weeks ago up to 10 months ahead is fine (a past one is read back)."""
    if (today - date).days > JUST_PAST_DAYS:
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


_ORDINALS_EN = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
_CARDINALS_EN = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
_CARDINALS_ES = [
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciseis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidos",
    "veintitres",
    "veinticuatro",
    "veinticinco",
    "veintiseis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
    "treinta",
]


def _number_words() -> dict[str, int]:
    """Number words for 1 to 44, in both languages ("fifth", "thirty one", "treinta y uno")."""
    table: dict[str, int] = {"primero": 1, "un": 1, "una": 1, "thirtieth": 30}
    table.update({word: number for number, word in enumerate(_ORDINALS_EN, 1)})
    table.update({word: number for number, word in enumerate(_CARDINALS_EN, 1)})
    table.update({word: number for number, word in enumerate(_CARDINALS_ES, 1)})
    for tens, english, spanish in (
        (20, "twenty", None),
        (30, "thirty", "treinta"),
        (40, "forty", "cuarenta"),
    ):
        table[english] = tens
        if spanish:
            table[spanish] = tens
        for unit in range(1, 10):
            table[f"{english} {_CARDINALS_EN[unit - 1]}"] = tens + unit
            table[f"{english} {_ORDINALS_EN[unit - 1]}"] = tens + unit
            table[f"{english}-{_CARDINALS_EN[unit - 1]}"] = tens + unit
            table[f"{english}-{_ORDINALS_EN[unit - 1]}"] = tens + unit
            if spanish:
                table[f"{spanish} y {_CARDINALS_ES[unit - 1]}"] = tens + unit
    table["cuarenta"] = 40
    return table


NUMBER_WORDS = _number_words()
_NUMBER_WORD = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def _digits_for_words(text: str) -> str:
    """ "the fifth of June" -> "5 of June", "treinta semanas" -> "30 semanas"."""
    replaced = _NUMBER_WORD.sub(lambda found: str(NUMBER_WORDS[found.group(1).lower()]), text)
    return re.sub(r"\bthe\s+(?=\d)", "", replaced, flags=re.IGNORECASE)


def _plain(text: str) -> str:
    """Lower case without accents, punctuation other than "/" "." "," as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9/.,]+", " ", plain).split())
