"""The care team reaches the person: own accounts, showing the number with a trace, calling
through the clinic's line, texting from the program's number, the thread and the timeline."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html import unescape
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from scheduler.jobs import send_job
from service.config import load_settings
from service.domain.clock import utcnow
from service.flows.care_queue import escalation_page
from service.gateway.sender import TwilioSender
from service.store import consent, staff
from service.store.db import Database
from service.store.models import AccessEntry, CareContact, ConsentEvent, Message, Subscriber
from service.vocabulary import (
    ConsentAction,
    ContactKind,
    Direction,
    MessageStatus,
    StaffRole,
    Status,
)
from service.web import create_app
from service.words.texts import Texts
from tests.conftest import PUBLIC_BASE_URL, TwilioPost, app_config, twilio_signature
from tests.support.care_helpers import (
    NURSE_PASSWORD,
    NURSE_PHONE,
    PERSON_PHONE,
    SHARED_PASSWORD,
    add_escalation,
    add_staff,
    form_post,
    log_in,
    use_fast_password_hashing,
)
from tests.support.sms_helpers import sms_form
from tests.support.twilio_servers import (
    TEST_ACCOUNT_SID,
    TEST_FROM_NUMBER,
    FakeTwilio,
)

FULL_NUMBER = "2125550143"
T = TypeVar("T")


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes, so logging in does not dominate the run."""
    use_fast_password_hashing(monkeypatch)


def reach_config(
    database: Database, fake_twilio: FakeTwilio, **overrides: object
) -> dict[str, Any]:
    """The app with the care page on, sending through the fake Twilio server."""
    return app_config(
        database.url,
        CARE_TEAM_PASSWORD=SHARED_PASSWORD,
        SECRET_KEY="test secret key",
        TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
        TWILIO_PHONE_NUMBER=TEST_FROM_NUMBER,
        TWILIO_API_BASE_URL=fake_twilio.base_url,
        TWILIO_TIMEOUT_SECONDS=5,
        **overrides,
    )


@pytest.fixture
def reach_app(database: Database, fake_twilio: FakeTwilio) -> Iterator[Flask]:
    """The care page, with Twilio at the fake server."""
    app = create_app(reach_config(database, fake_twilio))
    yield app
    app.extensions["boneline"].db.dispose()


@pytest.fixture
def escalation_id(database: Database) -> int:
    """An open escalation reported a minute ago."""
    return add_escalation(
        database, phone=PERSON_PHONE, created_at=utcnow() - dt.timedelta(minutes=1)
    )


@pytest.fixture
def nurse(reach_app: Flask, database: Database) -> FlaskClient:
    """A nurse with her own account and phone, logged in."""
    add_staff(database, "Ana", StaffRole.NURSE)
    client = reach_app.test_client()
    assert log_in(client, "Ana", NURSE_PASSWORD).status_code == 302
    return client


@pytest.fixture
def viewer(reach_app: Flask) -> FlaskClient:
    """Someone logged in with the shared demo password."""
    client = reach_app.test_client()
    assert log_in(client, "Demo Dee", SHARED_PASSWORD).status_code == 302
    return client


def html(client: FlaskClient, path: str, status: int = 200) -> str:
    """A page's HTML (character references read as the characters), checking its status."""
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return unescape(response.get_data(as_text=True))


def detail(escalation_id: int) -> str:
    """An escalation's page."""
    return f"/care/escalations/{escalation_id}"


def rows(database: Database, model: type[T]) -> list[T]:
    """Every row of one model."""
    with database.Session() as session:
        return list(session.scalars(sa.select(model)))


def twiml(response_text: str) -> ET.Element:
    """A TwiML answer, parsed."""
    return ET.fromstring(response_text)


# --- accounts, roles, idle time ------------------------------------------------------------


def test_a_nurse_logs_in_with_her_own_account_and_sees_her_role(nurse: FlaskClient) -> None:
    page = html(nurse, "/care")
    assert "Logged in as Ana (nurse)" in page
    assert "Access log" not in page  # an admin's page only


def test_a_name_with_an_account_must_use_its_own_password(
    reach_app: Flask, database: Database
) -> None:
    add_staff(database, "Ana")
    assert log_in(reach_app.test_client(), "ana", SHARED_PASSWORD).status_code == 401
    assert log_in(reach_app.test_client(), " ANA ", NURSE_PASSWORD).status_code == 302


