"""The one triage table and its texts: every family, both languages, one instruction per fact."""

from __future__ import annotations

import re

import pytest

from service.config import load_settings
from service.understanding import SAFETY_TABLE, SafetyFamily, Urgency
from service.understanding.corpus import TRAIN, read_split
from service.understanding.text import normalize
from service.understanding.triage import can_alarm, not_a_report, resolved
from service.words.catalog import LANGUAGES, default_catalog
from service.words.texts import Texts

TEXTS = Texts.from_settings(load_settings({"DATABASE_URL": "sqlite://"}, environ={}))
FAMILY_TEXTS = [
    (family, language, message_id)
    for family, rule in SAFETY_TABLE.items()
    for language in LANGUAGES
    for message_id in (rule.reply_id, rule.voice_id, rule.check_id)
]


def test_the_table_has_every_family_of_the_corpus() -> None:
    corpus_families = {
        example.label.removeprefix("safety.")
        for example in read_split(TRAIN)
        if example.label.startswith("safety.")
    }
    assert {family.value for family in SAFETY_TABLE} == corpus_families == set(SafetyFamily)
    assert all(rule.family is family for family, rule in SAFETY_TABLE.items())


def test_every_warning_sign_alerts_the_care_team() -> None:
    assert all(rule.alert for rule in SAFETY_TABLE.values())


@pytest.mark.parametrize(("family", "language", "message_id"), FAMILY_TEXTS)
def test_every_family_has_its_three_texts_in_both_languages(
    family: SafetyFamily, language: str, message_id: str
) -> None:
    assert message_id in default_catalog().ids(language)
    assert TEXTS.render(message_id, language)


@pytest.mark.parametrize(
    "family", [f for f, r in SAFETY_TABLE.items() if r.urgency is Urgency.CALL_911]
)
def test_a_911_family_says_call_911_first(family: SafetyFamily) -> None:
    rule = SAFETY_TABLE[family]
    for language in LANGUAGES:
        for message_id in (rule.reply_id, rule.voice_id):
            assert "911" in TEXTS.render(message_id, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["reply_id", "voice_id", "check_id"])
def test_self_harm_texts_give_both_crisis_lines(language: str, kind: str) -> None:
    message_id = getattr(SAFETY_TABLE[SafetyFamily.SELF_HARM], kind)
    spoken = kind == "voice_id"
    words = TEXTS.render(message_id, language)
    assert ("9 8 8" if spoken else "988") in words
    assert ("1, 8 3 3, 8 5 2, 6 2 6 2" if spoken else "1-833-852-6262") in words
    assert "911" in words


def test_a_clinic_can_set_its_own_crisis_lines() -> None:
    settings = load_settings(
        {"DATABASE_URL": "sqlite://"},
        environ={"CRISIS_LINE": "555-0100", "MATERNAL_MENTAL_HEALTH_LINE": "1-800-555-0199"},
    )
    words = Texts.from_settings(settings).render("safety.self_harm", "en")
    spoken = Texts.from_settings(settings).render("voice.safety.self_harm", "es")
    assert "555-0100" in words and "1-800-555-0199" in words
    assert "5 5 5, 0 1 0 0" in spoken and "1, 8 0 0, 5 5 5, 0 1 9 9" in spoken


# Falls and broken bones: one rule everywhere (shared-rules.md).
FALL_RULE = {
    "en": "call 911 if you cannot move or stand, the pain is severe, or a bone looks out of place",
    "es": "llame al 911 si no se puede mover ni pararse, si el dolor es muy fuerte o si un hueso "
    "se ve fuera de lugar",
}
OTHERWISE = {"en": "call your care team today", "es": "llame a su equipo de salud hoy"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("family", [SafetyFamily.FALL, SafetyFamily.FRACTURE])
@pytest.mark.parametrize("kind", ["reply_id", "voice_id", "check_id"])
def test_a_fall_and_a_broken_bone_get_the_same_instruction(
    language: str, family: SafetyFamily, kind: str
) -> None:
    words = " ".join(TEXTS.render(getattr(SAFETY_TABLE[family], kind), language).split())
    assert FALL_RULE[language] in words
    assert OTHERWISE[language] in words.lower()


@pytest.mark.parametrize(("family", "language", "message_id"), FAMILY_TEXTS)
def test_texts_name_the_care_team_never_a_provider(
    family: SafetyFamily, language: str, message_id: str
) -> None:
    words = TEXTS.render(message_id, language).lower()
    assert not re.search(r"provider|proveedor|doctor|médico|medico|midwife|partera", words)


@pytest.mark.parametrize(
    ("message", "cued"),
    [
        ("is it normal to bleed after birth?", True),
        ("which medicines could hurt my baby", True),
        ("no back pain", True),
        ("my back is fine now", True),
        ("i cant breathe lol", True),
        ("ya no me duele", True),
        ("I am bleeding a lot", False),
        ("no puedo respirar", False),
        ("el bebe ya no se mueve", False),
        ("la fiebre no me baja", False),
        ("I can't walk", False),
    ],
)
def test_not_a_report_cues(message: str, cued: bool) -> None:
    assert not_a_report(normalize(message)) is cued


@pytest.mark.parametrize(
    ("message", "gone"),
    [
        ("my back is fine now", True),
        ("ya no me duele la espalda", True),
        ("it doesn't hurt anymore", True),
        ("im okay now thanks", True),
        ("my back was fine but now i cant move", False),
        ("ya no me duele pero ahora sangro mucho", False),
        ("i dont want to live anymore", False),
    ],
)
def test_a_resolved_complaint_is_never_an_alarm(message: str, gone: bool) -> None:
    assert resolved(normalize(message)) is gone
    assert can_alarm(SafetyFamily.BACK_PAIN, normalize(message), None) is not gone
