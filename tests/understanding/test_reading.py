"""`understand` on the phrases issue 12 lists, in both languages, as plain function calls."""

from __future__ import annotations

import pytest

from service.understanding import Model, ReadingKind, SafetyFamily, Understanding, understand
from service.vocabulary import Stage

SAFETY_KINDS = (ReadingKind.SAFETY, ReadingKind.SAFETY_CHECK)


def read(model: Model, message: str, stage: Stage | None = None) -> Understanding:
    """Read one message with the session's model."""
    return understand(message, stage=stage, model=model)


@pytest.mark.parametrize(
    ("message", "label", "language"),
    [
        ("STOP", "command.stop", None),
        ("stop", "command.stop", None),
        ("Unsubscribe", "command.stop", None),
        ("PARAR", "command.stop", "es"),
        ("basta", "command.stop", "es"),
        ("stop texting me", "command.stop", "en"),
        ("no me manden mas", "command.stop", "es"),
        ("START", "command.start", None),
        ("EMPEZAR", "command.start", "es"),
        ("HELP", "command.help", None),
        ("ayuda", "command.help", "es"),
    ],
)
def test_compliance_words_are_exact_and_first(
    model: Model, message: str, label: str, language: str | None
) -> None:
    reading = read(model, message)
    assert (reading.kind, reading.label, reading.confidence) == (
        ReadingKind.COMPLIANCE,
        label,
        1.0,
    )
    assert reading.language == language


def test_a_shared_compliance_word_keeps_the_persons_language(model: Model) -> None:
    assert understand("STOP", language="es", model=model).language == "es"
    assert understand("STOP", language="en", model=model).language == "en"


def test_a_shared_answer_word_keeps_the_persons_language(model: Model) -> None:
    assert understand("OK", language="es", model=model).language == "es"
    assert understand("OK", language="en", model=model).language == "en"
    assert understand("SI", language="en", model=model).language == "es"


def test_stop_inside_a_sentence_is_not_an_opt_out(model: Model) -> None:
    assert read(model, "my back pain wont stop").kind is not ReadingKind.COMPLIANCE


@pytest.mark.parametrize("message", ["1", "2", " 3 ", "12", "", "   ", "?!"])
def test_digits_and_empty_texts_are_left_to_the_question_asked(model: Model, message: str) -> None:
    assert read(model, message).kind is ReadingKind.UNCLEAR


@pytest.mark.parametrize(
    ("message", "label"),
    [("👍", "answer.yes"), ("👎", "answer.no"), ("👍🏽", "answer.yes"), ("yes", "answer.yes")],
)
def test_thumbs_answer_yes_or_no(model: Model, message: str, label: str) -> None:
    reading = read(model, message)
    assert (reading.kind, reading.label) == (ReadingKind.ANSWER, label)


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("can I still go swimming", "topic.activity"),
        ("calcium", "topic.calcium"),
        ("how much vitamin d should i take", "topic.vitamin_d"),
        ("I heard some meds might hurt my baby", "topic.medicines"),
        ("which medicines could hurt my baby", "topic.medicines"),
        ("my nipples are bleeding", "topic.breastfeeding"),
        ("pecho", "topic.breastfeeding"),
        ("le doy pecho a mi bebe, pierdo calcio?", "topic.breastfeeding"),
        ("cuanto calcio necesito al dia", "topic.calcium"),
        ("puedo fumar si estoy embarazada", "topic.smoking"),
    ],
)
def test_questions_get_their_topic(model: Model, message: str, topic: str) -> None:
    reading = read(model, message)
    assert reading.kind in (ReadingKind.TOPIC, ReadingKind.UNSURE_TOPIC)
    assert reading.label == topic


@pytest.mark.parametrize(
    "message",
    [
        "I heard some meds might hurt my baby",
        "which medicines could hurt my baby",
        "I fell asleep",
        "i fell asleep on the couch lol",
        "my nipples are bleeding",
        "sangrado normal despues del parto",
        "pecho",
        "se me rompió el teléfono",
        "se me rompió la pantalla del celular",
        "my phone broke",
        "no back pain",
        "my back is fine now",
        "ya no me duele la espalda",
        "me quede dormida",
    ],
)
def test_look_alikes_raise_no_alarm(model: Model, message: str) -> None:
    assert read(model, message).kind is not ReadingKind.SAFETY


