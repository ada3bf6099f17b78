"""The care page's REST requests meet Twilio's OpenAPI description (Prism validates each one):
"Call now" (calls.create ringing the staff member) and "Send a text" (messages.create)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from service.config import load_settings
from service.domain.bridge import BridgeUrls
from service.domain.clock import utcnow
from service.gateway.sender import SID_SHAPE, TwilioSender
from service.store.db import Database
from service.store.models import CareContact, Message
from service.vocabulary import MessageStatus, StaffRole
from service.web import create_app
from tests.conftest import app_config
from tests.support.care_helpers import (
    NURSE_PASSWORD,
    PERSON_PHONE,
    add_escalation,
    add_staff,
    form_post,
    log_in,
    use_fast_password_hashing,
)
from tests.support.twilio_servers import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    TEST_FROM_NUMBER,
    PrismServer,
)


def prism_config(database: Database, prism: PrismServer) -> dict[str, object]:
    """Settings that send through the Twilio client to Prism."""
    return app_config(
        database.url,
        SECRET_KEY="k",
        TWILIO_ACCOUNT_SID=TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        TWILIO_PHONE_NUMBER=TEST_FROM_NUMBER,
        TWILIO_API_BASE_URL=prism.base_url,
        TWILIO_TIMEOUT_SECONDS=10,
    )


def test_the_bridge_call_request_meets_twilios_openapi_contract(
    database: Database, prism_twilio: PrismServer
) -> None:
    sender = TwilioSender(load_settings(prism_config(database, prism_twilio)))
    urls = BridgeUrls("https://boneline.example.org", 12)
    try:
        sid = sender.place_bridge_call("+12125550101", urls.answered, urls.status("staff"))
    finally:
        sender.close()
    assert SID_SHAPE.fullmatch(sid) and sid.startswith("CA")


@pytest.fixture
def prism_app(
    database: Database, prism_twilio: PrismServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The care page sending through Prism."""
    use_fast_password_hashing(monkeypatch)
    app = create_app(prism_config(database, prism_twilio))
    yield app
    app.extensions["boneline"].db.dispose()


def test_call_now_and_send_a_text_from_the_page_meet_the_contract(
    prism_app: Flask, database: Database
) -> None:
    add_staff(database, "Ana", StaffRole.NURSE)
    escalation = add_escalation(
        database, phone=PERSON_PHONE, created_at=utcnow() - dt.timedelta(minutes=2)
    )
    client = prism_app.test_client()
    log_in(client, "Ana", NURSE_PASSWORD)
    page = f"/care/escalations/{escalation}"
    form_post(client, f"{page}/call", page)
    form_post(client, f"{page}/text", page, words="How is your back? We can call you today.")
    with database.Session() as session:
        (call,) = session.scalars(sa.select(CareContact).where(CareContact.kind == "call"))
        (text,) = session.scalars(sa.select(Message).where(Message.message_id == "care.text"))
    # Prism answers 201 with its example only when the request matches Twilio's description.
    assert call.staff_call_sid and call.staff_call_sid.startswith("CA") and call.error is None
    assert text.status is MessageStatus.SUBMITTED and (text.twilio_sid or "").startswith("SM")
