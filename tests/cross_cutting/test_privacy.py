"""Logs never hold a full phone number, what a person wrote or said, or a secret."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from service.config import load_settings
from service.store.db import Database
from service.store.models import CareContact
from service.tools.cli import main
from service.vocabulary import StaffRole
from service.web import create_app
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, app_config, twilio_signature
from tests.support.care_helpers import (
    NURSE_PASSWORD,
    SHARED_PASSWORD,
    add_escalation,
    add_staff,
    csrf_token,
    form_post,
    log_in,
    use_fast_password_hashing,
)
from tests.support.sms_helpers import sms_form
from tests.support.voice_helpers import call_form, placed_call_form

PHONE = "+13125550199"
CALLER = "+14155550123"
SECRET_KEY = "s3cr3t-key-that-must-never-be-logged-0123456789"
DUE = dt.date.today() + dt.timedelta(days=90)
TEXTS = [
    "JOIN",
    "1",
    DUE.strftime("%B %d"),
    "1",
    "YES",
    "my back hurts so bad",
    "how much calcium do I need",
    "ESPAÑOL",
    "STOP",
    "START",
    "DELETE",
    # The same words 14 times: loop protection holds the last two (and logs that it did).
    *[f"private auto reply number {n}" for n in range(14)],
]
WORDS_NEVER_LOGGED = [
    "my back hurts",
    "how much calcium",
    "private auto reply",
    "I slipped on the ice",
    "called her sister",
    "Nurse Ana",
    "call us back",
]
NUMBERS_NEVER_LOGGED = ["3125550199", "5550199", "4155550123", "5550123"]


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record, at every level, from every logger."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


@pytest.fixture
def privacy_app(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with the care page on and every secret set."""
    use_fast_password_hashing(monkeypatch)
    app = create_app(
        app_config(database.url, CARE_TEAM_PASSWORD=SHARED_PASSWORD, SECRET_KEY=SECRET_KEY)
    )
    yield app
    app.extensions["boneline"].db.dispose()


