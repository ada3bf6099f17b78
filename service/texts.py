"""The catalog and keyword tables, bound to one deployment's program name and support contact."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from service.catalog import Catalog, default_catalog
from service.config import Settings
from service.conversation import Reply
from service.keywords import Keywords, normalize


@dataclass(frozen=True)
class Texts:
    """Everything needed to turn a decision into words."""

    catalog: Catalog
    keywords: Keywords
    params: Mapping[str, str]

    @classmethod
    def from_settings(cls, settings: Settings, catalog: Catalog | None = None) -> Texts:
        """Bind the shipped (or a given) catalog to the deployment's names."""
        catalog = catalog or default_catalog()
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

    def render(self, reply: Reply, language: str) -> str:
        """The words of one reply in one language."""
        return self.catalog.text(reply.message_id, language, **{**self.params, **reply.params})


def deployment_params(settings: Settings) -> dict[str, str]:
    """The placeholder values every text may use."""
    return {
        "program": settings.PROGRAM_NAME,
        "organization": settings.ORGANIZATION_NAME,
        "support": settings.SUPPORT_CONTACT,
    }
