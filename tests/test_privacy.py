"""Logs never hold a full phone number or what a person wrote."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import TwilioPost
from tests.sms_helpers import text

PHONE = "+13125550199"
BODIES = [
    "JOIN",
    "1",
    "June 5",
    "1",
    "YES",
    "my back hurts so bad",
    "how much calcium do I need",
    "ESPAÑOL",
    "STOP",
]


def test_logs_carry_no_phone_number_and_no_message_body(
    twilio_post: TwilioPost, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        for body in BODIES:
            text(twilio_post, body, phone=PHONE)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged, "expected the flow to log something"
    assert "5550199" not in logged and "3125550199" not in logged
    for body in ("June 5", "my back hurts", "how much calcium"):
        assert body not in logged
