"""SMS segment counting at the encoding boundaries."""

from __future__ import annotations

import pytest

from service.words.segments import GSM7, UCS2, count_segments, non_gsm7_characters, sms_form


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", GSM7, 0),
        ("a" * 160, GSM7, 1),
        ("a" * 161, GSM7, 2),
        ("a" * 306, GSM7, 2),
        ("a" * 307, GSM7, 3),
        ("é" * 160, GSM7, 1),
        ("ñ¿¡ü" * 40 + "a", GSM7, 2),
        ("á" * 70, UCS2, 1),
        ("á" * 71, UCS2, 2),
        ("a" * 133 + "ó", UCS2, 2),
        ("a" * 134 + "ó", UCS2, 3),
    ],
)
def test_segments_at_the_single_and_split_limits(text: str, encoding: str, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.segments) == (encoding, segments)


@pytest.mark.parametrize("char", list("[]{}~^|\\€"))
def test_extension_characters_count_twice(char: str) -> None:
    assert count_segments(char * 80) == count_segments("a" * 160)
    assert count_segments(char + "a" * 159).segments == 2
    assert count_segments(char + "a" * 158).segments == 1


def test_an_escaped_character_is_never_cut_between_two_segments() -> None:
    # 152 plain characters then a two-septet "€" does not fit in the first 153-septet segment.
    text = "a" * 152 + "€" + "a" * 152
    assert count_segments(text).units == 306
    assert count_segments(text).segments == 3


def test_an_emoji_takes_two_ucs2_units() -> None:
    assert count_segments("🤰" * 35).units == 70
    assert count_segments("🤰" * 35).segments == 1
    assert count_segments("🤰" * 35 + "a").segments == 2


@pytest.mark.parametrize("char", ["\u2019", "\u201c", "\u2013", "\u2014", "\u2026", "\u00a0", "á"])
def test_characters_that_force_ucs2_are_reported(char: str) -> None:
    text = f"Take your calcium{char} today"
    assert non_gsm7_characters(text) == [char]
    assert count_segments(text).encoding == UCS2


def test_spanish_accents_outside_gsm7_are_dropped_for_sending_so_a_text_stays_one_segment() -> None:
    written = "Tome su calcio con la cena. Sí, también el yogur. Llame a su clínica si duele."
    written += " Camine un poco cada día y tome el sol."
    assert (count_segments(written).encoding, count_segments(written).segments) == (UCS2, 2)
    sent = sms_form(written)
    assert sent.startswith("Tome su calcio con la cena. Si, también el yogur. Llame a su clinica")
    assert (count_segments(sent).encoding, count_segments(sent).segments) == (GSM7, 1)


def test_letters_that_are_gsm7_keep_their_accents_when_sent() -> None:
    assert sms_form("Él está en el baño, ¡pregúntele!") == "Él esta en el baño, ¡preguntele!"


def test_a_text_that_needs_ucs2_anyway_keeps_every_accent() -> None:
    assert sms_form("Qué bien 👍 sí") == "Qué bien 👍 sí"