def test_the_shared_password_may_look_but_not_show_call_or_text(
    viewer: FlaskClient, database: Database, escalation_id: int, fake_twilio: FakeTwilio
) -> None:
    page = html(viewer, detail(escalation_id))
    assert "(view only)" in page
    assert "Show number" not in page and "Call now" not in page and "Send text" not in page
    assert "need your own nurse or admin account" in page
    for action in ("reveal", "call", "text"):
        response = form_post(
            viewer, f"{detail(escalation_id)}/{action}", detail(escalation_id), words="hello"
        )
        assert response.status_code == 302
    assert "Only nurses and admins with their own account" in html(viewer, detail(escalation_id))
    assert FULL_NUMBER not in html(viewer, detail(escalation_id))
    assert rows(database, AccessEntry) == [] and rows(database, CareContact) == []
    assert fake_twilio.requests == []


def test_every_new_form_needs_the_form_token(
    nurse: FlaskClient, database: Database, escalation_id: int, fake_twilio: FakeTwilio
) -> None:
    for action in ("reveal", "call", "text"):
        response = nurse.post(f"{detail(escalation_id)}/{action}", data={"words": "hello"})
        assert response.status_code == 400
    assert nurse.post("/care/password", data={"current": "x", "new": "y"}).status_code == 400
    assert rows(database, AccessEntry) == [] and fake_twilio.requests == []


