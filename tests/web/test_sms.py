"""The /sms webhook through Flask's test client, with requests signed like Twilio's."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from service.store.models import ConsentEvent, Message, Subscriber
from service.vocabulary import ConsentAction, Direction
from tests.conftest import PUBLIC_BASE_URL, TwilioPost, twilio_signature
from tests.support.sms_helpers import PHONE, person_today, replies, sms_form, text


def subscriber(app: Flask, phone: str = PHONE) -> Subscriber | None:
    """The stored subscriber for a number."""
    with app.extensions["boneline"].db.Session() as session:
        return session.scalar(sa.select(Subscriber).where(Subscriber.phone == phone))


def count(app: Flask, model: type, **filters: object) -> int:
    """How many rows of `model` match."""
    with app.extensions["boneline"].db.Session() as session:
        query = sa.select(sa.func.count()).select_from(model).filter_by(**filters)
        return int(session.scalar(query) or 0)


def enroll(post: TwilioPost, phone: str = PHONE, spanish: bool = False) -> None:
    """Walk a pregnant person through enrollment by text, up to and including YES."""
    due = (person_today() + dt.timedelta(days=120)).strftime("%m/%d/%Y")
    if spanish:
        due = (person_today() + dt.timedelta(days=120)).strftime("%d/%m/%Y")
    for body in ["UNIRSE" if spanish else "JOIN", "1", due, "1", "SI" if spanish else "YES"]:
        text(post, body, phone)


def test_full_enrollment_by_text_makes_the_person_active(
    app: Flask, twilio_post: TwilioPost
) -> None:
    assert "Reply 1 if pregnant" in text(twilio_post, "JOIN")[0]
    assert "When is your baby due" in text(twilio_post, "1")[0]
    due = person_today() + dt.timedelta(days=90)
    channel_question = text(twilio_post, due.strftime("%B %d"))[0]
    assert f"{due:%B} {due.day}, {due.year}" in channel_question
    confirmation = text(twilio_post, "2")[0]
    for required in ["BoneLine", "Test Clinic", "3 msgs/week", "Msg & data rates", "HELP", "STOP"]:
        assert required in confirmation
    person = subscriber(app)
    assert person is not None and person.status == "enrolling"
    assert "signed up" in text(twilio_post, "yes")[0]
    person = subscriber(app)
    assert person is not None
    assert (person.status, person.stage, person.channel) == ("active", "pregnant", "voice")
    assert person.due_date == due
    assert person.time_zone == "America/New_York"
    assert (
        count(app, ConsentEvent, action=ConsentAction.OPT_IN, disclosure_id="enroll.confirm") == 1
    )
    # The consent log names the whole catalog's version too: which words they agreed under.
    version = app.extensions["boneline"].texts.catalog.catalog_version
    assert count(app, ConsentEvent, catalog_version=version) == 1


def test_spanish_keyword_enrolls_in_spanish(app: Flask, twilio_post: TwilioPost) -> None:
    assert "Responda 1" in text(twilio_post, "unirse")[0]
    assert "Cuando nace" in text(twilio_post, "1")[0]
    assert "de junio de" in text(twilio_post, "5 de junio")[0]
    confirmation = text(twilio_post, "1")[0]
    for required in ["BoneLine", "Test Clinic", "3 msjs/semana", "tarifas", "AYUDA", "PARAR"]:
        assert required in confirmation
    text(twilio_post, "Sí")
    person = subscriber(app)
    assert person is not None and (person.status, person.language) == ("active", "es")


def test_stop_in_the_middle_of_enrollment_stops_and_logs_consent(
    app: Flask, twilio_post: TwilioPost
) -> None:
    text(twilio_post, "JOIN")
    assert text(twilio_post, " stop ") == [
        "You will get no more messages from BoneLine. Text START to join again."
    ]
    person = subscriber(app)
    assert person is not None and person.status == "stopped"
    assert count(app, ConsentEvent, action=ConsentAction.OPT_OUT) == 1


@pytest.mark.parametrize(
    "word",
    [
        "STOPALL",
        "unsubscribe",
        "Cancel",
        "END",
        "quit",
        "REVOKE",
        "optout",
        "opt out",
        "PARAR",
        "cancelar",
        "Basta",
        "no más",
        "NO MAS",
        "please stop texting me",
    ],
)
def test_every_opt_out_word_stops_an_active_subscriber(
    app: Flask, twilio_post: TwilioPost, word: str
) -> None:
    enroll(twilio_post)
    assert len(text(twilio_post, word)) == 1
    person = subscriber(app)
    assert person is not None and person.status == "stopped"


def test_stop_from_an_unknown_number_is_recorded_as_an_opt_out(
    app: Flask, twilio_post: TwilioPost
) -> None:
    assert len(text(twilio_post, "STOP", phone="+13105550188")) == 1
    person = subscriber(app, "+13105550188")
    assert person is not None and person.status == "stopped"
    assert person.time_zone == "America/Los_Angeles"


def test_start_after_stop_resumes_without_asking_again(app: Flask, twilio_post: TwilioPost) -> None:
    enroll(twilio_post)
    text(twilio_post, "STOP")
    welcome_back = text(twilio_post, "START")[0]
    assert "Welcome back" in welcome_back and "STOP" in welcome_back
    person = subscriber(app)
    assert person is not None and person.status == "active"
    assert count(app, ConsentEvent, action=ConsentAction.OPT_IN) == 2


def test_unstop_before_enrollment_was_finished_starts_enrollment(
    app: Flask, twilio_post: TwilioPost
) -> None:
    text(twilio_post, "JOIN")
    text(twilio_post, "STOP")
    assert "Reply 1 if pregnant" in text(twilio_post, "UNSTOP")[0]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("HELP", "Help: 555-0100"), ("info", "Help: 555-0100"), ("AYUDA", "Ayuda: 555-0100")],
)
def test_help_works_in_every_state(twilio_post: TwilioPost, word: str, expected: str) -> None:
    assert expected in text(twilio_post, word)[0]
    text(twilio_post, "JOIN")
    assert expected in text(twilio_post, word)[0]
    text(twilio_post, "1")
    help_text = text(twilio_post, word)[0]
    assert expected in help_text and "911" in help_text


def test_language_switch_mid_enrollment_asks_the_same_question_in_spanish(
    app: Flask, twilio_post: TwilioPost
) -> None:
    text(twilio_post, "JOIN")
    text(twilio_post, "1")
    switched = text(twilio_post, "ESPAÑOL")
    assert switched[0].startswith("Listo")
    assert "Cuando nace" in switched[1]
    person = subscriber(app)
    assert person is not None and person.language == "es"
    assert text(twilio_post, "english")[0] == "OK, your texts will now be in English."


def test_a_due_date_long_past_is_asked_again_and_one_just_past_is_asked_about(
    twilio_post: TwilioPost,
) -> None:
    text(twilio_post, "JOIN")
    text(twilio_post, "1")
    assert "That day has passed" in text(twilio_post, "a month ago")[0]
    # (A word the model cannot place may also get what to do if a warning sign is happening.)
    assert "could not read" in text(twilio_post, "banana")[-1]
    assert "still pregnant, reply YES" in text(twilio_post, "yesterday")[0]


def test_a_birth_date_in_the_future_or_over_a_year_ago_is_asked_again(
    twilio_post: TwilioPost,
) -> None:
    text(twilio_post, "JOIN")
    text(twilio_post, "2")
    tomorrow = person_today() + dt.timedelta(days=2)
    assert "has not come yet" in text(twilio_post, tomorrow.isoformat())[0]
    long_ago = person_today() - dt.timedelta(days=400)
    assert "more than a year ago" in text(twilio_post, long_ago.isoformat())[0]
    assert "Got it" in text(twilio_post, "today")[0]


def test_born_moves_an_active_subscriber_to_postpartum(app: Flask, twilio_post: TwilioPost) -> None:
    enroll(twilio_post)
    assert "Congratulations" in text(twilio_post, "BORN")[0]
    person = subscriber(app)
    assert person is not None
    assert (person.stage, person.birth_date) == ("postpartum", person_today())


def test_nacio_with_a_spanish_date_records_that_date(app: Flask, twilio_post: TwilioPost) -> None:
    enroll(twilio_post, spanish=True)
    yesterday = person_today() - dt.timedelta(days=1)
    months = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ]
    reply = text(twilio_post, f"NACIÓ {yesterday.day} de {months[yesterday.month - 1]}")[0]
    assert "Felicidades" in reply
    person = subscriber(app)
    assert person is not None and person.birth_date == yesterday


@pytest.mark.parametrize(
    "body", ["", "   ", "🤰💕", "x" * 1600, "y" * 5000, "¿qué?", "<Message>hi</Message>"]
)
def test_anything_unrecognised_gets_a_helpful_reply(twilio_post: TwilioPost, body: str) -> None:
    answer = text(twilio_post, body)
    # Never silence: how to see the menu, "which topic do you mean?" when the model half reads
    # one, or (when it reads a possible warning sign in words it cannot place) what to do if one
    # is happening.
    assert len(answer) == 1
    assert any(word in answer[0] for word in ("MENU", "MENÚ", "Reply", "Responda", "911"))


def test_a_missing_body_gets_a_helpful_reply(twilio_post: TwilioPost) -> None:
    form = sms_form("")
    del form["Body"]
    assert "MENU" in replies(twilio_post("/sms", form))[0]


def test_the_same_message_sid_twice_gets_the_same_reply_and_no_second_effect(
    app: Flask, twilio_post: TwilioPost
) -> None:
    enroll(twilio_post)
    form = sms_form("STOP")
    first = replies(twilio_post("/sms", form))
    second = replies(twilio_post("/sms", form))
    assert first == second and len(first) == 1
    assert count(app, ConsentEvent, action=ConsentAction.OPT_OUT) == 1
    assert count(app, Message, twilio_sid=form["MessageSid"]) == 1


def test_every_inbound_and_outbound_text_is_logged(app: Flask, twilio_post: TwilioPost) -> None:
    text(twilio_post, "JOIN")
    assert count(app, Message, direction=Direction.INBOUND) == 1
    assert count(app, Message, direction=Direction.OUTBOUND) == 1


def test_a_missing_signature_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/sms", data=sms_form("JOIN"))
    assert response.status_code == 403
    assert count(app, Message) == 0


def test_a_wrong_signature_is_refused(app: Flask, client: FlaskClient) -> None:
    form = sms_form("JOIN")
    signature = twilio_signature(PUBLIC_BASE_URL + "/sms", {**form, "Body": "STOP"})
    response = client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert count(app, Subscriber) == 0


def test_a_signature_for_another_auth_token_is_refused(client: FlaskClient) -> None:
    form = sms_form("JOIN")
    signature = twilio_signature(PUBLIC_BASE_URL + "/sms", form, token="f" * 32)
    assert (
        client.post("/sms", data=form, headers={"X-Twilio-Signature": signature}).status_code == 403
    )


@pytest.mark.parametrize("phone", ["", "not-a-number", "+1555"])
def test_a_missing_or_bad_from_number_is_a_400(twilio_post: TwilioPost, phone: str) -> None:
    form = sms_form("JOIN", phone=phone)
    response = twilio_post("/sms", form)
    assert response.status_code == 400
    assert "From" in response.get_data(as_text=True)


def test_twiml_escapes_what_we_echo(twilio_post: TwilioPost) -> None:
    response = twilio_post("/sms", sms_form("</Message><Redirect>http://evil</Redirect>"))
    assert b"<Redirect>" not in response.data
    assert len(replies(response)) == 1


def test_a_message_sid_that_is_not_sid_shaped_is_a_400(twilio_post: TwilioPost) -> None:
    response = twilio_post("/sms", sms_form("JOIN", sid="0" * 500))
    assert response.status_code == 400


def test_a_garbled_zip_code_is_ignored_and_the_area_code_decides(
    app: Flask, twilio_post: TwilioPost
) -> None:
    text(twilio_post, "JOIN", phone="+13105550111", FromZip="9" * 40)
    person = subscriber(app, "+13105550111")
    assert person is not None
    assert (person.zip_code, person.time_zone) == (None, "America/Los_Angeles")


def test_a_twiml_reply_learns_its_sid_and_delivery_status_from_its_callback(
    app: Flask, twilio_post: TwilioPost
) -> None:
    form = sms_form("JOIN")
    response = twilio_post("/sms", form)
    (message,) = ET.fromstring(response.get_data(as_text=True)).findall("Message")
    action = message.get("action") or ""
    assert action == f"/sms/status?reply_to={form['MessageSid']}&n=0"
    reply_sid = "SM" + "e" * 32
    for status in ("sent", "delivered", "sent"):
        callback = {"MessageSid": reply_sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
        assert twilio_post(action, callback).status_code == 204
    with app.extensions["boneline"].db.Session() as session:
        reply = session.scalar(sa.select(Message).where(Message.twilio_sid == reply_sid))
        assert reply is not None
        assert (reply.direction, reply.message_id, reply.status) == (
            "outbound",
            "enroll.ask_stage",
            "delivered",
        )


def test_a_reply_callback_naming_an_unknown_inbound_message_changes_nothing(
    app: Flask, twilio_post: TwilioPost
) -> None:
    text(twilio_post, "JOIN")
    callback = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
    assert twilio_post("/sms/status?reply_to=SMnope&n=0", callback).status_code == 204
    assert count(app, Message, twilio_sid="SM" + "f" * 32) == 0


def test_spanish_replies_are_sent_without_accents_outside_gsm7_and_logged_as_sent(
    app: Flask, twilio_post: TwilioPost
) -> None:
    texts = app.extensions["boneline"].texts
    [reply] = text(twilio_post, "unirse")
    written = texts.render("enroll.ask_stage", "es")
    assert "¿Está embarazada" in written  # the catalog keeps the accent (the voice reads it)
    assert reply == texts.sms("enroll.ask_stage", "es")
    assert "¿Esta embarazada" in reply and "bebé" in reply  # é is GSM-7 and stays
    with app.extensions["boneline"].db.Session() as session:
        logged = session.scalar(
            sa.select(Message.body).where(Message.direction == Direction.OUTBOUND)
        )
    assert logged == reply
