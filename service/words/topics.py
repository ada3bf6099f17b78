"""Which topic (or which red flag) a free-text message is about, from the catalog's keywords.

A keyword matches, in this order of trust: as the whole message; as a phrase inside a longer
message ("what about calcium??"); or, when nothing else did, nearly (a misspelling), scored
with rapidfuzz. Menu numbers and one-word keywords of 4 letters or fewer ("BABY", "MEDS") count
only as the whole message, so a passing "my baby" or "I have 2 kids" names no topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from service.words.catalog import LANGUAGES, Catalog
from service.words.normalize import normalize

TOPIC_PREFIX = "topic."
RED_FLAG_PREFIX = "red_flag."
# A red flag's reply text: `safety.<reason>`.
SAFETY_REPLY_PREFIX = "safety."

# A one-word keyword this short is too common inside other sentences to count as a phrase.
SHORTEST_PHRASE = 5
# Fuzzy matching: rapidfuzz's ratio (0-100) and the shortest keyword worth comparing.
# 85 lets one slip through in a 7-letter word ("calcuim") but not in a 5-letter one.
TOPIC_FUZZY_SCORE = 85.0
TOPIC_FUZZY_LENGTH = 5
# Red flags are longer phrases: a stricter score still catches "sever back pain".
RED_FLAG_FUZZY_SCORE = 90.0
RED_FLAG_FUZZY_LENGTH = 9
# Misspellings are looked for in the first words only, so a pasted essay stays cheap.
FUZZY_WORDS = 40
FUZZY_NGRAM = 3


@dataclass(frozen=True)
class Keyword:
    """One normalized keyword, the name it points to, and the language it is written in."""

    words: tuple[str, ...]
    name: str
    language: str

    @property
    def text(self) -> str:
        """The keyword as one normalized string."""
        return " ".join(self.words)


@dataclass(frozen=True)
class Found:
    """The names a message points to, most likely first, and the languages of the first one."""

    names: tuple[str, ...]
    languages: frozenset[str]

    def language_for(self, current: str) -> str:
        """Keep the person's language when the keyword is theirs too, else the keyword's."""
        if current in self.languages or not self.languages:
            return current
        return sorted(self.languages)[0]


@dataclass(frozen=True)
class _Span:
    """Where a keyword was found, in word positions."""

    start: int
    end: int
    keyword: Keyword


@dataclass
class PhraseMatcher:
    """Keyword tables for one family of intents (topics or red flags), all languages at once."""

    exact: dict[str, list[Keyword]] = field(default_factory=dict)
    by_first_word: dict[str, list[Keyword]] = field(default_factory=dict)
    fuzzy: dict[str, list[Keyword]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    numbers: dict[str, str] = field(default_factory=dict)
    fuzzy_score: float = TOPIC_FUZZY_SCORE
    by_priority: bool = False

    @classmethod
    def topics(cls, catalog: Catalog, prefix: str = TOPIC_PREFIX) -> PhraseMatcher:
        """Topics: several named in one message are listed in the order they were written."""
        return cls.build(catalog, prefix, TOPIC_FUZZY_SCORE, TOPIC_FUZZY_LENGTH, by_priority=False)

    @classmethod
    def red_flags(cls, catalog: Catalog, prefix: str = RED_FLAG_PREFIX) -> PhraseMatcher:
        """Red flags: several in one message are ranked by their order in the catalog."""
        return cls.build(
            catalog, prefix, RED_FLAG_FUZZY_SCORE, RED_FLAG_FUZZY_LENGTH, by_priority=True
        )

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        prefix: str,
        fuzzy_score: float,
        fuzzy_length: int,
        by_priority: bool,
    ) -> PhraseMatcher:
        """Tables from every language's keyword lists whose intent starts with `prefix`."""
        table = cls(fuzzy_score=fuzzy_score, by_priority=by_priority)
        for keyword in _keywords(catalog, prefix):
            if keyword.name not in table.names:
                table.names.append(keyword.name)
            table.exact.setdefault(keyword.text, []).append(keyword)
            if keyword.text.isdigit():
                table.numbers.setdefault(keyword.name, keyword.text)
                continue
            if len(keyword.words) > 1 or len(keyword.text) >= SHORTEST_PHRASE:
                table.by_first_word.setdefault(keyword.words[0], []).append(keyword)
            if len(keyword.text) >= fuzzy_length:
                table.fuzzy.setdefault(keyword.text[0], []).append(keyword)
        return table

    def find(self, text: str) -> Found | None:
        """The names `text` points to: whole message, then phrases, then near misses."""
        normalized = normalize(text)
        if not normalized:
            return None
        whole = self.exact.get(normalized)
        if whole:
            return self._found(whole)
        words = normalized.split()
        spans = _outermost(self._spans(words))
        if spans:
            return self._found(span.keyword for span in spans)
        return self._near_miss(words)

    def named_by_number(self, number: str) -> str | None:
        """The name whose menu number is `number`, or None."""
        for name, own in self.numbers.items():
            if own == number:
                return name
        return None

    def number_of(self, name: str) -> str:
        """The menu number of a name ('' when it has none)."""
        return self.numbers.get(name, "")

    def _spans(self, words: list[str]) -> Iterator[_Span]:
        """Every place a phrase keyword occurs as whole words."""
        for start, word in enumerate(words):
            for keyword in self.by_first_word.get(word, []):
                end = start + len(keyword.words)
                if tuple(words[start:end]) == keyword.words:
                    yield _Span(start, end, keyword)

    def _near_miss(self, words: list[str]) -> Found | None:
        """The best near matches of the first words' 1- to 3-word runs (ties are kept).

        Only keywords with the run's first letter are compared: slips rarely change the first
        letter, and real words that differ in it ("talking", "walking") are not slips.
        """
        best: dict[str, tuple[float, Keyword]] = {}
        for run in _runs(words[:FUZZY_WORDS], FUZZY_NGRAM):
            candidates = self.fuzzy.get(run[0], [])
            choices = [keyword.text for keyword in candidates]
            for _, score, index in process.extract(
                run, choices, scorer=fuzz.ratio, score_cutoff=self.fuzzy_score, limit=None
            ):
                keyword = candidates[index]
                if score > best.get(keyword.name, (-1.0, keyword))[0]:
                    best[keyword.name] = (score, keyword)
        if not best:
            return None
        top = max(score for score, _ in best.values())
        return self._found(keyword for score, keyword in best.values() if score == top)

    def _found(self, keywords: Iterable[Keyword]) -> Found:
        """Distinct names in order (as written, or by catalog priority), with languages."""
        ordered = list(keywords)
        if self.by_priority:
            ordered.sort(key=lambda keyword: self.names.index(keyword.name))
        names = tuple(dict.fromkeys(keyword.name for keyword in ordered))
        languages = frozenset(k.language for k in ordered if k.name == names[0])
        return Found(names, languages)


def _keywords(catalog: Catalog, prefix: str) -> Iterator[Keyword]:
    """Every keyword of the intents starting with `prefix`, in catalog order."""
    for language in LANGUAGES:
        for intent, words in catalog.keywords(language).items():
            if not intent.startswith(prefix):
                continue
            name = intent.removeprefix(prefix)
            for word in words:
                normalized = normalize(str(word))
                if normalized:
                    yield Keyword(tuple(normalized.split()), name, language)


def _outermost(spans: Iterable[_Span]) -> list[_Span]:
    """Spans not inside a longer one ("calcium" inside "calcium test"), in message order."""
    found = sorted(spans, key=lambda span: (span.start, span.start - span.end))
    return [
        span
        for span in found
        if not any(
            other.start <= span.start
            and span.end <= other.end
            and (other.end - other.start) > (span.end - span.start)
            for other in found
        )
    ]


def _runs(words: list[str], longest: int) -> Iterator[str]:
    """Every run of 1 to `longest` consecutive words, joined by spaces."""
    for size in range(1, longest + 1):
        for start in range(len(words) - size + 1):
            yield " ".join(words[start : start + size])