def test_a_login_ends_after_the_clinics_idle_time_and_refreshing_does_not_count(
    database: Database, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(reach_config(database, fake_twilio, CARE_IDLE_MINUTES=20))
    client = app.test_client()
    start = utcnow()
    clock = {"now": start}
    monkeypatch.setattr("service.web.care.utcnow", lambda: clock["now"])
    assert log_in(client, "Nurse Ana").status_code == 302
    clock["now"] = start + dt.timedelta(minutes=15)
    assert client.get("/care").status_code == 200  # a click: idle time starts again
    clock["now"] = start + dt.timedelta(minutes=34)
    assert client.get("/care/open-rows").status_code == 200  # the list refreshing itself
    clock["now"] = start + dt.timedelta(minutes=36)
    assert client.get("/care/open-rows").status_code == 401  # 21 minutes since the last click
    response = client.get("/care/program")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/care/login")
    assert "logged out after 20 minutes without activity" in html(client, "/care/login")
    app.extensions["boneline"].db.dispose()


def test_a_disabled_account_is_logged_out_at_once(nurse: FlaskClient, database: Database) -> None:
    assert nurse.get("/care").status_code == 200
    with database.Session.begin() as session:
        assert staff.disable(session, "Ana", utcnow())
    response = nurse.get("/care")
    assert response.status_code == 302
    assert "Your account is disabled" in html(nurse, "/care/login")
    assert log_in(nurse, "Ana", NURSE_PASSWORD).status_code == 401


def test_a_one_time_password_must_be_replaced_before_anything_else(
    reach_app: Flask, database: Database
) -> None:
    add_staff(database, "Bo", StaffRole.ADMIN, password="one time 1234", temporary=True)
    client = reach_app.test_client()
    response = log_in(client, "Bo", "one time 1234")
    assert response.headers["Location"] == "/care/password"
    assert client.get("/care").headers["Location"] == "/care/password"
    assert "You logged in with a one-time password" in html(client, "/care/password")

    def change(current: str, new: str, repeat: str) -> int:
        fields = {"current": current, "new": new, "repeat": repeat}
        return form_post(client, "/care/password", "/care/password", **fields).status_code

    assert change("wrong", "bo's own long password", "bo's own long password") == 400
    assert change("one time 1234", "short", "short") == 400
    assert change("one time 1234", "bo's own long password", "something else") == 400
    assert change("one time 1234", "bo's own long password", "bo's own long password") == 302
    assert client.get("/care").status_code == 200
    fresh = reach_app.test_client()
    assert log_in(fresh, "Bo", "one time 1234").status_code == 401
    assert log_in(fresh, "Bo", "bo's own long password").headers["Location"] == "/care"


# --- show number ----------------------------------------------------------------------------


def test_show_number_gives_a_tel_link_and_records_who_saw_it_and_when(
    nurse: FlaskClient, database: Database, escalation_id: int
) -> None:
    before = html(nurse, detail(escalation_id))
    assert "***0143" in before and FULL_NUMBER not in before
    response = form_post(nurse, f"{detail(escalation_id)}/reveal", detail(escalation_id))
    assert response.headers["Location"] == f"{detail(escalation_id)}#reach"
    after = html(nurse, detail(escalation_id))
    assert 'href="tel:+12125550143"' in after and "+1 212-555-0143" in after
    (entry,) = rows(database, AccessEntry)
    with database.Session() as session:
        ana = staff.find_by_name(session, "Ana")
    assert ana is not None and entry.staff_id == ana.id and entry.escalation_id == escalation_id
    assert utcnow() - entry.seen_at < dt.timedelta(minutes=1)
    # Everywhere else the number stays masked.
    for path in ("/care", "/care/open-rows", "/care/program", "/care/handled?last4=0143"):
        assert FULL_NUMBER not in html(nurse, path), path
    # A new login starts with the number hidden again.
    form_post(nurse, "/care/logout", "/care")
    log_in(nurse, "Ana", NURSE_PASSWORD)
    assert FULL_NUMBER not in html(nurse, detail(escalation_id))


def test_only_admins_read_the_access_log_and_it_holds_no_number_or_words(
    reach_app: Flask, nurse: FlaskClient, database: Database, escalation_id: int
) -> None:
    form_post(nurse, f"{detail(escalation_id)}/reveal", detail(escalation_id))
    assert nurse.get("/care/access-log").status_code == 403
    add_staff(database, "Cy", StaffRole.ADMIN, phone=None, password="cy's own long password")
    admin = reach_app.test_client()
    log_in(admin, "Cy", "cy's own long password")
    page = html(admin, "/care/access-log")
    assert "Access log" in page and 'Ana <span class="muted">(nurse)</span>' in page
    assert f"Escalation {escalation_id}</a>: Severe back pain" in page
    assert FULL_NUMBER not in page and "***" not in page and "my back hurts" not in page
    assert "1 entry" in html(admin, "/care/access-log?name=ana")
    assert "0 entries" in html(admin, "/care/access-log?name=Cy")
    assert "1 entry" in html(admin, f"/care/access-log?escalation={escalation_id}")
    columns = {column.name for column in AccessEntry.__table__.columns}
    assert columns == {"id", "staff_id", "escalation_id", "seen_at"}


def test_an_erased_number_cannot_be_shown(nurse: FlaskClient, database: Database) -> None:
    erased = add_escalation(database, phone="", detail="(erased at the person's request)")
    assert "asked us to erase their number" in html(nurse, detail(erased))
    form_post(nurse, f"{detail(erased)}/reveal", detail(erased))
    assert rows(database, AccessEntry) == []


# --- call now -------------------------------------------------------------------------------


def bridge_post(client: FlaskClient, path: str, params: dict[str, str]) -> str:
    """Post a bridge webhook signed like Twilio; its body."""
    signature = twilio_signature(PUBLIC_BASE_URL + path, params)
    response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_call_now_rings_the_nurse_then_dials_the_person_with_the_programs_number(
    nurse: FlaskClient, reach_app: Flask, database: Database, fake_twilio: FakeTwilio
) -> None:
    escalation = add_escalation(
        database, phone=PERSON_PHONE, language="es", created_at=utcnow() - dt.timedelta(minutes=3)
    )
    response = form_post(nurse, f"{detail(escalation)}/call", detail(escalation))
    assert response.status_code == 302
    assert "Your phone (***0101) will ring now" in html(nurse, detail(escalation))
    (request,) = fake_twilio.call_requests()
    (contact,) = rows(database, CareContact)
    bridge = f"{PUBLIC_BASE_URL}/voice/bridge"
    assert request.params["To"] == NURSE_PHONE and request.params["From"] == TEST_FROM_NUMBER
    assert request.params["Url"] == f"{bridge}?contact={contact.id}"
    assert request.params["StatusCallback"] == f"{bridge}/status?contact={contact.id}&leg=staff"
    assert request.form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert PERSON_PHONE not in str(request.form)  # Twilio learns the person's number only later
    assert contact.kind is ContactKind.CALL and contact.escalation_id == escalation
    staff_sid = contact.staff_call_sid
    assert staff_sid and staff_sid.startswith("CA")

    twilio = reach_app.test_client()
    call = {"CallSid": staff_sid, "From": TEST_FROM_NUMBER, "To": NURSE_PHONE}
    bridge_post(
        twilio,
        f"/voice/bridge/status?contact={contact.id}&leg=staff",
        {**call, "CallStatus": "ringing"},
    )
    assert "Ringing Ana's phone." in html(nurse, detail(escalation))
    answered = twiml(bridge_post(twilio, f"/voice/bridge?contact={contact.id}", call))
    gather = answered.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert gather.get("action") == f"{bridge}/connect?contact={contact.id}&tries=0"
    assert "press 1" in "".join(gather.itertext())
    connected = twiml(
        bridge_post(
            twilio, f"/voice/bridge/connect?contact={contact.id}&tries=0", {**call, "Digits": "1"}
        )
    )
    dial = connected.find("Dial")
    assert dial is not None and dial.get("callerId") == TEST_FROM_NUMBER
    assert dial.get("action") == f"{bridge}/dialed?contact={contact.id}"
    number = dial.find("Number")
    assert number is not None and number.text == PERSON_PHONE
    assert number.get("statusCallback") == f"{bridge}/status?contact={contact.id}&leg=person"
    assert number.get("statusCallbackEvent") == "initiated ringing answered completed"
    assert number.get("url") == f"{bridge}/whisper?contact={contact.id}"
    whisper = twiml(
        bridge_post(
            twilio, f"/voice/bridge/whisper?contact={contact.id}", {"CallSid": "CA" + "1" * 32}
        )
    )
    say = whisper.find("Say")
    assert say is not None and say.get("language") == "es-US"  # the person's language
    assert "equipo de salud" in "".join(say.itertext())

    person = {"CallSid": "CA" + "2" * 32, "From": TEST_FROM_NUMBER, "To": PERSON_PHONE}
    status = f"/voice/bridge/status?contact={contact.id}&leg=person"
    bridge_post(twilio, status, {**person, "CallStatus": "ringing"})
    bridge_post(twilio, status, {**person, "CallStatus": "in-progress"})
    assert "Talking now." in html(nurse, detail(escalation))
    bridge_post(twilio, status, {**person, "CallStatus": "completed", "CallDuration": "192"})
    # Repeated and late callbacks change nothing.
    bridge_post(twilio, status, {**person, "CallStatus": "completed", "CallDuration": "5"})
    bridge_post(twilio, status, {**person, "CallStatus": "ringing"})
    page = html(nurse, detail(escalation))
    assert "Call by Ana" in page and "They answered. The call lasted 3 min 12 s." in page
    (contact,) = rows(database, CareContact)
    assert contact.person_call_status is MessageStatus.COMPLETED and contact.duration_seconds == 192
    ended = twiml(
        bridge_post(
            twilio,
            f"/voice/bridge/dialed?contact={contact.id}",
            {**call, "DialCallStatus": "completed"},
        )
    )
    assert "The call has ended" in "".join(ended.itertext()) and ended.find("Hangup") is not None


@pytest.mark.parametrize(
    ("person_status", "shown", "heard"),
    [
        ("no-answer", "They did not answer.", "They did not answer."),
        ("busy", "Their line was busy.", "Their line is busy."),
        ("failed", "The call to them did not go through.", "The call did not go through."),
    ],
)
def test_a_call_they_do_not_answer_is_shown_and_said(
    nurse: FlaskClient,
    reach_app: Flask,
    database: Database,
    escalation_id: int,
    person_status: str,
    shown: str,
    heard: str,
) -> None:
    form_post(nurse, f"{detail(escalation_id)}/call", detail(escalation_id))
    (contact,) = rows(database, CareContact)
    twilio = reach_app.test_client()
    person = {"CallSid": "CA" + "3" * 32, "CallStatus": person_status}
    bridge_post(twilio, f"/voice/bridge/status?contact={contact.id}&leg=person", person)
    assert shown in html(nurse, detail(escalation_id))
    said = bridge_post(
        twilio,
        f"/voice/bridge/dialed?contact={contact.id}",
        {"CallSid": contact.staff_call_sid or "", "DialCallStatus": person_status},
    )
    assert heard in said


def test_the_nurses_phone_not_answering_means_the_person_is_never_called(
    nurse: FlaskClient, reach_app: Flask, database: Database, escalation_id: int
) -> None:
    form_post(nurse, f"{detail(escalation_id)}/call", detail(escalation_id))
    (contact,) = rows(database, CareContact)
    staff_leg = {"CallSid": contact.staff_call_sid or "", "CallStatus": "no-answer"}
    bridge_post(
        reach_app.test_client(), f"/voice/bridge/status?contact={contact.id}&leg=staff", staff_leg
    )
    assert "Ana's phone did not answer, so the person was not called." in html(
        nurse, detail(escalation_id)
    )


def test_the_bridge_asks_again_then_ends_without_a_one_and_never_serves_another_call(
    nurse: FlaskClient, reach_app: Flask, database: Database, escalation_id: int
) -> None:
    form_post(nurse, f"{detail(escalation_id)}/call", detail(escalation_id))
    (contact,) = rows(database, CareContact)
    twilio = reach_app.test_client()
    call = {"CallSid": contact.staff_call_sid or ""}
    again = twiml(
        bridge_post(
            twilio, f"/voice/bridge/connect?contact={contact.id}&tries=0", {**call, "Digits": ""}
        )
    )
    assert again.find("Gather") is not None and again.find(".//Dial") is None
    done = twiml(
        bridge_post(
            twilio, f"/voice/bridge/connect?contact={contact.id}&tries=1", {**call, "Digits": "7"}
        )
    )
    assert done.find(".//Dial") is None and done.find("Hangup") is not None
    # Another call's CallSid, or a contact that is not a call, is never connected.
    other = {"CallSid": "CA" + "9" * 32, "Digits": "1"}
    refused = twiml(
        bridge_post(twilio, f"/voice/bridge/connect?contact={contact.id}&tries=0", other)
    )
    assert refused.find(".//Dial") is None and "cannot go through" in "".join(refused.itertext())
    missing = twiml(bridge_post(twilio, "/voice/bridge?contact=999", call))
    assert missing.find("Gather") is None and missing.find("Hangup") is not None


def test_every_bridge_webhook_needs_twilios_signature(reach_app: Flask) -> None:
    client = reach_app.test_client()
    for path in ("", "/connect", "/dialed", "/whisper", "/status"):
        response = client.post(
            f"/voice/bridge{path}?contact=1&leg=staff",
            data={"CallSid": "CA" + "1" * 32, "CallStatus": "completed"},
        )
        assert response.status_code == 403, path


def test_call_now_needs_a_phone_on_the_account_and_an_open_escalation(
    reach_app: Flask, database: Database, escalation_id: int, fake_twilio: FakeTwilio
) -> None:
    add_staff(database, "Dee", StaffRole.NURSE, phone=None, password="dee's own long password")
    client = reach_app.test_client()
    log_in(client, "Dee", "dee's own long password")
    assert "Your account has no phone for Call now to ring" in html(client, detail(escalation_id))
    form_post(client, f"{detail(escalation_id)}/call", detail(escalation_id))
    assert "no phone number for Call now to ring" in html(client, detail(escalation_id))
    handled = add_escalation(
        database, phone=PERSON_PHONE, handled_at=utcnow(), handled_by="Bo", note="ok"
    )
    with database.Session.begin() as session:
        account = staff.find_by_name(session, "Dee")
        assert account is not None
        staff.set_phone(session, account.id, NURSE_PHONE, utcnow())
    form_post(client, f"{detail(handled)}/call", detail(handled))
    assert "Calls and texts from the page are for open ones" in html(client, detail(handled))
    assert fake_twilio.requests == [] and rows(database, CareContact) == []


def test_a_call_twilio_refuses_is_shown_as_not_placed(
    nurse: FlaskClient, database: Database, escalation_id: int, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.queue_http_error(503)
    form_post(nurse, f"{detail(escalation_id)}/call", detail(escalation_id))
    page = html(nurse, detail(escalation_id))
    assert "The call could not be placed (HTTP 503, Twilio code 20503)" in page
    assert "The call could not be placed." in page
    (contact,) = rows(database, CareContact)
    assert contact.error == "HTTP 503, Twilio code 20503" and contact.staff_call_sid is None


# --- send a text ----------------------------------------------------------------------------


def send(client: FlaskClient, escalation: int, words: str) -> int:
    """Send a text from the escalation's page; the answer's status."""
    return form_post(
        client, f"{detail(escalation)}/text", detail(escalation), words=words
    ).status_code


def test_a_text_goes_from_the_programs_number_and_is_logged_in_their_history(
    nurse: FlaskClient,
    reach_app: Flask,
    database: Database,
    escalation_id: int,
    fake_twilio: FakeTwilio,
) -> None:
    assert send(nurse, escalation_id, "How is your back today?  We can talk now.") == 302
    (request,) = fake_twilio.message_requests()
    body = "BoneLine care team: How is your back today? We can talk now."
    assert request.params == {
        "To": PERSON_PHONE,
        "From": TEST_FROM_NUMBER,
        "Body": body,
        "StatusCallback": f"{PUBLIC_BASE_URL}/sms/status",
    }
    (logged,) = [row for row in rows(database, Message) if row.message_id == "care.text"]
    assert logged.direction is Direction.OUTBOUND and logged.phone == PERSON_PHONE
    assert logged.body == body and logged.status is MessageStatus.SUBMITTED
    (contact,) = rows(database, CareContact)
    assert contact.kind is ContactKind.TEXT and contact.message_row_id == logged.id
    page = html(nurse, detail(escalation_id))
    assert "Your text was sent." in page and "Text from Ana" in page and body in page
    twilio = reach_app.test_client()
    callback = {"MessageSid": logged.twilio_sid or "", "MessageStatus": "delivered"}
    signature = twilio_signature(f"{PUBLIC_BASE_URL}/sms/status", callback)
    twilio.post("/sms/status", data=callback, headers={"X-Twilio-Signature": signature})
    assert "delivered" in html(nurse, f"{detail(escalation_id)}/thread")


def test_a_text_to_a_spanish_speaker_says_who_it_is_from_in_spanish(
    nurse: FlaskClient, database: Database, fake_twilio: FakeTwilio
) -> None:
    spanish = add_escalation(database, phone=PERSON_PHONE, language="es")
    assert send(nurse, spanish, "¿Cómo está su espalda?") == 302
    (request,) = fake_twilio.message_requests()
    # Sent in its GSM-7 form: ó becomes o, ¿ stays.
    assert request.params["Body"] == "Su equipo de BoneLine: ¿Como esta su espalda?"


@pytest.mark.parametrize("stopped_how", ["subscriber", "stranger"])
def test_a_text_is_refused_when_they_said_stop(
    nurse: FlaskClient,
    database: Database,
    escalation_id: int,
    fake_twilio: FakeTwilio,
    stopped_how: str,
) -> None:
    with database.Session.begin() as session:
        if stopped_how == "subscriber":
            session.add(Subscriber(phone=PERSON_PHONE, status=Status.STOPPED))
        else:
            consent.record_opt_out(
                session,
                None,
                PERSON_PHONE,
                channel="sms",  # type: ignore[arg-type]
                disclosure_id="stop",
                disclosure_version="1",
                language="en",
                evidence="STOP",
                now=utcnow(),
            )
    page = html(nurse, detail(escalation_id))
    assert (
        "They replied STOP, so they cannot get texts" in page and "Send text</button>" not in page
    )
    assert send(nurse, escalation_id, "Are you OK?") == 302
    assert "They replied STOP" in html(nurse, detail(escalation_id))
    assert fake_twilio.requests == [] and rows(database, CareContact) == []
    assert [row for row in rows(database, Message) if row.message_id == "care.text"] == []


def test_a_text_over_two_messages_is_refused_and_the_words_are_kept(
    nurse: FlaskClient, database: Database, escalation_id: int, fake_twilio: FakeTwilio
) -> None:
    words = "Please call us back today. " * 12  # about 320 characters
    response = form_post(nurse, f"{detail(escalation_id)}/text", detail(escalation_id), words=words)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "That text is too long: it would take 3 text messages, and the most is 2." in page
    assert "Please call us back today. Please call us back today." in page
    # One emoji makes it UCS-2 (70 characters a message): a shorter text is already too long.
    emoji = form_post(
        nurse, f"{detail(escalation_id)}/text", detail(escalation_id), words="Hi 🙂 " * 30
    )
    assert emoji.status_code == 400
    assert (
        form_post(
            nurse, f"{detail(escalation_id)}/text", detail(escalation_id), words="  "
        ).status_code
        == 400
    )
    assert fake_twilio.requests == []


def test_a_text_twilio_cannot_take_now_waits_in_the_outbox_and_goes_once(
    nurse: FlaskClient, database: Database, escalation_id: int, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.queue_http_error(503)
    assert send(nurse, escalation_id, "We tried to call you.") == 302
    assert "your text waits in the outbox" in html(nurse, detail(escalation_id))
    (logged,) = [row for row in rows(database, Message) if row.message_id == "care.text"]
    assert logged.status is MessageStatus.WAITING
    settings = load_settings(reach_config(database, fake_twilio))
    sender = TwilioSender(settings)
    try:
        for _ in range(2):
            send_job(database, settings, Texts.from_settings(settings), sender, utcnow())
    finally:
        sender.close()
    assert len(fake_twilio.message_requests()) == 2  # the refused try, then the outbox's one
    (logged,) = [row for row in rows(database, Message) if row.message_id == "care.text"]
    assert logged.status is MessageStatus.SUBMITTED and logged.twilio_sid


def test_a_stop_at_the_carrier_is_recorded_and_the_next_text_is_refused(
    nurse: FlaskClient, database: Database, escalation_id: int, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.queue_twilio_error(21610)
    assert send(nurse, escalation_id, "Are you OK?") == 302
    assert "Twilio refused the text" in html(nurse, detail(escalation_id))
    (event,) = rows(database, ConsentEvent)
    assert event.action is ConsentAction.OPT_OUT and event.phone == PERSON_PHONE
    send(nurse, escalation_id, "Are you OK now?")
    assert len(fake_twilio.message_requests()) == 1


def test_their_replies_show_in_the_thread_newest_last_and_get_the_usual_answers(
    nurse: FlaskClient, database: Database, escalation_id: int, twilio_post: TwilioPost
) -> None:
    send(nurse, escalation_id, "How are you feeling now?")
    reply = twilio_post("/sms", sms_form("HELP", phone=PERSON_PHONE))
    assert reply.status_code == 200 and "<Message" in reply.get_data(as_text=True)  # its answer
    later = twilio_post("/sms", sms_form("better now, thank you", phone=PERSON_PHONE))
    assert later.status_code == 200
    thread = html(nurse, f"{detail(escalation_id)}/thread")
    kinds = re.findall(r'data-kind="(\w+)"', thread)
    assert kinds[:1] == ["care_text"]
    assert kinds[1:3] == ["person", "automatic"]
    assert kinds[3] == "person" and thread.index("HELP") < thread.index("better now, thank you")
    assert "BoneLine&#39;s automatic answer" in thread or "BoneLine's automatic answer" in thread


def test_the_thread_ends_when_the_escalation_is_handled(
    nurse: FlaskClient, database: Database, escalation_id: int, twilio_post: TwilioPost
) -> None:
    twilio_post("/sms", sms_form("still sore", phone=PERSON_PHONE))
    form_post(nurse, f"{detail(escalation_id)}/handle", detail(escalation_id), note="Called back")
    twilio_post("/sms", sms_form("thanks for calling", phone=PERSON_PHONE))
    page = html(nurse, detail(escalation_id))
    assert "still sore" in page and "thanks for calling" not in page
    assert "Send text</button>" not in page and "Call now</button>" not in page
    assert send(nurse, escalation_id, "one more thing") == 302
    assert "Calls and texts from the page are for open ones" in html(nurse, detail(escalation_id))


# --- the timeline ---------------------------------------------------------------------------


def test_the_timeline_shows_each_step_in_the_clinics_time(
    nurse: FlaskClient, database: Database, monkeypatch: pytest.MonkeyPatch, fake_twilio: FakeTwilio
) -> None:
    reported = dt.datetime(2026, 11, 23, 22, 0)  # 5:00 PM in New York
    escalation = add_escalation(
        database,
        phone=PERSON_PHONE,
        created_at=reported,
        alerted_at=reported + dt.timedelta(minutes=1),
    )
    clock = {"now": reported + dt.timedelta(minutes=4)}
    monkeypatch.setattr("service.web.care.utcnow", lambda: clock["now"])
    monkeypatch.setattr("service.web.care_reach.utcnow", lambda: clock["now"])
    page = html(nurse, detail(escalation))
    assert "Alert delivered</strong>" in page and "5:01 PM EST" in page
    assert "(1 min after the report, by the webhook)" in page
    assert "(4 min after the report, by Ana)" in page
    clock["now"] = reported + dt.timedelta(minutes=9)
    send(nurse, escalation, "Calling you in a minute.")
    clock["now"] = reported + dt.timedelta(minutes=35)
    html(nurse, "/care")  # (a click, so the login does not sit idle for 30 minutes)
    clock["now"] = reported + dt.timedelta(hours=1, minutes=2)
    form_post(nurse, f"{detail(escalation)}/handle", detail(escalation), note="Talked, advised ER")
    page = html(nurse, detail(escalation))
    timeline = page[page.index('id="timeline"') :]
    steps = re.findall(r"<strong>([^<]+)</strong>", timeline)[:5]
    assert steps == ["Reported", "Alert delivered", "First viewed", "First call or text", "Handled"]
    assert "5:09 PM EST" in timeline and "(9 min after the report, a text by Ana)" in timeline
    assert "6:02 PM EST" in timeline and "(1 h 2 min after the report, by Ana)" in timeline


def test_the_first_look_is_recorded_once_and_later_steps_wait(database: Database) -> None:
    escalation = add_escalation(database, phone=PERSON_PHONE)
    found = escalation_page(database.Session, escalation, "Ana", utcnow())
    assert found is not None and found.timeline.first_viewed_by == "Ana"
    again = escalation_page(database.Session, escalation, "Bo", utcnow() + dt.timedelta(hours=1))
    assert again is not None and again.timeline.first_viewed_by == "Ana"
    assert again.timeline.first_contact_at is None and again.timeline.handled_at is None


def test_call_now_needs_the_public_address_twilio_fetches_the_bridge_from(
    database: Database, fake_twilio: FakeTwilio, escalation_id: int
) -> None:
    app = create_app(reach_config(database, fake_twilio, PUBLIC_BASE_URL=""))
    add_staff(database, "Ana")
    client = app.test_client()
    log_in(client, "Ana", NURSE_PASSWORD)
    form_post(client, f"{detail(escalation_id)}/call", detail(escalation_id))
    assert "a public address (PUBLIC_BASE_URL)" in html(client, detail(escalation_id))
    assert fake_twilio.requests == [] and rows(database, CareContact) == []
    app.extensions["boneline"].db.dispose()


def test_the_thread_starts_at_the_text_that_raised_the_flag(
    nurse: FlaskClient, database: Database
) -> None:
    # The simulator's clock stands still while you type: earlier texts can share the second.
    moment = utcnow() - dt.timedelta(minutes=5)
    with database.Session.begin() as session:
        for body, direction in (
            ("JOIN", Direction.INBOUND),
            ("Welcome", Direction.OUTBOUND),
            ("I have severe back pain", Direction.INBOUND),
            ("Call your provider today.", Direction.OUTBOUND),
        ):
            session.add(
                Message(phone=PERSON_PHONE, direction=direction, body=body, created_at=moment)
            )
    escalation = add_escalation(
        database, phone=PERSON_PHONE, detail="I have severe back pain", created_at=moment
    )
    thread = html(nurse, f"{detail(escalation)}/thread")
    assert "JOIN" not in thread and "Welcome" not in thread
    assert thread.index("I have severe back pain") < thread.index("Call your provider today.")


def test_without_twilio_the_demo_prints_what_it_would_send_and_says_so(
    database: Database, escalation_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(app_config(database.url, SECRET_KEY="k", TWILIO_PHONE_NUMBER=TEST_FROM_NUMBER))
    add_staff(database, "Ana")
    client = app.test_client()
    log_in(client, "Ana", NURSE_PASSWORD)
    assert send(client, escalation_id, "How are you?") == 302
    form_post(client, f"{detail(escalation_id)}/call", detail(escalation_id))
    page = html(client, detail(escalation_id))
    assert "Twilio is not set up here (local demo)" in page
    printed = capsys.readouterr().out
    assert "would send to ***0143: BoneLine care team: How are you?" in printed
    assert "would call the care team member at ***0101, then the person" in printed
    assert FULL_NUMBER not in printed
    app.extensions["boneline"].db.dispose()