@pytest.mark.parametrize(
    ("message", "family"),
    [
        ("I can't walk, my back hurts so bad", SafetyFamily.BACK_PAIN),
        ("my back pain is terrible", SafetyFamily.BACK_PAIN),
        ("me duele la espalda horrible y no puedo caminar", SafetyFamily.BACK_PAIN),
        ("I fell down the stairs", SafetyFamily.FALL),
        ("me caí en la regadera", SafetyFamily.FALL),
        ("se me rompió la pierna", SafetyFamily.FRACTURE),
        ("i think i broke my wrist", SafetyFamily.FRACTURE),
        ("me duele el pecho", SafetyFamily.CHEST_PAIN),
        ("I can't breathe", SafetyFamily.BREATHING),
        ("no puedo respirar", SafetyFamily.BREATHING),
        ("she is having a seizure", SafetyFamily.SEIZURE),
        ("I passed out in the kitchen", SafetyFamily.FAINTING),
        ("me desmayé", SafetyFamily.FAINTING),
        ("worst headache of my life and my vision is blurry", SafetyFamily.HEADACHE_VISION),
        ("veo lucecitas y me duele mucho la cabeza", SafetyFamily.HEADACHE_VISION),
        ("soaking a pad every hour", SafetyFamily.BLEEDING),
        ("empapé una toalla en una hora", SafetyFamily.BLEEDING),
        ("my water broke", SafetyFamily.FLUID_LEAK),
        ("se me rompió la fuente", SafetyFamily.FLUID_LEAK),
        ("having contractions every 5 min and im 32 weeks", SafetyFamily.CONTRACTIONS),
        ("tengo contracciones cada 5 minutos", SafetyFamily.CONTRACTIONS),
        ("the baby hasnt moved all day", SafetyFamily.BABY_MOVEMENT),
        ("el bebé no se mueve desde ayer", SafetyFamily.BABY_MOVEMENT),
        ("I want to kill myself", SafetyFamily.SELF_HARM),
        ("sometimes i think about hurting my baby", SafetyFamily.SELF_HARM),
        ("no quiero vivir", SafetyFamily.SELF_HARM),
        ("tengo ganas de desaparecer para siempre", SafetyFamily.SELF_HARM),
        ("fever of 102 and chills", SafetyFamily.FEVER),
        ("tengo fiebre de 39", SafetyFamily.FEVER),
        ("my face and hands swelled up all of a sudden", SafetyFamily.SWELLING),
        ("i cant keep anything down, throwing up all day", SafetyFamily.VOMITING),
        ("severe stomach pain that wont go away", SafetyFamily.BELLY_PAIN),
        ("my left calf is swollen red and hot", SafetyFamily.LEG_CLOT),
        ("so exhausted i cant function or take care of the baby", SafetyFamily.EXHAUSTION),
    ],
)
def test_warning_signs_get_their_family(model: Model, message: str, family: SafetyFamily) -> None:
    reading = read(model, message, Stage.PREGNANT)
    assert reading.kind in SAFETY_KINDS
    assert reading.safety is not None
    assert reading.safety.family is family
    assert reading.label == family.label


@pytest.mark.parametrize(
    "message", ["I can't walk", "no puedo caminar", "I can't breathe", "me duele el pecho"]
)
def test_short_reports_get_a_safety_reply(model: Model, message: str) -> None:
    assert read(model, message).kind in SAFETY_KINDS


def test_bleeding_while_pregnant_is_an_alarm(model: Model) -> None:
    assert read(model, "I am bleeding", Stage.PREGNANT).kind is ReadingKind.SAFETY


def test_bleeding_after_birth_is_an_alarm_only_with_an_amount(model: Model) -> None:
    some = read(model, "I am bleeding", Stage.POSTPARTUM)
    heavy = read(model, "bleeding through a pad every hour", Stage.POSTPARTUM)
    spanish = read(model, "estoy sangrando mucho, empapo la toalla", Stage.POSTPARTUM)
    assert some.kind is ReadingKind.SAFETY_CHECK
    assert heavy.kind is ReadingKind.SAFETY
    assert spanish.kind is ReadingKind.SAFETY


