"""`boneline content check`: the shipped catalog passes; each broken rule is caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import textstat
import yaml
from click.testing import CliRunner

from messages import CATALOG_DIR
from service.config import load_settings
from service.tools.cli import main
from service.words.catalog import Catalog
from service.words.content_check import check_catalog, segment_budget
from service.words.texts import deployment_params

DEFAULTS = deployment_params(load_settings({"DATABASE_URL": "sqlite://"}, environ={}))


def copy_catalog(tmp_path: Path) -> Path:
    """A private copy of the shipped catalog to break."""
    target = tmp_path / "messages"
    for language in ("en", "es"):
        shutil.copytree(CATALOG_DIR / language, target / language)
    return target


def set_text(folder: Path, language: str, message_id: str, text: str | None) -> None:
    """Change (or, with None, delete) one text in whichever file of the copy holds it."""
    for path in sorted((folder / language).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts = data.get("texts") or {}
        if message_id in texts or (path.name == "topics.yaml" and text is not None):
            if text is None:
                del texts[message_id]
            else:
                texts[message_id] = text
            data["texts"] = texts
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            return
    raise AssertionError(f"{message_id} not found")


def problems_after(tmp_path: Path, language: str, message_id: str, text: str | None) -> list[str]:
    """The problems the checker finds once one text is changed."""
    folder = copy_catalog(tmp_path)
    set_text(folder, language, message_id, text)
    return check_catalog(Catalog.load(folder), DEFAULTS).problems


def test_the_shipped_catalog_passes_every_rule(catalog: Catalog) -> None:
    report = check_catalog(catalog, DEFAULTS)
    assert report.problems == []
    measured = {(row.message_id, row.language) for row in report.rows}
    assert {(mid, lang) for lang in ("en", "es") for mid in catalog.ids(lang)} <= measured


def test_the_command_prints_the_table_and_passes_on_the_shipped_catalog() -> None:
    result = CliRunner().invoke(main, ["content", "check"])
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split()
    assert header == ["id", "lang", "chars", "encoding", "segments", "score", "result"]
    assert "enroll.confirm" in result.output and "topic.calcium" in result.output
    assert "0 problems" in result.output


def test_the_command_fails_on_a_broken_catalog(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    set_text(folder, "en", "topic.calcium", "Take your calcium \u2014 it matters.")
    result = CliRunner().invoke(main, ["content", "check", "--catalog", str(folder)])
    assert result.exit_code == 1
    assert "topic.calcium [en]: characters that force UCS-2 in English: U+2014" in result.output


def test_the_command_refuses_an_unreadable_catalog(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    (folder / "es" / "core.yaml").write_text("texts: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["content", "check", "--catalog", str(folder)])
    assert result.exit_code == 1 and "cannot be read" in result.output


def test_a_reply_over_two_segments_fails(tmp_path: Path) -> None:
    long_text = "Eat well. " * 31
    problems = problems_after(tmp_path, "en", "topic.teens", long_text)
    assert "topic.teens [en]: 3 segments (GSM-7); the limit is 2" in problems


def test_spanish_accents_are_measured_as_sent_without_the_ones_outside_gsm7(
    tmp_path: Path,
) -> None:
    # 154 characters: as written "í" would make it UCS-2 (three of 67); it is sent as "i".
    text = "Tome calcio cada día. " * 7
    assert problems_after(tmp_path, "es", "topic.teens", text) == []


def test_a_spanish_text_that_needs_ucs2_anyway_is_counted_at_70_per_segment(
    tmp_path: Path,
) -> None:
    # An emoji keeps the whole text UCS-2 (and its accents): three segments of 67.
    text = "Tome calcio cada día 🥛. " * 7
    problems = problems_after(tmp_path, "es", "topic.teens", text)
    assert "topic.teens [es]: 3 segments (UCS-2); the limit is 2" in problems


def test_reminders_and_checkins_get_one_segment_and_voice_none() -> None:
    assert segment_budget("reminder.calcium.1") == 1
    assert segment_budget("checkin.back_pain") == 1
    assert segment_budget("voice.menu") is None
    assert segment_budget("topic.calcium") == 2


def test_a_two_segment_reminder_fails(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    text = "Take your calcium with dinner today. " * 5
    set_text(folder, "en", "reminder.test", text)
    set_text(folder, "es", "reminder.test", "Tome su calcio hoy.")
    problems = check_catalog(Catalog.load(folder), DEFAULTS).problems
    assert "reminder.test [en]: 2 segments (GSM-7); the limit is 1" in problems


def test_a_long_voice_text_has_no_segment_limit(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    set_text(folder, "en", "voice.test", "Press 1 to hear about calcium. " * 12)
    set_text(folder, "es", "voice.test", "Oprima 1 para saber del calcio. " * 12)
    assert check_catalog(Catalog.load(folder), DEFAULTS).problems == []


def test_hard_english_fails_the_reading_grade(tmp_path: Path) -> None:
    hard = "Pharmacological intervention necessitates comprehensive multidisciplinary evaluation."
    problems = problems_after(tmp_path, "en", "topic.tests", hard)
    assert any(p.startswith("topic.tests [en]: reading score") for p in problems)


def test_hard_spanish_fails_the_fernandez_huerta_score(tmp_path: Path) -> None:
    hard = "La intervencion farmacologica necesita evaluaciones multidisciplinarias exhaustivas."
    problems = problems_after(tmp_path, "es", "topic.tests", hard)
    assert any("Fernandez-Huerta below 80" in p for p in problems)


def test_an_id_missing_in_one_language_fails(tmp_path: Path) -> None:
    problems = problems_after(tmp_path, "es", "topic.smoking", None)
    assert "topic.smoking: no es text" in problems


@pytest.mark.parametrize(
    ("message_id", "language", "old", "item"),
    [
        ("enroll.confirm", "en", "Msg & data rates may apply.", "Msg & data rates may apply"),
        ("enroll.confirm", "es", "Responda PARAR para parar.", "PARAR"),
        ("optin.welcome_back", "en", "{organization}", "who sends it"),
        ("help.reply", "en", "Not medical advice.", "not medical advice"),
        ("help.reply", "es", "{support}", "support contact"),
    ],
)
def test_a_disclosure_or_help_text_without_a_required_item_fails(
    tmp_path: Path, catalog: Catalog, message_id: str, language: str, old: str, item: str
) -> None:
    template = catalog.template(message_id, language)
    assert old in template
    stripped = template.replace(old, "")
    problems = problems_after(tmp_path, language, message_id, stripped)
    assert f"{message_id} [{language}]: missing required item: {item}" in problems


def test_a_placeholder_in_one_language_only_fails(tmp_path: Path, catalog: Catalog) -> None:
    text = catalog.template("optout.confirm", "es").replace("{program}", "BoneLine")
    problems = problems_after(tmp_path, "es", "optout.confirm", text)
    assert "optout.confirm: placeholders differ: en ['program'], es []" in problems


def test_a_placeholder_nobody_fills_fails(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    set_text(folder, "en", "topic.teens", "Hi {nickname}. Get calcium every day.")
    set_text(folder, "es", "topic.teens", "Hola {nickname}. Tome calcio cada dia.")
    problems = check_catalog(Catalog.load(folder), DEFAULTS).problems
    assert "topic.teens [en]: no value is known for {nickname}" in problems


def test_checking_leaves_textstats_shared_language_alone(catalog: Catalog) -> None:
    before = textstat.flesch_kincaid_grade("The cat sat on the mat. It was happy there.")
    check_catalog(catalog, DEFAULTS)
    after = textstat.flesch_kincaid_grade("The cat sat on the mat. It was happy there.")
    assert before == after


def test_a_topics_texts_are_also_scored_together(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    set_text(folder, "en", "fallback.calcium.1", "Take your calcium with dinner.")
    set_text(folder, "es", "fallback.calcium.1", "Tome su calcio con la cena.")
    report = check_catalog(Catalog.load(folder), DEFAULTS)
    pooled = {row.language for row in report.rows if row.message_id.startswith("*calcium* (")}
    assert pooled == {"en", "es"}
    assert report.problems == []


def test_a_reminder_without_its_voice_version_fails(tmp_path: Path) -> None:
    problems = problems_after(tmp_path, "es", "voice.reminder.calcium.greens", None)
    assert "reminder.calcium.greens: no es voice text 'voice.reminder.calcium.greens'" in problems


def test_fewer_than_40_distinct_reminder_texts_fail(tmp_path: Path) -> None:
    folder = copy_catalog(tmp_path)
    reminders = sorted(i for i in Catalog.load(folder).ids("en") if i.startswith("reminder."))
    for message_id in reminders[:20]:
        for language in ("en", "es"):
            set_text(folder, language, message_id, None)
            set_text(folder, language, f"voice.{message_id}", None)
    report = check_catalog(Catalog.load(folder), DEFAULTS)
    assert report.reminder_texts == {"en": len(reminders) - 20, "es": len(reminders) - 20}
    assert f"en: {len(reminders) - 20} distinct reminder texts; at least 40 are needed" in (
        report.problems
    )


def test_an_accent_is_measured_as_sent_and_a_character_outside_gsm7_fails(
    tmp_path: Path,
) -> None:
    folder = copy_catalog(tmp_path)
    # á í ó ú are sent without their accent: 150 letters stay one GSM-7 segment.
    set_text(folder, "es", "reminder.calcium.chia", "{program}: " + "Sí, ácido. " * 13)
    set_text(folder, "es", "reminder.calcium.snack", "{program}: Coma calcio hoy. ✓")
    problems = check_catalog(Catalog.load(folder), DEFAULTS).problems
    assert not [p for p in problems if p.startswith("reminder.calcium.chia [es]: sent as")]
    assert "reminder.calcium.snack [es]: sent as UCS-2, not GSM-7: U+2713" in problems


def test_a_spanish_text_showing_the_english_default_name_fails(catalog: Catalog) -> None:
    settings = load_settings(
        {"DATABASE_URL": "sqlite://", "ORGANIZATION_NAME_ES": "your clinic"}, environ={}
    )
    problems = check_catalog(catalog, deployment_params(settings, catalog)).problems
    assert problems == [
        "setting {organization} [es]: shows the English words 'your clinic'; set it for es"
    ]


def test_each_language_shows_its_own_names_and_defaults() -> None:
    plain = deployment_params(load_settings({}, environ={}))
    assert plain["en"]["organization"] == "your clinic"
    assert plain["es"]["organization"] == "su clínica"
    assert plain["es"]["support"] == "su clínica"
    named = load_settings(
        {"ORGANIZATION_NAME": "Mercy Clinic", "ORGANIZATION_NAME_ES": "Clínica Mercy"},
        environ={},
    )
    params = deployment_params(named)
    assert (params["en"]["organization"], params["es"]["organization"]) == (
        "Mercy Clinic",
        "Clínica Mercy",
    )
    assert (
        deployment_params(load_settings({"SUPPORT_CONTACT": "555-0100"}, environ={}))["es"][
            "support"
        ]
        == "555-0100"
    )
