"""Life changes in the conversation as plain functions: no Flask, no database."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from service.domain.conversation import Profile, respond
from service.understanding import ReadingKind, Understanding
from service.vocabulary import (
    ConsentAction,
    PendingQuestion,
    Stage,
    Status,
    Track,
)
from service.words.keywords import Keywords

TODAY = dt.date(2026, 11, 23)
PREGNANT = Profile(status=Status.ACTIVE, stage=Stage.PREGNANT, due_date=dt.date(2027, 3, 1))


def ids(outcome: object) -> list[str]:
    """The catalog ids of an outcome's replies."""
    return [reply.message_id for reply in outcome.replies]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "words",
    [
        "I lost my baby",
        "i had a miscarriage yesterday",
        "our baby was stillborn",
        "my baby died",
        "perdí a mi bebé",
        "tuve un aborto espontáneo",
        "mi bebé murió",
    ],
)
def test_a_loss_in_many_words_stops_baby_messages_and_asks_what_they_want(
    keywords: Keywords, words: str
) -> None:
    outcome = respond(PREGNANT, words, TODAY, keywords)
    assert ids(outcome) == ["loss.sorry"]
    profile = outcome.profile
    assert (profile.status, profile.loss_on, profile.track) == (
        Status.PAUSED,
        TODAY,
        Track.SELF_CARE,
    )
    assert profile.pending is PendingQuestion.LOSS_CHOICE
    assert (outcome.consent, outcome.follow_up) == (ConsentAction.LOSS, "loss_follow_up")
    assert outcome.escalation is None


@pytest.mark.parametrize(
    "words", ["can calcium prevent a miscarriage?", "what is a stillbirth", "is my baby ok"]
)
def test_a_question_about_a_loss_is_not_a_loss(keywords: Keywords, words: str) -> None:
    assert respond(PREGNANT, words, TODAY, keywords).profile.loss_on is None


def test_not_yet_keeps_pregnancy_tips_and_waits_a_week_more(keywords: Keywords) -> None:
    asked = dataclasses.replace(PREGNANT, pending=PendingQuestion.BIRTH)
    for words in ("NOT YET", "no todavia", "no"):
        outcome = respond(asked, words, TODAY, keywords)
        assert ids(outcome) == ["life.not_yet"]
        assert (outcome.profile.birth_asked_on, outcome.profile.pending) == (TODAY, None)


def test_a_date_answers_the_birth_question(keywords: Keywords) -> None:
    asked = dataclasses.replace(PREGNANT, pending=PendingQuestion.BIRTH)
    outcome = respond(asked, "last Tuesday", TODAY, keywords)
    assert ids(outcome) == ["born.recorded", "feed.ask"]
    assert outcome.profile.birth_date == dt.date(2026, 11, 17)
    assert outcome.profile.pending is PendingQuestion.FEEDING


@pytest.mark.parametrize(("words", "feeding"), [("1", True), ("no", False), ("SKIP", None)])
def test_the_breastfeeding_question_takes_yes_no_or_skip(
    keywords: Keywords, words: str, feeding: bool | None
) -> None:
    asked = Profile(
        status=Status.ACTIVE,
        stage=Stage.POSTPARTUM,
        birth_date=TODAY,
        pending=PendingQuestion.FEEDING,
    )
    outcome = respond(asked, words, TODAY, keywords)
    assert (outcome.profile.breastfeeding, outcome.profile.pending) == (feeding, None)


def test_weaned_ends_breastfeeding_on_that_day(keywords: Keywords) -> None:
    mother = Profile(
        status=Status.ACTIVE, stage=Stage.POSTPARTUM, birth_date=TODAY, breastfeeding=True
    )
    outcome = respond(mother, "DESTETE ayer", TODAY, keywords)
    assert ids(outcome) == ["feed.weaned"]
    assert (outcome.profile.breastfeeding, outcome.profile.weaned_on) == (
        False,
        TODAY - dt.timedelta(days=1),
    )


def test_pause_is_two_weeks_unless_said(keywords: Keywords) -> None:
    outcome = respond(PREGNANT, "pause", TODAY, keywords)
    assert outcome.profile.paused_until == TODAY + dt.timedelta(days=13)
    assert outcome.consent is ConsentAction.PAUSE
    assert ids(respond(PREGNANT, "RESUME", TODAY, keywords)) == ["change.not_paused"]


