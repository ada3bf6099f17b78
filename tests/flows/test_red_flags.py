"""Red flags win over everything but STOP, for anyone, and are recorded for the care team."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from service.domain.conversation import Profile, respond
from service.domain.vocabulary import Stage, Status
from service.store.models import Escalation, Subscriber
from service.words.catalog import Catalog
from service.words.keywords import Keywords
from tests.conftest import TwilioPost
from tests.support.sms_helpers import PHONE, text

TODAY = dt.date(2026, 11, 23)
STRANGER = Profile()
ENROLLING = Profile(status=Status.ENROLLING, enrollment_step="due_date", stage=Stage.PREGNANT)
ACTIVE = Profile(status=Status.ACTIVE, stage=Stage.POSTPARTUM, birth_date=dt.date(2026, 10, 1))
PROFILES = {"stranger": STRANGER, "enrolling": ENROLLING, "active": ACTIVE}

# (what a person texts, the reason recorded, the language it is written in)
RED_FLAGS = [
    ("I have severe back pain", "severe_back_pain", "en"),
    ("my back hurts so bad i cant move", "severe_back_pain", "en"),
    ("sever back pain!!", "severe_back_pain", "en"),
    ("Tengo un dolor fuerte de espalda", "severe_back_pain", "es"),
    ("me duele mucho la espalda", "severe_back_pain", "es"),
    ("I fell down the stairs", "fall", "en"),
    ("me caí en la calle", "fall", "es"),
    ("I think I have a broken bone", "fracture", "en"),
    ("the doctor said fracture", "fracture", "en"),
    ("creo que tengo un hueso roto", "fracture", "es"),
    ("chest pain", "chest_pain", "en"),
    ("Me duele el pecho", "chest_pain", "es"),
    ("I can't breathe", "trouble_breathing", "en"),
    ("no puedo respirar", "trouble_breathing", "es"),
    ("she had a seizure", "seizure", "en"),
    ("tuvo convulsiones", "seizure", "es"),
    ("heavy bleeding", "heavy_bleeding", "en"),
    ("estoy sangrando mucho", "heavy_bleeding", "es"),
    ("I want to hurt myself", "self_harm", "en"),
    ("sometimes I want to hurt my baby", "self_harm", "en"),
    ("quiero hacerme daño", "self_harm", "es"),
    ("quiero morir", "self_harm", "es"),
]


@pytest.mark.parametrize("who", PROFILES)
@pytest.mark.parametrize(("body", "reason", "language"), RED_FLAGS)
def test_a_red_flag_gets_the_safety_reply_in_every_state(
    keywords: Keywords, who: str, body: str, reason: str, language: str
) -> None:
    profile = PROFILES[who]
    outcome = respond(profile, body, TODAY, keywords)
    assert [reply.message_id for reply in outcome.replies] == [f"safety.{reason}"]
    assert (outcome.escalation, outcome.language) == (reason, language)
    assert outcome.profile == profile


def test_every_red_flag_has_a_reply_that_says_call_911_in_both_languages(
    catalog: Catalog,
) -> None:
    reasons = [i.removeprefix("red_flag.") for i in catalog.keywords("en") if "red_flag." in i]
    assert len(reasons) == 8
    for reason in reasons:
        for language in ("en", "es"):
            assert "911" in catalog.template(f"safety.{reason}", language), (reason, language)


def test_stop_still_wins_over_a_red_flag_word(keywords: Keywords) -> None:
    assert respond(ACTIVE, "STOP", TODAY, keywords).escalation is None


@pytest.mark.parametrize(
    "body",
    ["is my back pain normal", "will this hurt my baby?", "help", "AYUDA", "what is a pad"],
)
def test_questions_and_keywords_are_not_red_flags(keywords: Keywords, body: str) -> None:
    assert respond(ACTIVE, body, TODAY, keywords).escalation is None


def escalations(app: Flask) -> list[Escalation]:
    """Every recorded escalation, oldest first."""
    with app.extensions["boneline"].db.Session() as session:
        return list(session.scalars(sa.select(Escalation).order_by(Escalation.id)))


def stored(app: Flask, phone: str = PHONE) -> Subscriber | None:
    """The subscriber row for a number."""
    with app.extensions["boneline"].db.Session() as session:
        return session.scalar(sa.select(Subscriber).where(Subscriber.phone == phone))


def test_a_red_flag_from_an_unknown_number_is_answered_and_recorded(
    app: Flask, twilio_post: TwilioPost
) -> None:
    answer = text(twilio_post, "Tengo dolor fuerte de espalda", phone="+13105550188")
    assert len(answer) == 1 and "911" in answer[0] and "equipo de salud" in answer[0]
    [escalation] = escalations(app)
    assert (escalation.reason, escalation.language, escalation.source) == (
        "severe_back_pain",
        "es",
        "text",
    )
    assert escalation.subscriber_id is None and escalation.phone == "+13105550188"
    assert escalation.detail == "Tengo dolor fuerte de espalda"
    assert stored(app, "+13105550188") is None


def test_a_red_flag_mid_enrollment_keeps_the_enrollment_where_it_was(
    app: Flask, twilio_post: TwilioPost
) -> None:
    text(twilio_post, "JOIN")
    text(twilio_post, "1")
    before = stored(app)
    assert before is not None and before.enrollment_step == "due_date"
    answer = text(twilio_post, "I fell and my back hurts a lot")
    assert len(answer) == 1 and "911" in answer[0]
    after = stored(app)
    assert after is not None
    assert (after.status, after.enrollment_step, after.stage) == (
        "enrolling",
        "due_date",
        "pregnant",
    )
    [escalation] = escalations(app)
    assert escalation.subscriber_id == after.id and escalation.stage == "pregnant"
    # Both lists matched; the catalog's first (severe back pain) is the reason kept.
    assert escalation.reason == "severe_back_pain"
    due = (dt.date.today() + dt.timedelta(days=100)).strftime("%m/%d/%Y")
    assert "Reply 1 for texts" in text(twilio_post, due)[0]


def test_a_red_flag_from_an_active_subscriber_is_recorded_with_their_stage(
    app: Flask, twilio_post: TwilioPost
) -> None:
    for body in ["JOIN", "2", "yesterday", "1", "YES"]:
        text(twilio_post, body)
    answer = text(twilio_post, "CHEST PAIN")
    assert answer[0].startswith("Call 911 now.")
    [escalation] = escalations(app)
    assert (escalation.reason, escalation.stage, escalation.language) == (
        "chest_pain",
        "postpartum",
        "en",
    )
    person = stored(app)
    assert person is not None and person.status == "active"


def test_an_ordinary_question_records_no_escalation(app: Flask, twilio_post: TwilioPost) -> None:
    assert "1,000 milligrams" in text(twilio_post, "what about calcium??")[0]
    assert escalations(app) == []


def test_spanish_red_flag_from_an_english_subscriber_is_answered_in_spanish(
    keywords: Keywords,
) -> None:
    outcome = respond(dataclasses.replace(ACTIVE, language="en"), "me caí", TODAY, keywords)
    assert outcome.language == "es" and outcome.escalation == "fall"
