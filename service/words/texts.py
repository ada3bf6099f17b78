"""The catalog and keyword tables, bound to one deployment's program name and support contact."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from service.config import Settings
from service.words.catalog import Catalog, default_catalog
from service.words.keywords import Keywords, normalize
from service.words.segments import sms_form


@dataclass(frozen=True)
class Texts:
    """Everything needed to turn a decision into words."""

    catalog: Catalog
    keywords: Keywords
    params: Mapping[str, str]

    @classmethod
    def from_settings(cls, settings: Settings, catalog: Catalog | None = None) -> Texts:
        """Bind the shipped (or a given) catalog to the deployment's names."""
        if catalog is None:
            return cls(default_catalog(), default_keywords(), deployment_params(settings))
        return cls(catalog, Keywords.from_catalog(catalog), deployment_params(settings))

    @functools.cached_property
    def spoken_keywords(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """Per language, each intent's keywords normalized for matching speech (built once)."""
        return {
            language: {
                intent: tuple(normalize(str(word)) for word in words)
                for intent, words in self.catalog.keywords(language).items()
            }
            for language in self.catalog.languages
        }

    def render(
        self, message_id: str, language: str, params: Mapping[str, object] | None = None
    ) -> str:
        """The words of one text in one language, with the deployment's names filled in."""
        return self.catalog.text(message_id, language, **{**self.params, **(params or {})})

    def sms(
        self, message_id: str, language: str, params: Mapping[str, object] | None = None
    ) -> str:
        """The words of one text as sent by SMS (accents outside GSM-7 dropped, see segments)."""
        return sms_form(self.render(message_id, language, params))


@functools.cache
def default_keywords() -> Keywords:
    """The shipped catalog's keyword table, built once per process (it takes tens of ms)."""
    return Keywords.from_catalog(default_catalog())


def deployment_params(settings: Settings) -> dict[str, str]:
    """The placeholder values every text may use."""
    return {
        "program": settings.PROGRAM_NAME,
        "organization": settings.ORGANIZATION_NAME,
        "support": settings.SUPPORT_CONTACT,
        "crisis_line": settings.CRISIS_LINE,
        "maternal_line": settings.MATERNAL_MENTAL_HEALTH_LINE,
        # Spoken digit by digit on the phone line ("9 8 8", not "nine hundred eighty-eight").
        "crisis_line_spoken": spoken_digits(settings.CRISIS_LINE),
        "maternal_line_spoken": spoken_digits(settings.MATERNAL_MENTAL_HEALTH_LINE),
    }


def spoken_digits(number: str) -> str:
    """A phone number for text-to-speech: its digits one by one, groups kept apart by commas."""
    groups = ["".join(c for c in group if c.isdigit()) for group in number.split("-")]
    return ", ".join(" ".join(group) for group in groups if group)
