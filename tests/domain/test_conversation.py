"""The conversation as plain functions: no Flask, no database, no Twilio."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from service.domain.conversation import ASK_CONFIRM, Profile, respond
from service.vocabulary import Channel, ConsentAction, Stage, Status
from service.words.keywords import Keywords

TODAY = dt.date(2026, 11, 23)
ENROLLING = Profile(status=Status.ENROLLING, enrollment_step="stage")
ACTIVE = Profile(status=Status.ACTIVE, stage=Stage.PREGNANT, due_date=dt.date(2027, 3, 1))


def ids(outcome: object) -> list[str]:
    """The catalog ids of an outcome's replies."""
    return [reply.message_id for reply in outcome.replies]  # type: ignore[attr-defined]


def test_join_starts_enrollment_in_english(keywords: Keywords) -> None:
    outcome = respond(Profile(), "join", TODAY, keywords)
    assert outcome.profile.status is Status.ENROLLING
    assert (outcome.profile.language, ids(outcome)) == ("en", ["enroll.ask_stage"])


def test_unirse_starts_enrollment_in_spanish(keywords: Keywords) -> None:
    outcome = respond(Profile(), "Unirse!", TODAY, keywords)
    assert outcome.profile.language == "es"


def test_unknown_text_from_a_stranger_creates_nobody(keywords: Keywords) -> None:
    outcome = respond(Profile(), "hello?", TODAY, keywords)
    assert outcome.profile.status is None
    assert ids(outcome) == ["fallback.not_subscribed"]


@pytest.mark.parametrize(
    ("answer", "due"),
    [
        ("June 5", dt.date(2027, 6, 5)),
        ("6/5/27", dt.date(2027, 6, 5)),
        ("3/1", dt.date(2027, 3, 1)),
    ],
)
def test_due_dates_as_people_type_them(keywords: Keywords, answer: str, due: dt.date) -> None:
    profile = dataclasses.replace(ENROLLING, enrollment_step="due_date", stage=Stage.PREGNANT)
    outcome = respond(profile, answer, TODAY, keywords)
    assert outcome.profile.due_date == due
    assert outcome.replies[0].params["date"] == due


def test_spanish_numeric_dates_are_day_first(keywords: Keywords) -> None:
    profile = Profile(status=Status.ENROLLING, enrollment_step="due_date", language="es")
    assert respond(profile, "5/6/27", TODAY, keywords).profile.due_date == dt.date(2027, 6, 5)
    assert respond(profile, "5 de junio", TODAY, keywords).profile.due_date == dt.date(2027, 6, 5)


def test_a_due_date_ten_months_away_is_asked_again(keywords: Keywords) -> None:
    profile = dataclasses.replace(ENROLLING, enrollment_step="due_date")
    outcome = respond(profile, "December 1, 2027", TODAY, keywords)
    assert ids(outcome) == ["enroll.due_date_too_far"]
    assert outcome.profile == profile


def test_stage_answer_words_work_as_well_as_numbers(keywords: Keywords) -> None:
    assert respond(ENROLLING, "pregnant", TODAY, keywords).profile.stage is Stage.PREGNANT
    assert respond(ENROLLING, "2", TODAY, keywords).profile.stage is Stage.POSTPARTUM
    assert ids(respond(ENROLLING, "hmm ok", TODAY, keywords))[-1] == "enroll.reask_stage"


def test_channel_then_yes_is_a_double_opt_in(keywords: Keywords) -> None:
    profile = dataclasses.replace(ENROLLING, enrollment_step="channel", stage=Stage.PREGNANT)
    asked = respond(profile, "call", TODAY, keywords)
    assert asked.profile.channel is Channel.VOICE
    assert asked.profile.enrollment_step == ASK_CONFIRM and asked.consent is None
    done = respond(asked.profile, "YES", TODAY, keywords)
    assert done.profile.status is Status.ACTIVE
    assert (done.consent, done.consent_disclosure) == (ConsentAction.OPT_IN, "enroll.confirm")


def test_anything_but_yes_at_the_confirmation_keeps_the_person_inactive(keywords: Keywords) -> None:
    profile = dataclasses.replace(ENROLLING, enrollment_step=ASK_CONFIRM)
    outcome = respond(profile, "what is this", TODAY, keywords)
    assert outcome.profile.status is Status.ENROLLING
    assert ids(outcome)[-1] == "enroll.reask_confirm"
    assert outcome.consent is None and outcome.escalation is None