def test_after_the_goodbye_texts_get_answers_never_we_did_not_understand(
    keywords: Keywords,
) -> None:
    done = Profile(status=Status.COMPLETED, stage=Stage.POSTPARTUM, birth_date=dt.date(2025, 11, 1))
    assert ids(respond(done, "hello there", TODAY, keywords)) == ["fallback.completed"]
    assert ids(respond(done, "vitamin d", TODAY, keywords))[0].startswith("topic.")
    again = respond(done, "JOIN", TODAY, keywords)
    assert again.profile == Profile(status=Status.ENROLLING, enrollment_step="stage")
    restart = respond(done, "START", TODAY, keywords)
    assert restart.profile.status is Status.ENROLLING


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("our son was stillborn", "loss.sorry"),
        ("se murió mi bebé", "loss.sorry"),
        ("can you call me instead", "change.calls"),
        ("please pause for 3 weeks", "change.paused"),
        ("the doctor moved my due date to march 8", "change.due_check"),
        ("the baby came on tuesday", "born.recorded"),
    ],
)
def test_life_changes_in_a_persons_own_words_through_the_understanding_layer(
    keywords: Keywords, words: str, expected: str
) -> None:
    assert ids(respond(PREGNANT, words, TODAY, keywords))[0] == expected


def test_words_for_a_pause_name_its_weeks(keywords: Keywords) -> None:
    outcome = respond(PREGNANT, "please pause for 3 weeks", TODAY, keywords)
    assert outcome.profile.paused_until == TODAY + dt.timedelta(weeks=3, days=-1)


def test_a_due_date_in_a_persons_own_words_is_kept_only_after_a_yes(keywords: Keywords) -> None:
    asked = respond(PREGNANT, "the doctor moved my due date to march 8", TODAY, keywords)
    assert asked.profile.due_date == PREGNANT.due_date
    kept = respond(asked.profile, "yes", TODAY, keywords)
    assert ids(kept) == ["change.due_recorded"]
    assert kept.profile.due_date == dt.date(2027, 3, 8)


@pytest.mark.parametrize(
    ("label", "hint"),
    [
        ("change.calls", "hint.calls"),
        ("change.texts", "hint.texts"),
        ("change.pause", "hint.pause"),
        ("change.resume", "hint.resume"),
        ("change.due_date", "hint.due_date"),
        ("life.born", "hint.born"),
        ("life.not_yet", "hint.not_yet"),
        ("life.weaned", "hint.weaned"),
    ],
)
def test_a_change_read_without_enough_confidence_gets_the_words_that_make_it(
    keywords: Keywords, label: str, hint: str
) -> None:
    kind = ReadingKind.LIFE if label.startswith("life.") else ReadingKind.CHANGE
    unsure = Understanding(kind, label, 0.5, "none", 0.3)
    outcome = respond(PREGNANT, "some words we are not sure of", TODAY, keywords, unsure)
    assert ids(outcome) == [hint]
    assert outcome.profile == PREGNANT


def test_a_loss_read_without_enough_confidence_is_never_guessed_at(keywords: Keywords) -> None:
    unsure = Understanding(ReadingKind.LIFE, "life.loss", 0.5, "none", 0.3)
    outcome = respond(PREGNANT, "some words we are not sure of", TODAY, keywords, unsure)
    assert ids(outcome) == ["fallback.unknown"]
    assert outcome.profile == PREGNANT


@pytest.mark.parametrize("label", ["answer.yes", "answer.no"])
def test_a_yes_or_no_with_no_question_waiting_gets_a_word_back(
    keywords: Keywords, label: str
) -> None:
    answer = Understanding(ReadingKind.ANSWER, label, 1.0, None, 0.0)
    assert ids(respond(PREGNANT, "yeah sure", TODAY, keywords, answer)) == ["chat.ok"]


def test_a_stranger_gets_no_hint_but_how_to_join(keywords: Keywords) -> None:
    unsure = Understanding(ReadingKind.CHANGE, "change.calls", 0.5, "none", 0.3)
    assert ids(respond(Profile(), "call me", TODAY, keywords, unsure)) == [
        "fallback.not_subscribed"
    ]
