"""The catalog and keyword tables, bound to one deployment's program name and support contact."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from service.config import Settings
from service.words.catalog import DEFAULT_LANGUAGE, Catalog, default_catalog
from service.words.keywords import Keywords, normalize
from service.words.segments import sms_form


@dataclass(frozen=True)
class Texts:
    """Everything needed to turn a decision into words."""

    catalog: Catalog
    keywords: Keywords
    # The deployment's names, by language: {"es": {"organization": "su clínica", ...}, ...}.
    params_by_language: Mapping[str, Mapping[str, str]]

    @classmethod
    def from_settings(cls, settings: Settings, catalog: Catalog | None = None) -> Texts:
        """Bind the shipped (or a given) catalog to the deployment's names."""
        if catalog is None:
            catalog, keywords = default_catalog(), default_keywords()
        else:
            keywords = Keywords.from_catalog(catalog)
        return cls(catalog, keywords, deployment_params(settings, catalog))

    def params(self, language: str) -> Mapping[str, str]:
        """The deployment's names as shown in one language."""
        return self.params_by_language.get(language) or self.params_by_language[DEFAULT_LANGUAGE]

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
        names = self.params(language)
        return self.catalog.text(message_id, language, **{**names, **(params or {})})

    def sms(
        self, message_id: str, language: str, params: Mapping[str, object] | None = None
    ) -> str:
        """The words of one text as sent by SMS (accents outside GSM-7 dropped, see segments)."""
        return sms_form(self.render(message_id, language, params))


@functools.cache
def default_keywords() -> Keywords:
    """The shipped catalog's keyword table, built once per process (it takes tens of ms)."""
    return Keywords.from_catalog(default_catalog())


# Each placeholder a deployment fills, and the setting that fills it.
SHOWN_SETTINGS = {
    "program": "PROGRAM_NAME",
    "organization": "ORGANIZATION_NAME",
    "support": "SUPPORT_CONTACT",
    "crisis_line": "CRISIS_LINE",
    "maternal_line": "MATERNAL_MENTAL_HEALTH_LINE",
}
# Phone numbers also said on the phone line, digit by digit ("9 8 8", not "nine hundred...").
SPOKEN_NUMBERS = {"crisis_line_spoken": "crisis_line", "maternal_line_spoken": "maternal_line"}
SETTING_DEFAULTS = "setting_defaults"


def setting_name(placeholder: str, language: str) -> str:
    """The setting for one placeholder in one language (`ORGANIZATION_NAME_ES`)."""
    name = SHOWN_SETTINGS[placeholder]
    return name if language == DEFAULT_LANGUAGE else f"{name}_{language.upper()}"


def deployment_params(
    settings: Settings, catalog: Catalog | None = None
) -> dict[str, dict[str, str]]:
    """The placeholder values every text may use, by language: the language's own setting,
    else the plain one, else the catalog's words for that language."""
    catalog = catalog or default_catalog()
    params: dict[str, dict[str, str]] = {}
    for language in catalog.languages:
        defaults = catalog.words(language).get(SETTING_DEFAULTS) or {}
        values = {
            placeholder: str(
                getattr(settings, setting_name(placeholder, language), "")
                or getattr(settings, name)
                or defaults.get(placeholder, "")
            )
            for placeholder, name in SHOWN_SETTINGS.items()
        }
        for spoken, placeholder in SPOKEN_NUMBERS.items():
            values[spoken] = spoken_digits(values[placeholder])
        params[language] = values
    return params


def spoken_digits(number: str) -> str:
    """A phone number for text-to-speech: its digits one by one, groups kept apart by commas."""
    groups = ["".join(c for c in group if c.isdigit()) for group in number.split("-")]
    return ", ".join(" ".join(group) for group in groups if group)
