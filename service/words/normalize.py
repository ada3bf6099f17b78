"""One way to read what people type: upper case, no accents, no punctuation."""

from __future__ import annotations

import re
import unicodedata

_NOT_A_KEYWORD = re.compile(r"[^A-Z0-9]+")


def normalize(text: str) -> str:
    """Upper case, accents removed, punctuation and emoji turned to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_A_KEYWORD.sub(" ", plain).strip()
