"""Sentry gets errors when SENTRY_DSN is set, and never a phone number or a person's words.

A transport of our own captures exactly the bytes the SDK would send, after every hook ran.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from flask import Flask
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from service.gateway.error_reports import mask_digits
from service.store.db import Database
from service.web import create_app
from tests.conftest import PUBLIC_BASE_URL, app_config, twilio_signature
from tests.support.sms_helpers import sms_form
from tests.support.voice_helpers import call_form

DSN = "https://publickey@o0.ingest.sentry.example/1"
PHONE = "+12125550143"
WORDS = "my back hurts so much I cannot stand"


class CapturingTransport(Transport):
    """Keeps every envelope the SDK hands to its transport instead of posting it."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        """Keep it."""
        self.envelopes.append(envelope)

    def sent(self) -> str:
        """Everything that would have gone over the wire, as text."""
        return b"".join(envelope.serialize() for envelope in self.envelopes).decode()


@pytest.fixture
def sentry(monkeypatch: pytest.MonkeyPatch) -> Iterator[CapturingTransport]:
    """Sentry on, sending to a capturing transport; off again afterwards."""
    transport = CapturingTransport()
    monkeypatch.setattr("service.gateway.error_reports.TRANSPORT", transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture
def reporting_app(database: Database, sentry: CapturingTransport) -> Iterator[Flask]:
    """The app as deployed (errors are 500s, not raised to the test) with SENTRY_DSN set."""
    app = create_app(app_config(database.url, SENTRY_DSN=DSN, TESTING=False))
    yield app
    app.extensions["boneline"].db.dispose()


def crash(*_args: Any, **_kwargs: Any) -> None:
    """A bug that puts the person's number and words in its message."""
    raise ValueError(f"could not answer {WORDS!r} from {PHONE} (+1 212-555-0143)")


@pytest.mark.parametrize(
    ("path", "form", "target"),
    [
        ("/sms", sms_form(WORDS, phone=PHONE), "service.web.sms.receive_text"),
        (
            "/voice/menu?lang=en&node=sub_date_confirm&stage=pregnant&date=2027-06-05",
            call_form(PHONE, SpeechResult=WORDS),
            "service.flows.call_step.answer_menu",
        ),
    ],
)
def test_a_crash_reaches_sentry_without_the_number_or_the_words(
    reporting_app: Flask,
    sentry: CapturingTransport,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    form: dict[str, str],
    target: str,
) -> None:
    monkeypatch.setattr(target, crash)
    signature = twilio_signature(PUBLIC_BASE_URL + path, form)
    response = reporting_app.test_client().post(
        path, data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 500
    sentry_sdk.flush()
    sent = sentry.sent()
    assert "ValueError" in sent and "could not answer" in sent, "the error was reported"
    assert path.split("?")[0] in sent
    for private in ("2125550143", "212-555-0143", "555-0143", WORDS, "my back", "2027-06-05"):
        assert private not in sent, private
    assert "***0143" in sent  # numbers are masked the way our logs show them


def test_an_error_log_line_reaches_sentry_scrubbed(sentry: CapturingTransport) -> None:
    from service.config import Settings
    from service.gateway.error_reports import init_error_reports

    assert init_error_reports(Settings(SENTRY_DSN=DSN), "scheduler")
    logger = logging.getLogger("scheduler.sending")
    logger.info("text from %s answered", "***0143")  # a breadcrumb
    logger.error("alert to %s failed: %s", PHONE, f"Twilio said {WORDS!r}")
    sentry_sdk.flush()
    sent = sentry.sent()
    assert "alert to %s failed" in sent and "scheduler" in sent
    assert "2125550143" not in sent and WORDS not in sent
    assert "***0143" in sent


def test_nothing_is_reported_without_a_dsn(
    database: Database, sentry: CapturingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(app_config(database.url, TESTING=False))
    monkeypatch.setattr("service.web.sms.receive_text", crash)
    form = sms_form(WORDS, phone=PHONE)
    signature = twilio_signature(PUBLIC_BASE_URL + "/sms", form)
    app.test_client().post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    sentry_sdk.flush()
    assert sentry.envelopes == []
    app.extensions["boneline"].db.dispose()


def test_numbers_in_any_format_are_masked_and_ids_are_kept() -> None:
    assert mask_digits("call +1 (212) 555-0143 or 212.555.0143") == "call ***0143 or ***0143"
    assert mask_digits("SM" + "5" * 32 + " escalation 42 at 15:30") == (
        "SM" + "5" * 32 + " escalation 42 at 15:30"
    )
