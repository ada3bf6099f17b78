"""Answers to a back-pain check-in, decided by the pure conversation function."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from service.domain.conversation import CHECKIN_BACK_PAIN, Profile, respond
from service.vocabulary import ConsentAction, PendingQuestion, Stage, Status
from service.words.keywords import Keywords

TODAY = dt.date(2027, 3, 10)
AFTER_CHECK_IN = Profile(
    status=Status.ACTIVE,
    stage=Stage.POSTPARTUM,
    birth_date=dt.date(2027, 3, 1),
    pending=PendingQuestion.CHECKIN,
)


@pytest.mark.parametrize("answer", ["YES", "yes", "1", "Si", "sí", "SÍ", "👍", "👍🏽", "👍👍"])
def test_yes_to_a_check_in_gets_the_safety_reply_and_an_escalation(
    keywords: Keywords, answer: str
) -> None:
    outcome = respond(AFTER_CHECK_IN, answer, TODAY, keywords)
    assert [reply.message_id for reply in outcome.replies] == ["checkin_reply.pain"]
    assert outcome.escalation is CHECKIN_BACK_PAIN
    assert outcome.profile.pending is None


@pytest.mark.parametrize("answer", ["NO", "no", "2", "No.", "👎", "👎🏿"])
def test_no_to_a_check_in_gets_encouragement_and_no_escalation(
    keywords: Keywords, answer: str
) -> None:
    outcome = respond(AFTER_CHECK_IN, answer, TODAY, keywords)
    assert [reply.message_id for reply in outcome.replies] == ["checkin_reply.no_pain"]
    assert outcome.escalation is None
    assert outcome.profile.pending is None


def test_a_one_without_a_check_in_waiting_is_not_read_as_back_pain(keywords: Keywords) -> None:
    profile = dataclasses.replace(AFTER_CHECK_IN, pending=None)
    outcome = respond(profile, "1", TODAY, keywords)
    assert outcome.escalation is None


def test_stop_after_a_check_in_still_stops_and_forgets_the_question(keywords: Keywords) -> None:
    outcome = respond(AFTER_CHECK_IN, "STOP", TODAY, keywords)
    assert outcome.consent is ConsentAction.OPT_OUT
    assert outcome.profile.pending is None


def test_other_words_after_a_check_in_keep_waiting_for_the_answer(keywords: Keywords) -> None:
    outcome = respond(AFTER_CHECK_IN, "what?", TODAY, keywords)
    assert outcome.profile.pending is PendingQuestion.CHECKIN
