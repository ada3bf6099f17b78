"""An auto-responder loop: after too many texts in a few minutes a number hears nothing back."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from service.domain.vocabulary import ConsentAction, Direction, Status
from service.flows.inbound_text import InboundText, LoopLimit, receive_text
from service.store.db import Database
from service.store.models import ConsentEvent, Escalation, Message, Subscriber
from service.web import create_app
from tests.conftest import PUBLIC_BASE_URL, app_config, twilio_signature
from tests.support.sms_helpers import PHONE, new_message_sid, sms_form

LIMIT = LoopLimit(messages=3, window=dt.timedelta(minutes=5))
START = dt.datetime(2026, 11, 23, 15, 0)


def send(app: Flask, body: str, at: dt.datetime, phone: str = PHONE) -> list[str]:
    """One text straight into the domain function, at a given moment."""
    boneline = app.extensions["boneline"]
    inbound = InboundText(phone, body, new_message_sid())
    return receive_text(boneline.db.Session, inbound, boneline.texts, at, LIMIT)


def count(app: Flask, model: type, *where: sa.ColumnElement[bool]) -> int:
    """How many rows match."""
    with app.extensions["boneline"].db.Session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


def test_a_looping_number_stops_getting_replies_but_every_text_is_logged(app: Flask) -> None:
    answers = [
        send(app, "Thanks for your message!", START + dt.timedelta(seconds=i)) for i in range(8)
    ]
    assert [len(a) for a in answers] == [1, 1, 1, 0, 0, 0, 0, 0]
    assert count(app, Message, Message.direction == Direction.INBOUND) == 8
    assert count(app, Message, Message.direction == Direction.OUTBOUND) == 3


def test_replies_resume_once_the_window_has_passed(app: Flask) -> None:
    for i in range(5):
        send(app, "auto reply", START + dt.timedelta(seconds=i))
    assert send(app, "calcium", START + dt.timedelta(minutes=6)) != []


def test_another_number_is_not_throttled(app: Flask) -> None:
    for i in range(5):
        send(app, "auto reply", START + dt.timedelta(seconds=i))
    assert send(app, "calcium", START + dt.timedelta(seconds=6), phone="+13105550188") != []


def test_stop_is_recorded_while_throttled(app: Flask) -> None:
    for i, body in enumerate(["JOIN", "1", "hello", "hello", "hello"]):
        send(app, body, START + dt.timedelta(seconds=i))
    assert send(app, "STOP", START + dt.timedelta(seconds=9)) == []
    with app.extensions["boneline"].db.Session() as session:
        person = session.scalars(sa.select(Subscriber)).one()
        assert person.status == Status.STOPPED
    assert count(app, ConsentEvent, ConsentEvent.action == ConsentAction.OPT_OUT) == 1


def test_a_red_flag_is_recorded_while_throttled(app: Flask) -> None:
    for i in range(4):
        send(app, "auto reply", START + dt.timedelta(seconds=i))
    assert send(app, "I fell and my back hurts so bad", START + dt.timedelta(seconds=5)) == []
    assert count(app, Escalation) == 1


def test_enrollment_does_not_move_on_while_throttled(app: Flask) -> None:
    for i, body in enumerate(["JOIN", "hello", "hello", "hello"]):
        send(app, body, START + dt.timedelta(seconds=i))
    send(app, "1", START + dt.timedelta(seconds=5))
    with app.extensions["boneline"].db.Session() as session:
        person = session.scalars(sa.select(Subscriber)).one()
        assert person.enrollment_step == "stage"


@pytest.mark.parametrize("limit", [2, 4])
def test_the_webhook_uses_the_configured_limit(database: Database, limit: int) -> None:
    app = create_app(app_config(database.url, LOOP_LIMIT_MESSAGES=limit, LOOP_WINDOW_MINUTES=5))
    client = app.test_client()
    bodies = []
    for _ in range(limit + 2):
        form = sms_form("auto reply")
        signature = twilio_signature(PUBLIC_BASE_URL + "/sms", form)
        response = client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200
        bodies.append(response.get_data(as_text=True))
    assert sum("<Message" in body for body in bodies) == limit
    assert bodies[-1].endswith("<Response />")
    app.extensions["boneline"].db.dispose()
