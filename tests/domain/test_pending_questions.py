"""Replies bound to the question asked: a bare "1" or "YES" means what our last question offered."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from service.domain.conversation import CHECKIN_BACK_PAIN, Outcome, Profile, respond
from service.understanding import ReadingKind, Understanding
from service.vocabulary import ConsentAction, PendingQuestion, Stage, Status
from service.words.keywords import Keywords

TODAY = dt.date(2027, 3, 10)
ACTIVE = Profile(status=Status.ACTIVE, stage=Stage.POSTPARTUM, birth_date=dt.date(2027, 3, 1))
CHECKED_IN = dataclasses.replace(ACTIVE, pending=PendingQuestion.CHECKIN)


def ids(outcome: Outcome) -> list[str]:
    """The catalog ids of an outcome's replies."""
    return [reply.message_id for reply in outcome.replies]


@pytest.mark.parametrize(("menu", "number"), [("MENU", "1"), ("temas", "1"), ("menu", "1.")])
def test_menu_after_a_check_in_makes_one_mean_calcium_not_back_pain(
    keywords: Keywords, menu: str, number: str
) -> None:
    listed = respond(CHECKED_IN, menu, TODAY, keywords)
    assert ids(listed) == ["menu.list"]
    assert listed.profile.pending is PendingQuestion.MENU
    answered = respond(listed.profile, number, TODAY, keywords)
    assert ids(answered) == ["topic.calcium"]
    assert answered.escalation is None
    assert answered.profile.pending is None


def test_a_check_in_replaces_the_menu_so_yes_answers_it(keywords: Keywords) -> None:
    listed = respond(ACTIVE, "MENU", TODAY, keywords).profile
    checked_in = dataclasses.replace(listed, pending=PendingQuestion.CHECKIN)
    assert respond(checked_in, "1", TODAY, keywords).escalation is CHECKIN_BACK_PAIN


def unsure(first: str, second: str, language: str | None = "en") -> Understanding:
    """How the understanding layer reads a message that could be about either of two topics."""
    return Understanding(
        ReadingKind.UNSURE_TOPIC, f"topic.{first}", 0.4, f"topic.{second}", 0.3, None, language
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_which_topic_then_two_answers_the_second_topic(keywords: Keywords, language: str) -> None:
    person = dataclasses.replace(CHECKED_IN, language=language)
    reading = unsure("calcium", "vitamin_d", language)
    which = respond(person, "calcium vitamin", TODAY, keywords, reading)
    assert ids(which) == ["menu.which_topic"]
    assert which.profile.pending is PendingQuestion.WHICH_TOPIC
    assert which.profile.pending_options == ("calcium", "vitamin_d")
    answered = respond(which.profile, "2", TODAY, keywords)
    assert (ids(answered), answered.language) == (["topic.vitamin_d"], language)
    assert answered.escalation is None and answered.profile.pending is None


def test_which_topic_offers_its_own_order_not_the_menus(keywords: Keywords) -> None:
    which = respond(ACTIVE, "quit or get better", TODAY, keywords, unsure("smoking", "recovery"))
    assert ids(respond(which.profile, "1", TODAY, keywords)) == ["topic.smoking"]
    assert ids(respond(which.profile, "2", TODAY, keywords)) == ["topic.recovery"]


def test_a_stranger_is_asked_which_one_by_menu_numbers_since_nothing_is_kept(
    keywords: Keywords,
) -> None:
    which = respond(Profile(), "calcium vitamin", TODAY, keywords, unsure("calcium", "vitamin_d"))
    assert ids(which) == ["menu.which_one"]
    assert which.replies[0].params["second_number"] == "2"
    assert which.profile == Profile()


def test_enrolling_people_keep_their_enrollment_question(keywords: Keywords) -> None:
    enrolling = Profile(status=Status.ENROLLING, enrollment_step="stage")
    listed = respond(enrolling, "MENU", TODAY, keywords)
    assert listed.profile.pending is None
    assert ids(respond(listed.profile, "1", TODAY, keywords)) == ["enroll.ask_due_date"]


def test_yes_with_nothing_asked_gets_a_helpful_reply_and_no_alert(keywords: Keywords) -> None:
    outcome = respond(ACTIVE, "yes", TODAY, keywords)
    assert outcome.escalation is None
    assert ids(outcome) == ["chat.ok"]


def test_a_number_with_nothing_asked_is_still_a_menu_number(keywords: Keywords) -> None:
    assert ids(respond(ACTIVE, "5", TODAY, keywords)) == ["topic.breastfeeding"]


def test_a_topic_answer_keeps_the_check_in_waiting(keywords: Keywords) -> None:
    asked = respond(CHECKED_IN, "calcium", TODAY, keywords)
    assert asked.profile.pending is PendingQuestion.CHECKIN


def test_yes_from_a_stopped_person_opts_back_in_even_with_an_old_check_in(
    keywords: Keywords,
) -> None:
    stopped = dataclasses.replace(CHECKED_IN, status=Status.STOPPED)
    outcome = respond(stopped, "YES", TODAY, keywords)
    assert outcome.consent is ConsentAction.OPT_IN and outcome.escalation is None


def test_join_again_forgets_the_question(keywords: Keywords) -> None:
    stopped = dataclasses.replace(ACTIVE, status=Status.STOPPED, pending=PendingQuestion.MENU)
    assert respond(stopped, "JOIN", TODAY, keywords).profile.pending is None
