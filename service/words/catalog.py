"""The message catalog: every text by id and language, loaded once from `messages/`."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from messages import CATALOG_DIR

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"


class CatalogError(ValueError):
    """The catalog files are inconsistent (a duplicate id, a missing file, bad YAML)."""


@dataclass(frozen=True)
class Term:
    """A placeholder value that is a word from `words[group]`, in the reply's language."""

    group: str
    key: str


@dataclass
class LanguageCatalog:
    """One language's texts, keyword lists and word lists."""

    texts: dict[str, str] = field(default_factory=dict)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    words: dict[str, Any] = field(default_factory=dict)


@dataclass
class Catalog:
    """All languages' texts; render with `text()`."""

    languages: dict[str, LanguageCatalog]

    @classmethod
    def load(cls, directory: Path = CATALOG_DIR) -> Catalog:
        """Read every `<language>/*.yaml` file below `directory`."""
        languages: dict[str, LanguageCatalog] = {}
        for language in LANGUAGES:
            folder = directory / language
            files = sorted(folder.glob("*.yaml"))
            if not files:
                raise CatalogError(f"no catalog files in {folder}")
            languages[language] = _merge(files)
        return cls(languages)

    def template(self, message_id: str, language: str) -> str:
        """The raw text with its {placeholders}."""
        return self.languages[language].texts[message_id]

    def ids(self, language: str) -> set[str]:
        """Every text id the language has."""
        return set(self.languages[language].texts)

    def keywords(self, language: str) -> dict[str, list[str]]:
        """The keyword lists, by intent."""
        return self.languages[language].keywords

    def words(self, language: str) -> dict[str, Any]:
        """Word lists that are not messages on their own (month names, date format)."""
        return self.languages[language].words

    @functools.cached_property
    def catalog_version(self) -> str:
        """A short fingerprint of the whole catalog (every text, keyword and word list), kept
        with each consent record: which words a person agreed under."""
        contents = {
            language: {
                "texts": catalog.texts,
                "keywords": catalog.keywords,
                "words": catalog.words,
            }
            for language, catalog in sorted(self.languages.items())
        }
        encoded = json.dumps(contents, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(encoded.encode()).hexdigest()[:12]

    def version(self, message_id: str, language: str) -> str:
        """A short fingerprint of a text, kept with consent records as the disclosure version."""
        digest = hashlib.sha256(self.template(message_id, language).encode()).hexdigest()
        return digest[:12]

    def format_date(self, date: dt.date, language: str) -> str:
        """A date written out in words, like "June 5, 2027" or "5 de junio de 2027"."""
        words = self.words(language)
        month = words["months"][date.month - 1]
        return str(words["date_format"]).format(month=month, day=date.day, year=date.year)

    def _word_for(self, value: object, language: str) -> object:
        """A placeholder value in words: dates written out, terms looked up."""
        if isinstance(value, dt.date):
            return self.format_date(value, language)
        if isinstance(value, Term):
            return self.words(language)[value.group][value.key]
        return value

    def text(self, message_id: str, language: str, **params: object) -> str:
        """Render a text; dates become words and every placeholder must be filled."""
        language = language if language in self.languages else DEFAULT_LANGUAGE
        values = {key: self._word_for(value, language) for key, value in params.items()}
        missing = placeholders(self.template(message_id, language)) - values.keys()
        if missing:
            raise KeyError(f"{message_id}/{language} needs {sorted(missing)}")
        return self.template(message_id, language).format_map(values)


def placeholders(template: str) -> set[str]:
    """The names in {braces} that a template needs."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _merge(files: list[Path]) -> LanguageCatalog:
    """Merge one language's files, refusing an id defined twice."""
    merged = LanguageCatalog()
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, Mapping):
            raise CatalogError(f"{path}: expected a mapping at the top")
        for section in ("texts", "keywords", "words"):
            target: dict[str, Any] = getattr(merged, section)
            for key, value in (data.get(section) or {}).items():
                if not isinstance(key, str):
                    # YAML reads a bare `yes:` or `no:` key as a boolean: quote it.
                    raise CatalogError(f"{path}: {section} key {key!r} is not a string")
                if key in target:
                    raise CatalogError(f"{path}: {section} '{key}' is defined twice")
                target[key] = " ".join(value.split()) if isinstance(value, str) else value
    return merged


@cache
def default_catalog() -> Catalog:
    """The shipped catalog, loaded once per process."""
    return Catalog.load()
