"""One way to read a message for the model: lower case, no accents, repeats collapsed, and the
pieces the classifier counts (character n-grams inside words, and words and word pairs)."""

from __future__ import annotations

import re
import unicodedata

# Thumbs up and down answer a yes/no question; the skin-tone modifiers change nothing.
# Laughing faces mark a joke ("i cant breathe 😂"), read as "lol".
_EMOJI_WORDS = {
    "\U0001f44d": " yes ",
    "\U0001f44e": " no ",
    "\U0001f602": " lol ",
    "\U0001f923": " lol ",
}
_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")
_REPEATS = re.compile(r"(\D)\1{2,}")
# A word is letters or digits; "?" and "!" stand on their own, since a question mark is a cue.
_TOKENS = re.compile(r"\w+|[?¿!]")
_SPACES = re.compile(r"\s+")
CHAR_NGRAMS = (2, 5)
WORD_NGRAMS = (1, 2)


def normalize(text: str) -> str:
    """Lower case, accents removed, thumbs as yes/no, laughing faces as "lol", a letter repeated
    3+ times kept twice, punctuation dropped except "?" and "!"."""
    text = _SKIN_TONES.sub("", text)
    for emoji, word in _EMOJI_WORDS.items():
        text = text.replace(emoji, word)
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = _REPEATS.sub(r"\1\1", plain)
    return " ".join(_TOKENS.findall(plain))


def words(normalized: str) -> list[str]:
    """The words of a normalized text ("?" counts as one)."""
    return normalized.split()


def char_features(normalized: str) -> list[str]:
    """Character n-grams of each word, padded by spaces (scikit-learn's `char_wb`)."""
    low, high = CHAR_NGRAMS
    pieces: list[str] = []
    for token in normalized.split():
        padded = f" {token} "
        length = len(padded)
        for size in range(low, min(high, length) + 1):
            pieces += [padded[start : start + size] for start in range(length - size + 1)]
    return pieces


def word_features(normalized: str) -> list[str]:
    """Single words and runs of words (up to WORD_NGRAMS' longest)."""
    tokens = normalized.split()
    first, last = WORD_NGRAMS
    pieces: list[str] = []
    for size in range(first, last + 1):
        pieces += [
            " ".join(tokens[start : start + size]) for start in range(len(tokens) - size + 1)
        ]
    return pieces