@pytest.mark.parametrize("profile", [Profile(), ENROLLING, ACTIVE])
def test_stop_wins_in_every_state(keywords: Keywords, profile: Profile) -> None:
    outcome = respond(profile, "Stop.", TODAY, keywords)
    assert outcome.profile.status is Status.STOPPED
    assert outcome.consent is ConsentAction.OPT_OUT
    assert ids(outcome) == ["optout.confirm"]


def test_a_spanish_opt_out_word_confirms_in_spanish(keywords: Keywords) -> None:
    assert respond(ACTIVE, "PARAR", TODAY, keywords).profile.language == "es"


def test_english_stop_keeps_a_spanish_speaker_in_spanish(keywords: Keywords) -> None:
    spanish = dataclasses.replace(ACTIVE, language="es")
    assert respond(spanish, "STOP", TODAY, keywords).profile.language == "es"


def test_help_answers_in_the_keywords_language_without_changing_the_profile(
    keywords: Keywords,
) -> None:
    outcome = respond(ACTIVE, "ayuda", TODAY, keywords)
    assert (outcome.language, outcome.profile) == ("es", ACTIVE)


def test_yes_after_stop_opts_back_in(keywords: Keywords) -> None:
    stopped = dataclasses.replace(ACTIVE, status=Status.STOPPED)
    outcome = respond(stopped, "yes", TODAY, keywords)
    assert outcome.profile.status is Status.ACTIVE
    assert outcome.consent is ConsentAction.OPT_IN


def test_born_with_a_future_date_is_refused(keywords: Keywords) -> None:
    outcome = respond(ACTIVE, "BORN 12/25/2026", TODAY, keywords)
    assert ids(outcome) == ["born.date_future"]
    assert outcome.profile.stage is Stage.PREGNANT


def test_born_during_enrollment_skips_to_the_channel_question(keywords: Keywords) -> None:
    outcome = respond(ENROLLING, "born 11/20", TODAY, keywords)
    assert outcome.profile.birth_date == dt.date(2026, 11, 20)
    assert ids(outcome) == ["enroll.ask_channel"]


def test_born_from_a_stranger_asks_them_to_join(keywords: Keywords) -> None:
    assert ids(respond(Profile(), "BORN", TODAY, keywords)) == ["fallback.not_subscribed"]


@pytest.mark.parametrize(
    ("language", "answer", "due"),
    [
        ("en", "I'm 30 weeks", TODAY + dt.timedelta(weeks=10)),
        ("es", "tengo 30 semanas", TODAY + dt.timedelta(weeks=10)),
    ],
)
def test_weeks_along_become_a_due_date_read_back_for_a_yes(
    keywords: Keywords, language: str, answer: str, due: dt.date
) -> None:
    profile = Profile(
        status=Status.ENROLLING, enrollment_step="due_date", stage=Stage.PREGNANT, language=language
    )
    asked = respond(profile, answer, TODAY, keywords)
    assert ids(asked) == ["enroll.due_date_check"]
    assert asked.replies[0].params["date"] == due
    confirmed = respond(asked.profile, "SI" if language == "es" else "yes", TODAY, keywords)
    assert ids(confirmed) == ["enroll.ask_channel"]
    assert (confirmed.profile.due_date, confirmed.profile.enrollment_step) == (due, "channel")


def test_a_due_date_just_past_is_asked_about_not_moved_a_year(keywords: Keywords) -> None:
    profile = Profile(status=Status.ENROLLING, enrollment_step="due_date", stage=Stage.PREGNANT)
    asked = respond(profile, "I am 41 weeks, due date was Nov 16", TODAY, keywords)
    assert ids(asked) == ["enroll.due_date_past_check"]
    assert asked.profile.due_date == dt.date(2026, 11, 16)
    corrected = respond(asked.profile, "no", TODAY, keywords)
    assert ids(corrected) == ["enroll.ask_due_date"]
    assert corrected.profile.due_date is None


def test_another_date_instead_of_yes_is_read_as_the_due_date(keywords: Keywords) -> None:
    profile = Profile(status=Status.ENROLLING, enrollment_step="due_date", stage=Stage.PREGNANT)
    asked = respond(profile, "8 months", TODAY, keywords)
    answered = respond(asked.profile, "January 2", TODAY, keywords)
    assert ids(answered) == ["enroll.ask_channel"]
    assert answered.profile.due_date == dt.date(2027, 1, 2)


def test_birth_date_in_words_during_enrollment(keywords: Keywords) -> None:
    profile = Profile(status=Status.ENROLLING, enrollment_step="birth_date", language="es")
    outcome = respond(profile, "hace 2 semanas", TODAY, keywords)
    assert outcome.profile.birth_date == TODAY - dt.timedelta(weeks=2)
