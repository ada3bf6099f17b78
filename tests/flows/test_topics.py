"""Topic answers and MENU: what people really type reaches the right answer, in their language."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from service.domain.conversation import Outcome, Profile, respond
from service.domain.vocabulary import Stage, Status
from service.words.catalog import Catalog, Term
from service.words.keywords import Keywords
from tests.conftest import TwilioPost
from tests.support.sms_helpers import text

TODAY = dt.date(2026, 11, 23)
STRANGER = Profile()
ACTIVE = Profile(status=Status.ACTIVE, stage=Stage.PREGNANT, due_date=dt.date(2027, 3, 1))
ACTIVE_ES = dataclasses.replace(ACTIVE, language="es")
TOPICS = [
    "calcium",
    "vitamin_d",
    "activity",
    "back_pain",
    "breastfeeding",
    "medicines",
    "baby",
    "recovery",
    "tests",
    "smoking",
    "teens",
    "pao",
]


def ids(outcome: Outcome) -> list[str]:
    """The catalog ids of an outcome's replies."""
    return [reply.message_id for reply in outcome.replies]


# (what a person texts, the reply it must reach, the language of that reply)
INBOUND = [
    ("calcium", "topic.calcium", "en"),
    ("CALCIUM", "topic.calcium", "en"),
    ("Calcium?", "topic.calcium", "en"),
    ("what about calcium??", "topic.calcium", "en"),
    ("calcuim", "topic.calcium", "en"),
    ("how much calcim do i need", "topic.calcium", "en"),
    ("Is dairy enough?", "topic.calcium", "en"),
    ("calcio", "topic.calcium", "es"),
    ("¿Cuánto calcio necesito?", "topic.calcium", "es"),
    ("vitamin d", "topic.vitamin_d", "en"),
    ("vitamine d", "topic.vitamin_d", "en"),
    ("VIT D", "topic.vitamin_d", "en"),
    ("do i need vitamins", "topic.vitamin_d", "en"),
    ("Vitamina D?", "topic.vitamin_d", "es"),
    ("can i exercise", "topic.activity", "en"),
    ("is excercise ok while pregnant", "topic.activity", "en"),
    ("Should I stay on bed rest?", "topic.activity", "en"),
    ("¿puedo hacer ejercicio?", "topic.activity", "es"),
    ("back pain", "topic.back_pain", "en"),
    ("is my back pain normal", "topic.back_pain", "en"),
    ("my back hurts", "topic.back_pain", "en"),
    ("backpain", "topic.back_pain", "en"),
    ("dolor de espalda", "topic.back_pain", "es"),
    ("breast feeding", "topic.breastfeeding", "en"),
    ("Breastfeeding!!!", "topic.breastfeeding", "en"),
    ("Is brestfeeding bad for my bones", "topic.breastfeeding", "en"),
    ("lactancia", "topic.breastfeeding", "es"),
    ("¿Puedo dar pecho?", "topic.breastfeeding", "es"),
    ("medicine", "topic.medicines", "en"),
    ("what about medications", "topic.medicines", "en"),
    ("Is Prolia safe?", "topic.medicines", "en"),
    ("medicinas", "topic.medicines", "es"),
    ("baby", "topic.baby", "en"),
    ("will this hurt my baby?", "topic.baby", "en"),
    ("¿Le hace daño a mi bebé?", "topic.baby", "es"),
    ("when will i recover", "topic.recovery", "en"),
    ("will my bones get back to normal", "topic.recovery", "en"),
    ("recuperación", "topic.recovery", "es"),
    ("What tests can I get", "topic.tests", "en"),
    ("bone density test", "topic.tests", "en"),
    ("calcium blood test?", "topic.tests", "en"),
    ("prueba de sangre", "topic.tests", "es"),
    ("I smoke", "topic.smoking", "en"),
    ("how do i quit smoking", "topic.smoking", "en"),
    ("cigarettes", "topic.smoking", "en"),
    ("fumar", "topic.smoking", "es"),
    ("I'm a teen", "topic.teens", "en"),
    ("teenager", "topic.teens", "en"),
    ("adolescentes", "topic.teens", "es"),
    ("what is PAO", "topic.pao", "en"),
    ("PAO?", "topic.pao", "en"),
    ("osteoporosis", "topic.pao", "en"),
    ("osteoperosis", "topic.pao", "en"),
    ("¿Qué es PAO?", "topic.pao", "es"),
    ("menu", "menu.list", "en"),
    ("Menu.", "menu.list", "en"),
    ("AYUDA MENU", "menu.list", "es"),
    ("temas", "menu.list", "es"),
    ("1", "topic.calcium", "en"),
    (" 4 ", "topic.back_pain", "en"),
    ("12", "topic.pao", "en"),
]


@pytest.mark.parametrize(("text", "message_id", "language"), INBOUND)
def test_what_people_type_reaches_the_right_answer(
    keywords: Keywords, text: str, message_id: str, language: str
) -> None:
    outcome = respond(STRANGER, text, TODAY, keywords)
    assert (ids(outcome), outcome.language) == ([message_id], language)
    assert outcome.profile == STRANGER and outcome.escalation is None