def post(client: FlaskClient, path: str, form: dict[str, str]) -> int:
    """Post a signed webhook; its status."""
    signature = twilio_signature(PUBLIC_BASE_URL + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code


def scan(records: list[logging.LogRecord]) -> str:
    """Everything the records would print, exceptions included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in records)


def assert_private(logged_text: str) -> None:
    """No number, no words, no secret."""
    assert logged_text, "expected the flows to log something"
    for number in NUMBERS_NEVER_LOGGED:
        assert number not in logged_text, number
    for words in WORDS_NEVER_LOGGED:
        assert words not in logged_text, words
    for secret in (AUTH_TOKEN, SECRET_KEY, SHARED_PASSWORD):
        assert secret not in logged_text


def test_texts_calls_and_the_care_page_log_no_number_words_or_secret(
    privacy_app: Flask, logged: pytest.LogCaptureFixture
) -> None:
    client = privacy_app.test_client()
    for body in TEXTS:
        assert post(client, "/sms", sms_form(body, phone=PHONE)) == 200
    assert post(client, "/sms", sms_form("I slipped on the ice", phone=PHONE)) == 200
    assert post(client, "/sms", {"From": "not a number", "Body": "my back hurts"}) == 400
    call = [
        ("/voice", {}),
        ("/voice/menu?lang=en&node=main", {"SpeechResult": "my back hurts"}),
        ("/voice/menu?lang=en&node=offer&about=tip_calcium", {"Digits": "1"}),
        ("/voice/menu?lang=en&node=sub_date&stage=pregnant", {"SpeechResult": "June 5"}),
        (
            f"/voice/menu?lang=en&node=sub_consent&stage=pregnant&channel=sms&date={DUE}",
            {"Digits": "1"},
        ),
        ("/voice/menu?lang=en&node=stop", {"SpeechResult": "yes stop everything"}),
    ]
    for path, extra in call:
        assert post(client, path, call_form(phone=CALLER, **extra)) == 200
    reminder = "/voice/reminder/answer?message=checkin.week6&lang=en"
    assert post(client, reminder, placed_call_form(phone=CALLER, Digits="1")) == 200
    assert post(client, "/sms", sms_form("forged", phone=PHONE) | {"Extra": "x"}) == 200
    client.post("/sms", data=sms_form("my back hurts", phone=PHONE))  # unsigned: refused

    care = privacy_app.test_client()
    log_in(care, name="Nurse Ana", password="wrong password, twice")
    log_in(care, name="Nurse Ana")
    care.get("/care")
    care.get("/care/handled", query_string={"q": "my back hurts", "last4": "0199"})
    token = csrf_token(care, "/care")
    care.post("/care/escalations/1/handle", data={"csrf_token": token, "note": "called her sister"})
    care.get("/care/program")
    assert "held by loop protection" in scan(logged.records)
    assert_private(scan(logged.records))


def test_showing_calling_and_texting_from_the_care_page_log_no_number_words_or_name(
    database: Database, monkeypatch: pytest.MonkeyPatch, logged: pytest.LogCaptureFixture
) -> None:
    use_fast_password_hashing(monkeypatch)
    app = create_app(
        app_config(
            database.url,
            SECRET_KEY=SECRET_KEY,
            TWILIO_PHONE_NUMBER="+15005550006",  # no account SID: printed, not sent
        )
    )
    client = app.test_client()
    escalation = add_escalation(database, phone=PHONE, detail="I slipped on the ice")
    add_staff(database, "Nurse Ana", StaffRole.NURSE, phone="+14155550123")
    add_staff(database, "Nurse Bo", StaffRole.ADMIN, password="bo's very long password")
    care = app.test_client()
    assert log_in(care, "Nurse Ana", NURSE_PASSWORD).status_code == 302
    page = f"/care/escalations/{escalation}"
    form_post(care, f"{page}/reveal", page)
    form_post(care, f"{page}/call", page)
    form_post(care, f"{page}/text", page, words="called her sister, call us back")
    assert post(client, "/sms", sms_form("my back hurts still", phone=PHONE)) == 200
    care.get(f"{page}/thread")
    with database.Session() as session:
        call, call_sid = session.execute(
            sa.select(CareContact.id, CareContact.staff_call_sid).where(CareContact.kind == "call")
        ).one()
    bridge = {"CallSid": call_sid, "From": "+15005550006", "To": PHONE}
    for path in (f"/voice/bridge?contact={call}", f"/voice/bridge/whisper?contact={call}"):
        assert post(client, path, bridge) == 200
    connect = f"/voice/bridge/connect?contact={call}&tries=0"
    assert PHONE in client.post(
        connect,
        data={**bridge, "Digits": "1"},
        headers={
            "X-Twilio-Signature": twilio_signature(
                PUBLIC_BASE_URL + connect, {**bridge, "Digits": "1"}
            )
        },
    ).get_data(as_text=True)  # dialed (the number is in the TwiML, never in a log)
    status = {**bridge, "CallStatus": "completed", "CallDuration": "61"}
    assert post(client, f"/voice/bridge/status?contact={call}&leg=person", status) == 204
    admin = app.test_client()
    log_in(admin, "Nurse Bo", "bo's very long password")
    admin.get("/care/access-log")
    app.extensions["boneline"].db.dispose()
    logged_text = scan(logged.records)
    assert f"saw the number of escalation {escalation}" in logged_text
    assert "care text (message" in logged_text and f"care call {call}: dialing" in logged_text
    assert_private(logged_text)
    assert "Nurse Bo" not in logged_text


def test_a_database_outage_logs_no_number_or_words(
    logged: pytest.LogCaptureFixture,
) -> None:
    app = create_app(app_config("postgresql+psycopg://postgres@127.0.0.1:1/boneline"))
    client = app.test_client()
    assert post(client, "/sms", sms_form("my back hurts", phone=PHONE)) == 503
    assert post(client, "/voice/menu?lang=en&node=stop", call_form(phone=CALLER, Digits="1")) == 503
    assert_private(scan(logged.records))


def test_the_command_line_logs_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logged: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    runner = CliRunner()
    outputs = [
        runner.invoke(main, ["db", "upgrade"]),
        runner.invoke(main, ["content", "check"]),
        runner.invoke(main, ["care", "hash-password"], input=f"{SHARED_PASSWORD}\n" * 2),
    ]
    assert [result.exit_code for result in outputs] == [0, 0, 0]
    assert_private(scan(logged.records) + "\n".join(r.output for r in outputs[:2]))


def test_settings_never_show_a_secret_when_printed() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "sqlite://",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "SECRET_KEY": SECRET_KEY,
            "CARE_TEAM_PASSWORD": SHARED_PASSWORD,
            "CARE_TEAM_WEBHOOK_SECRET": SECRET_KEY + "2",
        }
    )
    shown = repr(settings)
    for secret in (AUTH_TOKEN, SECRET_KEY, SHARED_PASSWORD):
        assert secret not in shown
    hidden = {field.name for field in dataclasses.fields(settings) if not field.repr}
    assert {"TWILIO_AUTH_TOKEN", "SECRET_KEY", "CARE_TEAM_PASSWORD"} <= hidden


def test_an_unexpected_database_error_logs_no_number_or_words(
    database: Database, logged: pytest.LogCaptureFixture
) -> None:
    # Not TESTING: Flask answers 500 and logs the exception, as in production.
    app = create_app(app_config(database.url, TESTING=False))
    engine = app.extensions["boneline"].db.engine
    dbapi_error = engine.dialect.loaded_dbapi.DataError

    def refuse_inserts(conn: object, cursor: object, sql: str, *args: object) -> None:
        if sql.startswith("INSERT INTO messages"):
            raise dbapi_error("injected: value too long")

    sa.event.listen(engine, "before_cursor_execute", refuse_inserts)
    try:
        status = post(app.test_client(), "/sms", sms_form("my back hurts", phone=PHONE))
    finally:
        sa.event.remove(engine, "before_cursor_execute", refuse_inserts)
        app.extensions["boneline"].db.dispose()
    assert status == 500
    logged_text = scan(logged.records)
    assert "injected" in logged_text
    assert_private(logged_text)
