"""The phone line reads every spoken answer: an emergency said anywhere gets the spoken safety
message and an escalation, then the menu again; a topic said at any menu plays that topic."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from service.store.models import Escalation
from service.understanding import SAFETY_TABLE, SafetyFamily, Urgency
from service.words.catalog import Catalog
from tests.conftest import TwilioPost
from tests.support.voice_helpers import CALLER, Heard, heard, placed_call_form, press


def escalations(app: Flask) -> list[Escalation]:
    """Every escalation, oldest first."""
    with app.extensions["boneline"].db.Session() as session:
        return list(session.scalars(sa.select(Escalation).order_by(Escalation.id)))


def node_of(result: Heard) -> str:
    """The menu node the next answer goes to."""
    return dict(parse_qsl(urlsplit(result.action).query))["node"]


def spoken(catalog: Catalog, message_id: str, language: str, **params: Any) -> str:
    """The first sentence of a catalog text as the caller hears it."""
    text = catalog.text(message_id, language, program="BoneLine", **params)
    return text.split(". ")[0]


@pytest.mark.parametrize(
    ("language", "word", "tip"),
    [("en", "calcium", "voice.tip.calcium"), ("es", "calcio", "voice.tip.calcium")],
)
def test_a_topic_said_at_the_main_menu_plays_that_topic(
    twilio_post: TwilioPost, catalog: Catalog, language: str, word: str, tip: str
) -> None:
    played = press(twilio_post, f"/voice/menu?lang={language}&node=main", speech=word)
    assert node_of(played) == "tip_calcium"
    assert spoken(catalog, tip, language) in played.text


def test_a_topic_with_no_key_said_at_a_menu_reads_its_answer(
    twilio_post: TwilioPost, catalog: Catalog
) -> None:
    played = press(twilio_post, "/voice/menu?lang=en&node=tips", speech="how do i quit smoking")
    assert node_of(played) == "topic_smoking"
    assert "Quitting smoking helps protect your bones" in played.text
    texted = press(twilio_post, played.action, digits="1")
    assert node_of(texted) == "tips"


@pytest.mark.parametrize(
    ("language", "words"), [("en", "I can't breathe"), ("es", "no puedo respirar")]
)
@pytest.mark.parametrize("where", ["node=main", "node=tips", "node=sub_due_date&stage=pregnant"])
def test_an_emergency_said_anywhere_gets_the_safety_message_an_escalation_then_the_menu(
    app: Flask,
    twilio_post: TwilioPost,
    catalog: Catalog,
    language: str,
    words: str,
    where: str,
) -> None:
    answer = press(twilio_post, f"/voice/menu?lang={language}&{where}", speech=words)
    rule = SAFETY_TABLE[SafetyFamily.BREATHING]
    assert spoken(catalog, rule.voice_id, language) in answer.text
    assert node_of(answer) == "main" and not answer.hangs_up
    [escalation] = escalations(app)
    assert (escalation.source, escalation.reason, escalation.urgency) == (
        "call",
        "breathing",
        Urgency.CALL_911,
    )
    assert (escalation.phone, escalation.language) == (CALLER, language)


def test_an_emergency_before_choosing_a_language_is_answered_in_both(
    app: Flask, twilio_post: TwilioPost
) -> None:
    answer = press(twilio_post, "/voice/menu?node=language", speech="I can't breathe")
    assert {say.attrib["language"] for say in answer.says} == {"en-US", "es-US"}
    assert node_of(answer) == "language" and "911" in answer.text
    assert len(escalations(app)) == 1


def test_a_hidden_number_still_hears_what_to_do_but_nothing_is_recorded(
    app: Flask, twilio_post: TwilioPost
) -> None:
    answer = press(
        twilio_post, "/voice/menu?lang=en&node=main", speech="I can't breathe", phone="anonymous"
    )
    assert "911" in answer.text and node_of(answer) == "main"
    assert escalations(app) == []


def test_a_look_alike_said_at_the_menu_gets_no_911_and_no_escalation(
    app: Flask, twilio_post: TwilioPost
) -> None:
    answer = press(twilio_post, "/voice/menu?lang=en&node=main", speech="I fell asleep")
    assert "911" not in answer.text
    assert escalations(app) == []


def placed(post: TwilioPost, path: str, **form: str) -> Heard:
    """Post to a placed call's webhook."""
    return heard(post(path, placed_call_form(**form)))


def test_an_emergency_said_on_a_reminder_call_is_answered_and_the_call_goes_on(
    app: Flask, twilio_post: TwilioPost, catalog: Catalog
) -> None:
    call = placed(twilio_post, "/voice/reminder?message=reminder.calcium.1&lang=es")
    answer = placed(twilio_post, call.action, SpeechResult="se me rompió la fuente")
    rule = SAFETY_TABLE[SafetyFamily.FLUID_LEAK]
    assert spoken(catalog, rule.voice_id, "es") in answer.text and not answer.hangs_up
    [escalation] = escalations(app)
    assert (escalation.reason, escalation.urgency) == ("fluid_leak", rule.urgency)
    assert "reminder.calcium.1" in escalation.detail


@pytest.mark.parametrize(("language", "yes"), [("en", "yes I do"), ("es", "sí, claro")])
def test_a_yes_in_words_on_a_check_in_call_is_back_pain(
    app: Flask, twilio_post: TwilioPost, language: str, yes: str
) -> None:
    call = placed(twilio_post, f"/voice/reminder?message=checkin.week6&lang={language}")
    answer = placed(twilio_post, call.action, SpeechResult=yes)
    assert answer.hangs_up and "911" in answer.text
    [escalation] = escalations(app)
    assert (escalation.reason, escalation.source) == ("back_pain", "call")
