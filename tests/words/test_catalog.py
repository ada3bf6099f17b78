"""The message catalog: every id in both languages, every placeholder filled."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import load_settings
from service.words.catalog import Catalog, CatalogError, placeholders
from service.words.content_check import sample_values
from service.words.texts import deployment_params


def test_every_text_id_exists_in_english_and_spanish(catalog: Catalog) -> None:
    assert catalog.ids("en") == catalog.ids("es")
    assert set(catalog.keywords("en")) == set(catalog.keywords("es"))


def test_both_languages_use_the_same_placeholders(catalog: Catalog) -> None:
    for message_id in catalog.ids("en"):
        english = placeholders(catalog.template(message_id, "en"))
        assert english == placeholders(catalog.template(message_id, "es")), message_id


def test_every_text_renders_with_the_deployment_values(catalog: Catalog) -> None:
    params = deployment_params(load_settings({}, environ={}))
    for language in ("en", "es"):
        for message_id in catalog.ids(language):
            values = sample_values(catalog, language, params[language])
            rendered = catalog.text(message_id, language, **values)
            assert "{" not in rendered and rendered.strip(), message_id


def test_a_duplicate_id_is_refused(tmp_path: Path) -> None:
    for language in ("en", "es"):
        (tmp_path / language).mkdir()
        (tmp_path / language / "a.yaml").write_text("texts:\n  x: one\n")
        (tmp_path / language / "b.yaml").write_text("texts:\n  x: two\n")
    with pytest.raises(CatalogError, match="defined twice"):
        Catalog.load(tmp_path)


def test_a_bare_yes_key_is_refused_rather_than_read_as_true(tmp_path: Path) -> None:
    for language in ("en", "es"):
        (tmp_path / language).mkdir()
        (tmp_path / language / "a.yaml").write_text("keywords:\n  yes: [YES]\n")
    with pytest.raises(CatalogError, match="not a string"):
        Catalog.load(tmp_path)


def test_a_missing_placeholder_value_is_an_error(catalog: Catalog) -> None:
    with pytest.raises(KeyError):
        catalog.text("enroll.ask_channel", "en", program="x")
