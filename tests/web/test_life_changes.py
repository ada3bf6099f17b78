"""Life changes through the signed /sms webhook: dates as people give them, changes after
joining, breastfeeding, a loss and the goodbye, in English and Spanish."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from service.store.models import Subscriber
from tests.conftest import TwilioPost
from tests.support.sms_helpers import PHONE, person_today, text


def subscriber(app: Flask, phone: str = PHONE) -> Subscriber:
    """The stored subscriber for a number."""
    with app.extensions["boneline"].db.Session() as session:
        found = session.scalar(sa.select(Subscriber).where(Subscriber.phone == phone))
        assert found is not None
        return found


@pytest.mark.parametrize(
    ("join", "weeks", "yes", "said_back"),
    [
        ("JOIN", "I'm 30 weeks", "yes", "So your baby is due about"),
        ("UNIRSE", "tengo 30 semanas", "si", "Entonces su bebé nace más o menos"),
    ],
)
def test_weeks_along_at_sign_up_become_a_due_date_read_back_for_a_yes(
    app: Flask, twilio_post: TwilioPost, join: str, weeks: str, yes: str, said_back: str
) -> None:
    text(twilio_post, join)
    text(twilio_post, "1")
    assert said_back in text(twilio_post, weeks)[0]
    text(twilio_post, yes)
    text(twilio_post, "1")
    text(twilio_post, yes)
    person = subscriber(app)
    assert person.status == "active"
    assert person.due_date == person_today() + dt.timedelta(weeks=10)
