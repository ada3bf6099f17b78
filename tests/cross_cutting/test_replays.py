"""Forged, replayed and hostile webhooks: refused, answered once, escaped, stored as text.

Twilio's signature covers the URL and the form but no timestamp, so a captured request stays
valid for ever: "stale" cannot be told from "retried". What keeps a replay harmless is that a
second delivery of the same MessageSid, or of the same step of the same call, records nothing.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from service.config import load_settings
from service.domain.call_plan import Line, Plan
from service.gateway.twiml import render_twiml
from service.store.db import Database
from service.store.models import ConsentEvent, Escalation, Message, Subscriber
from service.web import create_app
from service.web.sms import twiml_messages
from service.words.texts import Texts
from tests.conftest import PUBLIC_BASE_URL, TwilioPost, app_config, twilio_signature
from tests.support.sms_helpers import PHONE, replies, sms_form
from tests.support.voice_helpers import call_form, placed_call_form

HOSTILE_TWIML = "</Message><Redirect>https://evil.example/x</Redirect><Message>"
SQL_LOOKING = [
    "'; DROP TABLE subscribers; --",
    "Robert'); DELETE FROM messages WHERE ('1'='1",
    '" OR 1=1 --',
    "1; UPDATE subscribers SET status='active'",
]
ALL_WEBHOOKS = [
    ("/sms", sms_form("JOIN")),
    ("/voice", call_form()),
    ("/voice/menu?lang=en&node=stop", call_form(Digits="1")),
    ("/voice/reminder?message=checkin.week6&lang=en", placed_call_form()),
    ("/voice/reminder/answer?message=checkin.week6&lang=en", placed_call_form(Digits="1")),
]


def rows(app: Flask, model: type[Any]) -> list[Any]:
    """Every row of a table."""
    with app.extensions["boneline"].db.Session() as session:
        return list(session.scalars(sa.select(model).order_by(model.id)))


# ---- Forged signatures ---------------------------------------------------------------------


@pytest.mark.parametrize(("path", "form"), ALL_WEBHOOKS)
def test_every_webhook_refuses_a_missing_wrong_or_tampered_signature(
    app: Flask, client: FlaskClient, path: str, form: dict[str, str]
) -> None:
    good = twilio_signature(PUBLIC_BASE_URL + path, form)
    tampered = {**form, "From": "+13105550188"}
    attempts = [
        client.post(path, data=form),
        client.post(path, data=form, headers={"X-Twilio-Signature": "x" * 28}),
        client.post(
            path,
            data=form,
            headers={
                "X-Twilio-Signature": twilio_signature(PUBLIC_BASE_URL + path, form, token="f" * 32)
            },
        ),
        client.post(path, data=tampered, headers={"X-Twilio-Signature": good}),
        client.post(
            path + "&x=1" if "?" in path else path + "?x=1",
            data=form,
            headers={"X-Twilio-Signature": good},
        ),
    ]
    assert [response.status_code for response in attempts] == [403] * len(attempts)
    assert all(rows(app, model) == [] for model in (Message, ConsentEvent, Escalation))


# ---- Replays: the same request twice has one effect -------------------------------------------


def replay(client: FlaskClient, path: str, form: dict[str, str], times: int = 3) -> list[str]:
    """Post one signed request several times, as a retry or a replay would."""
    signature = twilio_signature(PUBLIC_BASE_URL + path, form)
    answers = []
    for _ in range(times):
        response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200
        answers.append(response.get_data(as_text=True))
    return answers


def test_a_replayed_text_is_answered_the_same_and_recorded_once(
    app: Flask, client: FlaskClient
) -> None:
    answers = replay(client, "/sms", sms_form("I fell down the stairs"))
    assert len(set(answers)) == 1
    assert len(rows(app, Escalation)) == 1
    assert [m.direction for m in rows(app, Message)] == ["inbound", "outbound"]


@pytest.mark.parametrize(
    ("path", "digits", "table"),
    [
        ("/voice/menu?lang=en&node=stop", "1", ConsentEvent),
        ("/voice/menu?lang=es&node=offer&about=tip_calcium", "1", Message),
        ("/voice/menu?lang=en&node=tip_calcium", "1", Message),
        (
            f"/voice/menu?lang=en&node=sub_consent&stage=pregnant&channel=sms"
            f"&date={dt.date.today() + dt.timedelta(days=40)}",
            "1",
            ConsentEvent,
        ),
    ],
)
def test_a_retried_phone_menu_step_records_its_effect_once(
    app: Flask, client: FlaskClient, path: str, digits: str, table: type[Any]
) -> None:
    answers = replay(client, path, call_form(Digits=digits))
    assert len(set(answers)) == 1, "a retry hears the same thing"
    assert len(rows(app, table)) == 1


@pytest.mark.parametrize(("digits", "table"), [("1", Escalation), ("9", ConsentEvent)])
def test_a_retried_check_in_answer_records_once(
    app: Flask, client: FlaskClient, digits: str, table: type[Any]
) -> None:
    path = "/voice/reminder/answer?message=checkin.week6&lang=en"
    replay(client, path, placed_call_form(Digits=digits))
    assert len(rows(app, table)) == 1


def test_the_same_step_on_another_call_is_recorded_again(app: Flask, client: FlaskClient) -> None:
    path = "/voice/reminder/answer?message=checkin.week6&lang=en"
    replay(client, path, placed_call_form(Digits="1"), times=1)
    replay(client, path, placed_call_form(Digits="1"), times=1)
    assert len(rows(app, Escalation)) == 2


def test_a_different_answer_on_the_same_call_is_a_new_step(app: Flask, client: FlaskClient) -> None:
    form = call_form(Digits="1")
    path = "/voice/menu?lang=en&node=tip_calcium"
    replay(client, path, form, times=1)
    replay(client, path, {**form, "Digits": "", "SpeechResult": "Text me."}, times=1)
    assert len(rows(app, Message)) == 2


# ---- Hostile words: escaped in TwiML, stored as plain text ------------------------------------


def test_twiml_in_a_text_never_becomes_twiml_in_our_reply(
    app: Flask, twilio_post: TwilioPost
) -> None:
    for body in (HOSTILE_TWIML, f"JOIN{HOSTILE_TWIML}", f"<Response>{HOSTILE_TWIML}"):
        response = twilio_post("/sms", sms_form(body))
        root = ET.fromstring(response.get_data(as_text=True))
        assert [child.tag for child in root] == ["Message"]
    assert HOSTILE_TWIML in [m.body for m in rows(app, Message)]


def test_the_sms_reply_escapes_whatever_words_it_carries() -> None:
    document = twiml_messages([HOSTILE_TWIML, "a & b < c"]).get_data(as_text=True)
    root = ET.fromstring(document)
    assert [child.tag for child in root] == ["Message", "Message"]
    assert [child.text for child in root] == [HOSTILE_TWIML, "a & b < c"]


def test_words_spoken_back_on_a_call_are_escaped() -> None:
    hostile_name = "</prosody></Say><Dial>+19005550100</Dial><Say>"
    settings = load_settings({"DATABASE_URL": "sqlite://", "PROGRAM_NAME": hostile_name})
    texts = Texts.from_settings(settings)
    document = render_twiml(Plan(say=(Line("voice.stop.done", "en"),)), texts)
    root = ET.fromstring(document)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root.find(".//Dial") is None


def test_a_program_name_with_markup_is_escaped_in_every_sms_reply(database: Database) -> None:
    app = create_app(app_config(database.url, PROGRAM_NAME="<b>Bone</b>&Line"))
    client = app.test_client()
    form = sms_form("HELP")
    signature = twilio_signature(PUBLIC_BASE_URL + "/sms", form)
    response = client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    [reply] = replies(response)
    assert reply.startswith("<b>Bone</b>&Line")
    app.extensions["boneline"].db.dispose()


@pytest.mark.parametrize("body", SQL_LOOKING)
def test_sql_looking_text_is_stored_exactly_as_text(
    app: Flask, twilio_post: TwilioPost, body: str
) -> None:
    twilio_post("/sms", sms_form("JOIN"))
    response = twilio_post("/sms", sms_form(body))
    assert response.status_code == 200
    assert body in [m.body for m in rows(app, Message)]
    [person] = rows(app, Subscriber)
    assert (person.phone, person.status) == (PHONE, "enrolling")


@pytest.mark.parametrize("words", SQL_LOOKING)
def test_sql_looking_red_flag_words_are_stored_for_the_care_team_as_typed(
    app: Flask, twilio_post: TwilioPost, words: str
) -> None:
    body = f"I fell down the stairs {words} I fell down the stairs"
    twilio_post("/sms", sms_form(body))
    [escalation] = rows(app, Escalation)
    assert escalation.detail == body
