"""Helpers for driving the SMS webhook like Twilio does."""

from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET

from werkzeug.test import TestResponse

from service.domain.clock import local_date, utcnow
from service.domain.phones import local_time_zone
from tests.conftest import TwilioPost

PHONE = "+12125550143"
_sids = itertools.count(1)


def person_today(phone: str = PHONE) -> dt.date:
    """The date where the person lives (the service's "today"), not the test machine's."""
    return local_date(local_time_zone(phone), utcnow())


def new_message_sid() -> str:
    """A fresh Twilio-shaped MessageSid."""
    return f"SM{next(_sids):032x}"


def sms_form(body: str, phone: str = PHONE, sid: str | None = None, **extra: str) -> dict[str, str]:
    """The form Twilio posts for an incoming text."""
    return {
        "MessageSid": sid or new_message_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": phone,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def replies(response: TestResponse) -> list[str]:
    """The text of each <Message> in a TwiML response."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return [element.text or "" for element in root.findall("Message")]


def text(post: TwilioPost, body: str, phone: str = PHONE, **extra: str) -> list[str]:
    """Send one text and return the replies."""
    return replies(post("/sms", sms_form(body, phone, **extra)))
