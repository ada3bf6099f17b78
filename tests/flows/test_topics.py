"""Topic answers and MENU: what people write reaches the right answer, in their language."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from service.domain.conversation import Outcome, Profile, respond
from service.understanding import ReadingKind, Understanding
from service.vocabulary import PendingQuestion, Stage, Status
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


def topic_reading(topic: str, language: str | None) -> Understanding:
    """How the understanding layer reads a question it is sure is about `topic`."""
    return Understanding(ReadingKind.TOPIC, f"topic.{topic}", 0.9, "none", 0.05, None, language)


# Read by the real model (its accuracy is measured on the held-out corpus in
# tests/understanding): (what a person texts, the answer it must reach).
QUESTIONS = [
    ("can I still go swimming", "topic.activity"),
    ("how much calcium do I need", "topic.calcium"),
    ("Is Prolia safe?", "topic.medicines"),
    ("how do i quit smoking", "topic.smoking"),
    ("¿Cuánto calcio necesito?", "topic.calcium"),
    ("¿puedo hacer ejercicio?", "topic.activity"),
    ("¿Qué es PAO?", "topic.pao"),
    ("tomo vitamina d?", "topic.vitamin_d"),
]


@pytest.mark.parametrize(("body", "message_id"), QUESTIONS)
def test_questions_people_write_reach_the_right_answer(
    keywords: Keywords, body: str, message_id: str
) -> None:
    outcome = respond(ACTIVE, body, TODAY, keywords)
    assert ids(outcome) == [message_id]
    assert outcome.profile == ACTIVE and outcome.escalation is None


@pytest.mark.parametrize(
    ("language", "body"), [("en", "can I still go swimming"), ("es", "¿puedo hacer ejercicio?")]
)
def test_a_strangers_question_is_answered_with_one_line_on_how_to_join(
    keywords: Keywords, catalog: Catalog, language: str, body: str
) -> None:
    outcome = respond(STRANGER, body, TODAY, keywords)
    assert ids(outcome) == ["topic.activity", "join.hint"]
    assert outcome.language == language and outcome.profile == STRANGER
    assert ("JOIN" if language == "en" else "UNIRSE") in catalog.text("join.hint", language)


@pytest.mark.parametrize(
    "body", ["what can I ask", "que puedo preguntar", "menu", "Menu.", "AYUDA MENU", "temas"]
)
def test_asking_for_the_menu_in_any_words_lists_the_topics(keywords: Keywords, body: str) -> None:
    outcome = respond(ACTIVE, body, TODAY, keywords)
    assert ids(outcome) == ["menu.list"]
    assert outcome.profile.pending is PendingQuestion.MENU


def test_a_subscriber_hears_topics_in_their_own_language(keywords: Keywords) -> None:
    assert respond(ACTIVE_ES, "x", TODAY, keywords, topic_reading("calcium", "en")).language == "es"
    assert respond(ACTIVE, "x", TODAY, keywords, topic_reading("calcium", "es")).language == "en"
    assert respond(ACTIVE_ES, "MENU", TODAY, keywords).language == "es"
    assert respond(ACTIVE_ES, "3", TODAY, keywords).language == "es"


def test_a_stranger_hears_a_topic_in_the_language_they_wrote(keywords: Keywords) -> None:
    outcome = respond(STRANGER, "x", TODAY, keywords, topic_reading("calcium", "es"))
    assert outcome.language == "es"


def test_the_menu_lists_every_topic_with_its_number(catalog: Catalog, keywords: Keywords) -> None:
    for language in ("en", "es"):
        menu = catalog.text("menu.list", language)
        for topic in TOPICS:
            assert f" {keywords.topic_number(topic)} " in menu, (language, topic)


@pytest.mark.parametrize("topic", TOPICS)
def test_each_menu_number_gives_its_topic(keywords: Keywords, topic: str) -> None:
    number = keywords.topic_number(topic)
    assert number == str(TOPICS.index(topic) + 1)
    assert ids(respond(ACTIVE, number, TODAY, keywords)) == [f"topic.{topic}"]
    assert ids(respond(STRANGER, number, TODAY, keywords)) == [f"topic.{topic}"]


def test_two_topics_from_a_stranger_asks_which_one_by_menu_number(
    catalog: Catalog, keywords: Keywords
) -> None:
    unsure = Understanding(
        ReadingKind.UNSURE_TOPIC, "topic.calcium", 0.4, "topic.vitamin_d", 0.3, None, "en"
    )
    outcome = respond(STRANGER, "calcium vitamin", TODAY, keywords, unsure)
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
    assert ids(respond(STRANGER, "2", TODAY, keywords)) == ["topic.vitamin_d"]
    spanish = catalog.text("menu.which_one", "es", **params)
    assert "1 para calcio" in spanish and "2 para vitamina D" in spanish


@pytest.mark.parametrize("body", ["asdfgh", "zzzz", "my baby is cute"])
def test_unknown_text_gets_a_helpful_reply_never_silence(keywords: Keywords, body: str) -> None:
    outcome = respond(ACTIVE, body, TODAY, keywords)
    assert outcome.replies and outcome.escalation is None
    assert ids(respond(STRANGER, body, TODAY, keywords))[-1] in (
        "fallback.not_subscribed",
        "join.hint",
    )


def test_thanks_and_hello_get_a_word_back(keywords: Keywords) -> None:
    thanks = Understanding(ReadingKind.CHAT, "chat.thanks", 0.9, None, 0.0, None, "en")
    hello = Understanding(ReadingKind.CHAT, "chat.greeting", 0.9, None, 0.0, None, "es")
    assert ids(respond(ACTIVE, "thanks!", TODAY, keywords, thanks)) == ["chat.thanks"]
    assert ids(respond(ACTIVE, "hola", TODAY, keywords, hello)) == ["chat.greeting"]
    assert ids(respond(STRANGER, "hola", TODAY, keywords, hello)) == ["fallback.not_subscribed"]


def test_asking_to_sign_up_in_words_starts_enrollment(keywords: Keywords) -> None:
    join = Understanding(ReadingKind.COMMAND, "command.join", 0.9, None, 0.0, None, "es")
    outcome = respond(STRANGER, "como me inscribo", TODAY, keywords, join)
    assert outcome.profile.status is Status.ENROLLING and outcome.profile.language == "es"
    assert ids(respond(ACTIVE, "how do I sign up", TODAY, keywords, join)) == [
        "enroll.already_active"
    ]


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
    assert "vitamin D" in text(twilio_post, "2")[0]
    # A stranger writing Spanish hears back in Spanish.
    assert "calcio" in text(twilio_post, "¿Cuánto calcio necesito?")[0]


@pytest.mark.parametrize(
    ("language", "body", "topic"),
    [("en", "can I still go swimming", "activity"), ("es", "¿Qué es PAO?", "pao")],
)
def test_a_strangers_question_through_the_webhook_gets_the_answer_and_how_to_join(
    twilio_post: TwilioPost, catalog: Catalog, language: str, body: str, topic: str
) -> None:
    answer = text(twilio_post, body)
    assert answer == [
        catalog.text(f"topic.{topic}", language),
        catalog.text("join.hint", language),
    ]
