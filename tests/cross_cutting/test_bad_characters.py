"""Characters a database cannot hold (NUL, lone surrogates) never reach it, on every backend.

PostgreSQL refuses NUL in text; SQLite stores it. Before the store cleaned every string column,
a text with a NUL answered 500 on PostgreSQL only, and Twilio retried it again and again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.clock import utcnow
from service.logs import PrintableFormatter
from service.store import escalations, messages
from service.store.db import Database
from service.store.models import ConsentEvent, Escalation, Message
from service.store.types import REPLACEMENT, storable
from service.understanding import SafetyFamily, Urgency
from service.vocabulary import EscalationSource, Stage
from service.web import create_app
from tests.conftest import PUBLIC_BASE_URL, app_config, twilio_signature
from tests.support.care_helpers import (
    SHARED_PASSWORD,
    csrf_token,
    log_in,
    use_fast_password_hashing,
)
from tests.support.sms_helpers import sms_form
from tests.support.voice_helpers import call_form, placed_call_form

NUL = "\x00"
PHONE = "+12125550143"


@pytest.fixture
def nul_app(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with the care page on, on the test database of each backend."""
    use_fast_password_hashing(monkeypatch)
    app = create_app(
        app_config(database.url, CARE_TEAM_PASSWORD=SHARED_PASSWORD, SECRET_KEY="k" * 32)
    )
    yield app
    app.extensions["boneline"].db.dispose()


def signed_post(app: Flask, path: str, form: dict[str, str]) -> int:
    """Post like Twilio (signed) and return the status code."""
    signature = twilio_signature(PUBLIC_BASE_URL + path, form)
    response = app.test_client().post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert "Traceback" not in response.get_data(as_text=True)
    return response.status_code


def all_rows(database: Database, model: type) -> list[object]:
    """Every row of a model."""
    with database.Session() as session:
        return list(session.scalars(sa.select(model)))


def test_nul_through_every_webhook_and_form_is_stored_without_it(
    nul_app: Flask, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Texts: a sign-up and a red flag, each word broken by a NUL.
    assert signed_post(nul_app, "/sms", sms_form(f"JO{NUL}IN")) == 200
    assert signed_post(nul_app, "/sms", sms_form(f"I fell{NUL} down the stairs")) == 200
    # A call: words said on the phone menu, and a check-in "yes" on a call we placed.
    menu = "/voice/menu?lang=en&node=main&tries=0"
    assert signed_post(nul_app, "/voice", call_form(SpeechResult=f"hel{NUL}lo")) == 200
    assert signed_post(nul_app, menu, call_form(SpeechResult=f"my back{NUL} hurts")) == 200
    answer = "/voice/reminder/answer?message=checkin.week6&lang=en"
    assert signed_post(nul_app, answer, placed_call_form(SpeechResult=f"y{NUL}es")) == 200
    # Status callbacks with NUL in every value.
    status = {"MessageSid": "SM" + "1" * 32, "MessageStatus": f"deli{NUL}vered"}
    assert signed_post(nul_app, "/sms/status", {**status, "ErrorCode": f"3{NUL}0003"}) == 204
    call_status = {"CallSid": "CA" + "1" * 32, "CallStatus": f"comp{NUL}leted"}
    assert signed_post(nul_app, "/voice/status", call_status) == 204
    # The care page: a staff name, a search and a note.
    care = nul_app.test_client()
    assert log_in(care, name=f"Nurse{NUL} Ana").status_code == 302
    assert care.get("/care/handled", query_string={"q": f"back{NUL}"}).status_code == 200
    [red_flag, *_] = sorted(all_rows(database, Escalation), key=lambda row: row.id)  # type: ignore[attr-defined]
    form = {"csrf_token": csrf_token(care, "/care"), "note": f"called{NUL} back"}
    assert care.post(f"/care/escalations/{red_flag.id}/handle", data=form).status_code == 302

    stored: list[str] = []
    for row in all_rows(database, Message):
        stored.append(row.body)  # type: ignore[attr-defined]
    for row in all_rows(database, Escalation):
        stored += [row.detail, row.note or "", row.handled_by or ""]  # type: ignore[attr-defined]
    for row in all_rows(database, ConsentEvent):
        stored.append(row.evidence)  # type: ignore[attr-defined]
    assert "JOIN" in stored and "I fell down the stairs" in stored
    assert "called back" in stored and "Nurse Ana" in stored
    details = [row.detail for row in all_rows(database, Escalation)]  # type: ignore[attr-defined]
    # The text, the words said at the menu (read as back pain) and the check-in's yes.
    assert len(details) == 3 and "I fell down the stairs" in details
    assert not any(NUL in value for value in stored)
    assert not any(NUL in record.getMessage() for record in caplog.records)


SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
ANY_TEXT = st.text(st.one_of(st.characters(), SURROGATES, st.just(NUL)), max_size=200)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=ANY_TEXT)
def test_any_text_is_stored_as_its_storable_form(database: Database, text: str) -> None:
    now = utcnow()
    with database.Session.begin() as session:
        messages.queue_text(session, None, PHONE, "tip.calcium", text, now)
        escalations.record_escalation(
            session,
            None,
            PHONE,
            stage=Stage.PREGNANT,
            source=EscalationSource.TEXT,
            reason=SafetyFamily.BACK_PAIN,
            urgency=Urgency.CALL_CARE_TEAM_TODAY,
            detail=text,
            language="en",
            now=now,
        )
    with database.Session() as session:
        bodies = session.scalars(sa.select(Message.body).order_by(Message.id.desc())).first()
        detail = session.scalars(
            sa.select(Escalation.detail).order_by(Escalation.id.desc())
        ).first()
    assert bodies == detail == storable(text)
    assert NUL not in storable(text)
    storable(text).encode("utf-8")  # no lone surrogate left


def test_storable_keeps_ordinary_text_and_marks_what_it_replaced() -> None:
    assert storable("Sí, ¿dónde? 🦴 \t\n") == "Sí, ¿dónde? 🦴 \t\n"
    assert storable(f"a{NUL}b\ud800c") == f"ab{REPLACEMENT}c"


def test_a_log_line_writes_nul_control_characters_and_surrogates_as_escapes() -> None:
    record = logging.LogRecord(
        "service.web", logging.WARNING, __file__, 1, "refused %s", ("/sms\x00\r\ud800",), None
    )
    line = PrintableFormatter("%(levelname)s %(message)s").format(record)
    assert line == "WARNING refused /sms\\x00\\x0d\\ud800"
    line.encode("utf-8")
