"""One way to read what people type: upper case, no accents, no punctuation; and the text any
database and log can hold."""

from __future__ import annotations

import re
import unicodedata

_NOT_A_KEYWORD = re.compile(r"[^A-Z0-9]+")
_NUL = "\x00"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def normalize(text: str) -> str:
    """Upper case, accents removed, punctuation and emoji turned to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_A_KEYWORD.sub(" ", plain).strip()


def storable(text: str) -> str:
    """`text` without NUL, and with U+FFFD for each lone surrogate: what any database holds.

    PostgreSQL's text types cannot hold NUL (SQLite can, so a bug would hide there), and a lone
    surrogate cannot be written as UTF-8 at all.
    """
    if _NUL in text:
        text = text.replace(_NUL, "")
    return _LONE_SURROGATE.sub(REPLACEMENT, text)
