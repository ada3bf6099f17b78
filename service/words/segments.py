"""How many SMS segments a text costs, in the encoding a phone network would really use."""

from __future__ import annotations

from dataclasses import dataclass

# 3GPP TS 23.038 default alphabet; the GSM "ESC" code point is left out on purpose.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each of these takes an escape character plus itself, so counts twice.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# (characters in one single segment, characters per segment once split)
SEGMENT_SIZES = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SegmentCount:
    """A text's encoding, its length in that encoding's units, and its segment count."""

    encoding: str
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Whether every character is in the GSM-7 alphabet (basic or extension)."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def non_gsm7_characters(text: str) -> list[str]:
    """The characters that force a text into UCS-2, each once, in order of appearance."""
    seen: dict[str, None] = {}
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION:
            seen.setdefault(char)
    return list(seen)


def count_segments(text: str) -> SegmentCount:
    """Segments as a carrier counts them: GSM-7 160/153, else UCS-2 70/67 in UTF-16 units."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    sizes = [_units(char, encoding) for char in text]
    units = sum(sizes)
    single, split = SEGMENT_SIZES[encoding]
    if units <= single:
        return SegmentCount(encoding, units, 1 if units else 0)
    # A split text cannot cut an escaped character or a surrogate pair between two segments.
    segments, used = 1, 0
    for size in sizes:
        if used + size > split:
            segments, used = segments + 1, 0
        used += size
    return SegmentCount(encoding, units, segments)


def _units(char: str, encoding: str) -> int:
    """How many septets (GSM-7) or UTF-16 code units (UCS-2) one character takes."""
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return len(char.encode("utf-16-le")) // 2


# Letters and marks outside GSM-7, and what each is sent as. Twilio's own "smart encoding" does the
# same: one á would otherwise turn a whole text into UCS-2 (70 characters a segment, not 160).
# é ñ ü ¿ ¡ are GSM-7 and stay. The phone voice reads the catalog's original, accents and all.
SENT_FORM = str.maketrans(
    {
        "á": "a",
        "í": "i",
        "ó": "o",
        "ú": "u",
        "Á": "A",
        "Í": "I",
        "Ó": "O",
        "Ú": "U",
        "â": "a",
        "ê": "e",
        "î": "i",
        "ô": "o",
        "û": "u",
        "ï": "i",
        "ë": "e",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)


def sms_form(text: str) -> str:
    """The text as we send it by SMS: accents outside GSM-7 dropped when that keeps it GSM-7.

    A text that needs UCS-2 anyway (an emoji, another alphabet) keeps its accents.
    """
    converted = text.translate(SENT_FORM)
    return converted if is_gsm7(converted) else text
