"""Keyword tables built from the catalog: which intent a text names, and in which language.

Keywords are exact: the whole message (STOP, MENU, BORN 6/5...) or, for stopping, a plain
phrase inside it. Free words (topics, warning signs) are read by `service.understanding`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.words.catalog import LANGUAGES, Catalog
from service.words.normalize import normalize

__all__ = ["TOPIC_PREFIX", "Keywords", "Match", "normalize"]

TOPIC_PREFIX = "topic."


@dataclass(frozen=True)
class Match:
    """An intent found in a message, the languages its keyword belongs to, and what followed it."""

    intent: str
    languages: frozenset[str]
    rest: str = ""

    def language_for(self, current: str) -> str:
        """Keep the person's language when the keyword is theirs too, else the keyword's."""
        if current in self.languages or not self.languages:
            return current
        return sorted(self.languages)[0]


@dataclass
class Keywords:
    """Lookup tables from normalized keyword to intent, for every language at once."""

    exact: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    phrases: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Each topic's MENU number (`topic.<name>: ["1"]` in the catalog), the same in both languages.
    topic_numbers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Keywords:
        """Build the tables from every language's `keywords` section."""
        table = cls()
        for language in LANGUAGES:
            for intent, words in catalog.keywords(language).items():
                if intent.startswith(TOPIC_PREFIX):
                    name = intent.removeprefix(TOPIC_PREFIX)
                    for word in words:
                        table.topic_numbers.setdefault(name, str(word))
                    continue
                if intent.endswith("_phrases"):
                    bucket = table.phrases.setdefault(intent.removesuffix("_phrases"), [])
                    bucket.extend((normalize(word), language) for word in words)
                    continue
                for word in words:
                    by_intent = table.exact.setdefault(normalize(str(word)), {})
                    by_intent.setdefault(intent, set()).add(language)
        return table

    def topic_number(self, name: str) -> str:
        """A topic's menu number ('' when it has none)."""
        return self.topic_numbers.get(name, "")

    def topic_named_by_number(self, number: str) -> str | None:
        """The topic whose menu number is `number`, or None."""
        for name, own in self.topic_numbers.items():
            if own == number:
                return name
        return None

    def whole(self, text: str, intents: tuple[str, ...]) -> Match | None:
        """The first of `intents` whose keyword is the whole message."""
        found = self.exact.get(normalize(text), {})
        for intent in intents:
            if intent in found:
                return Match(intent, frozenset(found[intent]))
        return None

    def leading(self, text: str, intent: str) -> Match | None:
        """`intent` when the message starts with one of its keywords; `rest` is what follows."""
        words = normalize(text).split()
        for length in range(len(words), 0, -1):
            head = " ".join(words[:length])
            languages = self.exact.get(head, {}).get(intent)
            if languages:
                rest = _after_words(text, length)
                return Match(intent, frozenset(languages), rest)
        return None

    def phrase(self, text: str, intent: str) -> Match | None:
        """`intent` when the message contains one of its plain-words phrases."""
        padded = f" {normalize(text)} "
        for phrase, language in self.phrases.get(intent, []):
            if f" {phrase} " in padded:
                return Match(intent, frozenset({language}))
        return None


def _after_words(text: str, count: int) -> str:
    """The original text after its first `count` words (keeps the date's own punctuation)."""
    pieces = re.split(r"(\s+)", text.strip())
    words_seen = 0
    for index, piece in enumerate(pieces):
        if piece.strip() and normalize(piece):
            words_seen += len(normalize(piece).split())
            if words_seen >= count:
                return "".join(pieces[index + 1 :]).strip()
    return ""
