"""Read the dates people type ("June 5", "6/5/27", "5 de junio", "today") in English or Spanish."""

from __future__ import annotations

import datetime as dt
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