@pytest.mark.parametrize(
    "message",
    ["having contractions every 5 minutes", "my water broke", "the baby is not moving much"],
)
def test_pregnancy_signs_after_birth_are_a_check_not_an_alarm(model: Model, message: str) -> None:
    assert read(model, message, Stage.PREGNANT).kind is ReadingKind.SAFETY
    assert read(model, message, Stage.POSTPARTUM).kind is ReadingKind.SAFETY_CHECK


def test_a_check_names_its_rule_and_the_runner_up(model: Model) -> None:
    reading = read(model, "I am bleeding", Stage.POSTPARTUM)
    assert reading.safety is not None
    assert reading.safety.check_id == "safety_check.bleeding"
    assert reading.runner_up is not None


def test_an_unsure_topic_offers_two_topics(model: Model) -> None:
    reading = read(model, "bones")
    if reading.kind is ReadingKind.UNSURE_TOPIC:
        assert reading.label.startswith("topic.")
        assert reading.runner_up is not None
        assert reading.runner_up.startswith("topic.")
    else:
        assert reading.kind in (ReadingKind.TOPIC, ReadingKind.UNCLEAR)


@pytest.mark.parametrize(
    ("message", "kind", "label"),
    [
        ("MENU", ReadingKind.COMMAND, "command.menu"),
        ("JOIN", ReadingKind.COMMAND, "command.join"),
        ("UNIRSE", ReadingKind.COMMAND, "command.join"),
        ("how do i sign up for this", ReadingKind.COMMAND, "command.join"),
        ("I had my baby yesterday!", ReadingKind.LIFE, "life.born"),
        ("ya nació mi bebé", ReadingKind.LIFE, "life.born"),
        ("can you call me instead of texting", ReadingKind.CHANGE, "change.calls"),
        ("hola buenos dias", ReadingKind.CHAT, "chat.greeting"),
        ("thank you so much", ReadingKind.CHAT, "chat.thanks"),
        ("asdf qwerty", ReadingKind.UNCLEAR, "none"),
    ],
)
def test_other_kinds(model: Model, message: str, kind: ReadingKind, label: str) -> None:
    reading = read(model, message)
    assert (reading.kind, reading.label) == (kind, label)


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("how much calcium do i need", "en"),
        ("cuanto calcio necesito", "es"),
        ("me duele la espalda", "es"),
        ("ok", None),
    ],
)
def test_language_is_given_only_when_clear(
    model: Model, message: str, language: str | None
) -> None:
    assert read(model, message).language == language


@pytest.mark.parametrize(
    ("message", "family"),
    [
        ("I have severe back pain", SafetyFamily.BACK_PAIN),
        ("severe back pain", SafetyFamily.BACK_PAIN),
        ("my back hurts so bad i cant walk", SafetyFamily.BACK_PAIN),
        ("me duele la espalda muy fuerte", SafetyFamily.BACK_PAIN),
        ("dolor de espalda insoportable", SafetyFamily.BACK_PAIN),
        ("worst headache of my life", SafetyFamily.HEADACHE_VISION),
        ("my stomach hurts so bad", SafetyFamily.BELLY_PAIN),
    ],
)
def test_pain_said_to_be_severe_in_a_named_place_is_an_alarm(
    model: Model, message: str, family: SafetyFamily
) -> None:
    reading = read(model, message, Stage.PREGNANT)
    assert reading.kind is ReadingKind.SAFETY
    assert reading.safety is not None and reading.safety.family is family


@pytest.mark.parametrize(
    "message",
    [
        "is severe back pain normal?",
        "my back was terrible yesterday but fine now",
        "no severe back pain, just tired",
        "¿es normal un dolor de espalda muy fuerte?",
    ],
)
def test_severe_pain_asked_about_denied_or_gone_is_no_alarm(model: Model, message: str) -> None:
    assert read(model, message, Stage.PREGNANT).kind is not ReadingKind.SAFETY


@pytest.mark.parametrize(("message", "language"), [("quiero morir", "es"), ("I want to die", "en")])
def test_short_reports_carry_their_language(model: Model, message: str, language: str) -> None:
    assert read(model, message).language == language
