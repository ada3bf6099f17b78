"""Scheduled texts fit one SMS segment in plain words; replies fit two; nothing leaks."""

from __future__ import annotations

import pytest
import textstat

from service.words.catalog import Catalog
from service.words.segments import sms_form

# The GSM-7 basic character set (3GPP TS 23.038); anything else makes a text UCS-2.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
LONGEST_PROGRAM_NAME = "BoneLine Clinic"
PARAMS = {"program": LONGEST_PROGRAM_NAME, "last_digits": "1234"}
PREFIXES = ("reminder.", "checkin.", "checkin_reply.", "alert.")


def scheduled_ids(catalog: Catalog) -> list[str]:
    """Every id this issue added."""
    return sorted(i for i in catalog.ids("en") if i.startswith(PREFIXES))


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_reminder_and_check_in_is_sent_as_one_gsm7_segment(
    catalog: Catalog, language: str
) -> None:
    for message_id in scheduled_ids(catalog):
        text = sms_form(catalog.text(message_id, language, **PARAMS))
        assert set(text) <= GSM7, (message_id, set(text) - GSM7)
        limit = 160 if message_id.startswith(("reminder.", "checkin.")) else 306
        assert len(text) <= limit, message_id


def test_english_reminders_read_at_grade_six_or_below(catalog: Catalog) -> None:
    textstat.set_lang("en")
    for message_id in scheduled_ids(catalog):
        text = catalog.text(message_id, "en", program="BoneLine", last_digits="1234")
        assert textstat.flesch_kincaid_grade(text) <= 6, message_id


def test_spanish_reminders_are_easy_to_read(catalog: Catalog) -> None:
    textstat.set_lang("es")
    try:
        for message_id in scheduled_ids(catalog):
            text = catalog.text(message_id, "es", program="BoneLine", last_digits="1234")
            assert textstat.fernandez_huerta(text) >= 80, message_id
    finally:
        textstat.set_lang("en")


@pytest.mark.parametrize("language", ["en", "es"])
def test_check_in_says_how_to_answer(catalog: Catalog, language: str) -> None:
    text = catalog.text("checkin.back_pain", language, program="BoneLine")
    assert "1" in text and "2" in text and "NO" in text


def test_care_team_alert_carries_no_full_number_or_words(catalog: Catalog) -> None:
    template = catalog.template("alert.care_team", "en")
    assert "{last_digits}" in template and "{phone}" not in template and "{detail}" not in template
