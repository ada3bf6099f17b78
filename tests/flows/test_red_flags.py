"""Warning signs win over everything but STOP, for anyone, and are recorded for the care team
with their family and urgency; a maybe gets what to do if it is happening, and no alert."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from service.domain.conversation import Profile, respond
from service.store.models import Escalation, Subscriber
from service.understanding import (
    SAFETY_TABLE,
    ReadingKind,
    SafetyFamily,
    Understanding,
    Urgency,
)
from service.vocabulary import EnrollmentStep, Stage, Status
from service.words.catalog import Catalog
from service.words.keywords import Keywords
from tests.conftest import TwilioPost
from tests.support.sms_helpers import PHONE, person_today, text

TODAY = dt.date(2026, 11, 23)
STRANGER = Profile()
ENROLLING = Profile(
    status=Status.ENROLLING, enrollment_step=EnrollmentStep.DUE_DATE, stage=Stage.PREGNANT
)
ACTIVE = Profile(status=Status.ACTIVE, stage=Stage.POSTPARTUM, birth_date=dt.date(2026, 10, 1))
PROFILES = {"stranger": STRANGER, "enrolling": ENROLLING, "active": ACTIVE}


def reading(kind: ReadingKind, family: SafetyFamily, language: str | None = "en") -> Understanding:
    """How the understanding layer reads a message about a warning sign."""
    rule = SAFETY_TABLE[family]
    return Understanding(kind, family.label, 0.9, "none", 0.1, rule, language)


@pytest.mark.parametrize("who", PROFILES)
@pytest.mark.parametrize("family", list(SafetyFamily))
def test_a_warning_sign_gets_its_reply_and_an_escalation_in_every_state(
    keywords: Keywords, who: str, family: SafetyFamily
) -> None:
    profile = PROFILES[who]
    outcome = respond(profile, "...", TODAY, keywords, reading(ReadingKind.SAFETY, family))
    rule = SAFETY_TABLE[family]
    assert [reply.message_id for reply in outcome.replies] == [rule.reply_id]
    assert outcome.escalation is rule
    assert outcome.profile == profile


@pytest.mark.parametrize("who", PROFILES)
def test_a_maybe_gets_what_to_do_if_it_is_happening_and_no_alert(
    keywords: Keywords, who: str
) -> None:
    maybe = reading(ReadingKind.SAFETY_CHECK, SafetyFamily.BLEEDING)
    outcome = respond(PROFILES[who], "is it normal to bleed", TODAY, keywords, maybe)
    assert outcome.replies[0].message_id == "safety_check.bleeding"
    assert outcome.escalation is None


def test_a_date_we_asked_for_is_read_as_the_date_even_if_it_might_be_a_warning_sign(
    keywords: Keywords,
) -> None:
    maybe = reading(ReadingKind.SAFETY_CHECK, SafetyFamily.FEVER)
    outcome = respond(ENROLLING, "June 5", TODAY, keywords, maybe)
    assert outcome.profile.due_date == dt.date(2027, 6, 5)
    assert [reply.message_id for reply in outcome.replies] == ["enroll.ask_channel"]


def test_stop_still_wins_over_a_warning_sign(keywords: Keywords) -> None:
    alarm = reading(ReadingKind.SAFETY, SafetyFamily.FALL)
    outcome = respond(ACTIVE, "STOP", TODAY, keywords, alarm)
    assert outcome.escalation is None and outcome.profile.status is Status.STOPPED


def test_an_english_subscriber_writing_spanish_is_answered_in_spanish(keywords: Keywords) -> None:
    alarm = reading(ReadingKind.SAFETY, SafetyFamily.FALL, language="es")
    outcome = respond(ACTIVE, "me caí por las escaleras", TODAY, keywords, alarm)
    assert outcome.language == "es" and outcome.escalation is SAFETY_TABLE[SafetyFamily.FALL]


# Read by the real model: present reports of a warning sign, in both languages.
ALARMS = [
    ("I fell down the stairs", SafetyFamily.FALL),
    ("I can't breathe", SafetyFamily.BREATHING),
    ("I want to hurt myself", SafetyFamily.SELF_HARM),
    ("my water broke", SafetyFamily.FLUID_LEAK),
    ("no puedo respirar", SafetyFamily.BREATHING),
    ("estoy sangrando mucho", SafetyFamily.BLEEDING),
    ("se me rompió la fuente", SafetyFamily.FLUID_LEAK),
    ("el bebé no se mueve", SafetyFamily.BABY_MOVEMENT),
]
# The false alarms: none of these may tell anyone to call 911 or alert the care team.
LOOK_ALIKES = [
    "I heard some meds might hurt my baby",
    "I fell asleep",
    "my nipples are bleeding",
    "sangrado normal despues del parto",
    "pecho",
    "se me rompió el teléfono",
]


@pytest.mark.parametrize(("body", "family"), ALARMS)
def test_reports_read_by_the_model_get_their_familys_reply(
    keywords: Keywords, body: str, family: SafetyFamily
) -> None:
    pregnant = dataclasses.replace(ACTIVE, stage=Stage.PREGNANT)
    outcome = respond(pregnant, body, TODAY, keywords)
    assert outcome.escalation is SAFETY_TABLE[family]


@pytest.mark.parametrize("body", LOOK_ALIKES)
def test_look_alikes_get_no_alarm(keywords: Keywords, catalog: Catalog, body: str) -> None:
    outcome = respond(ACTIVE, body, TODAY, keywords)
    assert outcome.escalation is None
    for reply in outcome.replies:
        assert not reply.message_id.startswith("safety."), reply


def escalations(app: Flask) -> list[Escalation]:
    """Every recorded escalation, oldest first."""
    with app.extensions["boneline"].db.Session() as session:
        return list(session.scalars(sa.select(Escalation).order_by(Escalation.id)))


def stored(app: Flask, phone: str = PHONE) -> Subscriber | None:
    """The subscriber row for a number."""
    with app.extensions["boneline"].db.Session() as session:
        return session.scalar(sa.select(Subscriber).where(Subscriber.phone == phone))


def test_a_spanish_emergency_from_an_unknown_number_is_answered_in_spanish_and_recorded(
    app: Flask, twilio_post: TwilioPost, catalog: Catalog
) -> None:
    answer = text(twilio_post, "no puedo respirar", phone="+13105550188")
    assert answer == [catalog.text("safety.breathing", "es")]
    assert "911" in answer[0]
    [escalation] = escalations(app)
    assert (escalation.reason, escalation.urgency, escalation.language, escalation.source) == (
        "breathing",
        Urgency.CALL_911,
        "es",
        "text",
    )
    assert escalation.subscriber_id is None and escalation.phone == "+13105550188"
    assert escalation.detail == "no puedo respirar"
    assert stored(app, "+13105550188") is None


@pytest.mark.parametrize("body", ["I fell asleep", "se me rompió el teléfono"])
def test_a_look_alike_through_the_webhook_gets_no_911_and_no_escalation(
    app: Flask, twilio_post: TwilioPost, body: str
) -> None:
    answer = text(twilio_post, body)
    assert answer and not any("911" in reply for reply in answer)
    assert escalations(app) == []


def test_a_warning_sign_mid_enrollment_keeps_the_enrollment_where_it_was(
    app: Flask, twilio_post: TwilioPost
) -> None:
    text(twilio_post, "JOIN")
    text(twilio_post, "1")
    answer = text(twilio_post, "I fell down the stairs")
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
    assert (escalation.reason, escalation.urgency) == (
        "fall",
        SAFETY_TABLE[SafetyFamily.FALL].urgency,
    )
    due = (person_today() + dt.timedelta(days=100)).strftime("%m/%d/%Y")
    assert "Reply 1 for texts" in text(twilio_post, due)[0]