def test_the_table_has_at_least_forty_cases() -> None:
    assert len(INBOUND) >= 40


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_answers_in_english_and_spanish(
    catalog: Catalog, keywords: Keywords, topic: str
) -> None:
    for language in ("en", "es"):
        words = [str(w) for w in catalog.keywords(language)[f"topic.{topic}"] if not w.isdigit()]
        for word in words:
            outcome = respond(STRANGER, word, TODAY, keywords)
            assert ids(outcome) == [f"topic.{topic}"], (language, word)
            assert outcome.language == language or word in _both_languages(catalog), word
        assert catalog.text(f"topic.{topic}", language).strip()


def _both_languages(catalog: Catalog) -> set[str]:
    """Keywords spelled the same in English and Spanish (PROLIA, DENOSUMAB)."""
    english = {str(w) for ws in catalog.keywords("en").values() for w in ws}
    return {str(w) for ws in catalog.keywords("es").values() for w in ws} & english


@pytest.mark.parametrize("topic", TOPICS)
def test_each_menu_number_gives_its_topic(keywords: Keywords, topic: str) -> None:
    number = keywords.topics.number_of(topic)
    assert number == str(TOPICS.index(topic) + 1)
    assert ids(respond(ACTIVE, number, TODAY, keywords)) == [f"topic.{topic}"]


def test_the_menu_lists_every_topic_with_its_number(catalog: Catalog, keywords: Keywords) -> None:
    for language in ("en", "es"):
        menu = catalog.text("menu.list", language)
        for topic in TOPICS:
            assert f" {keywords.topics.number_of(topic)} " in menu, (language, topic)


def test_a_subscriber_hears_topics_in_their_own_language(keywords: Keywords) -> None:
    assert respond(ACTIVE_ES, "calcium", TODAY, keywords).language == "es"
    assert respond(ACTIVE, "calcio", TODAY, keywords).language == "en"
    assert respond(ACTIVE_ES, "MENU", TODAY, keywords).language == "es"
    assert respond(ACTIVE_ES, "3", TODAY, keywords).language == "es"


def test_two_topics_at_once_from_a_stranger_asks_which_one_by_menu_number(
    catalog: Catalog, keywords: Keywords
) -> None:
    outcome = respond(Profile(), "calcium or vitamin d?", TODAY, keywords)
    assert ids(outcome) == ["menu.which_one"]
    params = outcome.replies[0].params
    assert params == {
        "first": Term("topic_names", "calcium"),
        "first_number": "1",
        "second": Term("topic_names", "vitamin_d"),
        "second_number": "2",
    }
    words = catalog.text("menu.which_one", "en", **params)
    assert "Reply 1 for calcium" in words and "Reply 2 for vitamin D" in words
    assert ids(respond(Profile(), "2", TODAY, keywords)) == ["topic.vitamin_d"]
    spanish = catalog.text("menu.which_one", "es", **params)
    assert "1 para calcio" in spanish and "2 para vitamina D" in spanish


def test_three_topics_at_once_gets_the_menu(keywords: Keywords) -> None:
    outcome = respond(ACTIVE, "calcium, vitamin d and smoking", TODAY, keywords)
    assert ids(outcome) == ["menu.list"]


def test_a_keyword_inside_a_longer_one_does_not_make_a_tie(keywords: Keywords) -> None:
    assert ids(respond(ACTIVE, "calcium test", TODAY, keywords)) == ["topic.tests"]
    assert ids(respond(ACTIVE, "is breast milk enough", TODAY, keywords)) == ["topic.breastfeeding"]


@pytest.mark.parametrize(
    "text",
    ["I have 2 kids", "my baby is cute", "thanks!", "ok see you", "I was talking to my mom"],
)
def test_passing_numbers_and_short_words_name_no_topic(keywords: Keywords, text: str) -> None:
    assert ids(respond(ACTIVE, text, TODAY, keywords)) == ["fallback.unknown"]


def test_during_enrollment_a_number_answers_the_question_not_the_menu(keywords: Keywords) -> None:
    asking = Profile(status=Status.ENROLLING, enrollment_step="stage")
    outcome = respond(asking, "2", TODAY, keywords)
    assert ids(outcome) == ["enroll.ask_birth_date"]
    channel = Profile(status=Status.ENROLLING, enrollment_step="channel", stage=Stage.PREGNANT)
    assert ids(respond(channel, "5", TODAY, keywords)) == ["enroll.reask_channel"]


def test_a_topic_question_during_enrollment_is_answered_then_asked_again(
    keywords: Keywords,
) -> None:
    asking = Profile(status=Status.ENROLLING, enrollment_step="due_date", stage=Stage.PREGNANT)
    outcome = respond(asking, "what about calcium?", TODAY, keywords)
    assert ids(outcome) == ["topic.calcium", "enroll.unreadable_date"]
    assert outcome.profile == asking
    menu = respond(asking, "MENU", TODAY, keywords)
    assert ids(menu) == ["menu.list", "enroll.unreadable_date"]


def test_menu_then_a_number_through_the_webhook(twilio_post: TwilioPost) -> None:
    menu = text(twilio_post, "MENU")[0]
    assert "1 Calcium." in menu and "12 Weak bones in pregnancy." in menu
    assert "1,000 milligrams" in text(twilio_post, "1")[0]
    which = text(twilio_post, "calcium or vitamin d?")[0]
    assert which == "Which one do you mean? Reply 1 for calcium. Reply 2 for vitamin D."
    assert "vitamin D" in text(twilio_post, "2")[0]
    assert "lactancia" not in text(twilio_post, "lactancia")[0]
    assert "da pecho" in text(twilio_post, "lactancia")[0]
