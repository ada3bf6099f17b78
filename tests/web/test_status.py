"""Status callbacks: signed, idempotent, never backwards; unanswered calls are tried again."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
import sqlalchemy as sa
from flask import Flask

from service.config import load_settings
from service.flows.inbound_text import InboundText, receive_text
from service.flows.status_callback import StatusUpdate, record_sms_status
from service.store.db import Database
from service.store.models import Message, PlannedMessage
from service.vocabulary import Channel, PlanStatus
from service.words.texts import Texts
from tests.conftest import TwilioPost
from tests.support.reminder_helpers import add_subscriber, planned_rows

SMS_SID = "SM" + "a" * 32
CALL_SID = "CA" + "b" * 32


def add_sent(
    database: Database,
    sid: str,
    channel: Channel = Channel.SMS,
    attempts: int = 1,
    window_hours: int = 8,
) -> None:
    """A reminder already handed to Twilio, with its message log row."""
    person = add_subscriber(database, "+12125550101", channel=channel)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with database.Session.begin() as session:
        session.add(
            PlannedMessage(
                subscriber_id=person,
                item_key="pregnant.calcium",
                local_date=now.date(),
                send_at=now,
                window_end=now + dt.timedelta(hours=window_hours),
                channel=channel,
                message_id="reminder.calcium.amount",
                status=PlanStatus.SENT,
                attempts=attempts,
                twilio_sid=sid,
            )
        )
        session.add(
            Message(
                subscriber_id=person,
                phone="+12125550101",
                direction="outbound",
                channel=channel,
                twilio_sid=sid,
                status="queued",
            )
        )


def logged(database: Database, sid: str) -> Message:
    """The message log row for a SID."""
    with database.Session() as session:
        return session.scalars(sa.select(Message).where(Message.twilio_sid == sid)).one()


def sms_status(status: str, **extra: str) -> dict[str, str]:
    """A MessageStatus callback form."""
    return {"MessageSid": SMS_SID, "MessageStatus": status, "AccountSid": "AC" + "0" * 32, **extra}


def call_status(status: str) -> dict[str, str]:
    """A CallStatus callback form."""
    return {"CallSid": CALL_SID, "CallStatus": status, "AccountSid": "AC" + "0" * 32}


def test_delivery_status_is_recorded(app: Flask, twilio_post: TwilioPost) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, SMS_SID)
    assert twilio_post("/sms/status", sms_status("sent")).status_code == 204
    assert twilio_post("/sms/status", sms_status("delivered")).status_code == 204
    assert logged(database, SMS_SID).status == "delivered"


def test_a_repeated_or_late_callback_never_moves_the_status_backwards(
    app: Flask, twilio_post: TwilioPost
) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, SMS_SID)
    twilio_post("/sms/status", sms_status("delivered"))
    twilio_post("/sms/status", sms_status("sent"))
    twilio_post("/sms/status", sms_status("delivered"))
    assert logged(database, SMS_SID).status == "delivered"


def test_a_delivery_failure_code_is_recorded(app: Flask, twilio_post: TwilioPost) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, SMS_SID)
    twilio_post("/sms/status", sms_status("undelivered", ErrorCode="30003"))
    assert (logged(database, SMS_SID).status, logged(database, SMS_SID).error_code) == (
        "undelivered",
        30003,
    )
    assert planned_rows(database)[0].error_code == 30003


def test_an_unsigned_callback_is_refused(app: Flask) -> None:
    response = app.test_client().post("/sms/status", data=sms_status("delivered"))
    assert response.status_code == 403


def test_a_callback_without_a_sid_is_a_clear_400(twilio_post: TwilioPost) -> None:
    assert twilio_post("/sms/status", {"MessageStatus": "sent"}).status_code == 400
    assert twilio_post("/voice/status", {"CallStatus": "ringing"}).status_code == 400


def test_a_callback_for_an_unknown_sid_is_accepted_and_ignored(twilio_post: TwilioPost) -> None:
    assert twilio_post("/sms/status", sms_status("delivered")).status_code == 204


def test_call_progress_is_recorded_in_order(app: Flask, twilio_post: TwilioPost) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, CALL_SID, Channel.VOICE)
    for status in ("ringing", "in-progress", "completed", "ringing"):
        assert twilio_post("/voice/status", call_status(status)).status_code == 204
    assert logged(database, CALL_SID).status == "completed"
    assert planned_rows(database)[0].status is PlanStatus.SENT


def test_an_unanswered_call_is_planned_again_hours_later_once(
    app: Flask, twilio_post: TwilioPost
) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, CALL_SID, Channel.VOICE)
    twilio_post("/voice/status", call_status("no-answer"))
    twilio_post("/voice/status", call_status("no-answer"))
    (row,) = planned_rows(database)
    assert row.status is PlanStatus.PLANNED and row.twilio_sid is None
    assert row.send_at - dt.datetime.now(dt.UTC).replace(tzinfo=None) > dt.timedelta(hours=1)


def test_a_call_is_not_tried_more_than_three_times(app: Flask, twilio_post: TwilioPost) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, CALL_SID, Channel.VOICE, attempts=3)
    twilio_post("/voice/status", call_status("busy"))
    assert planned_rows(database)[0].status is PlanStatus.SENT


def test_a_retry_that_would_fall_after_the_window_is_not_planned(
    app: Flask, twilio_post: TwilioPost
) -> None:
    database = app.extensions["boneline"].db
    add_sent(database, CALL_SID, Channel.VOICE, window_hours=1)
    twilio_post("/voice/status", call_status("failed"))
    assert planned_rows(database)[0].status is PlanStatus.SENT


def test_callbacks_racing_for_one_twiml_reply_name_it_once_and_end_at_the_latest_status(
    database: Database,
) -> None:
    texts = Texts.from_settings(load_settings({}, environ={}))
    inbound = InboundText("+12125550101", "JOIN", message_sid="SM" + "1" * 32)
    receive_text(database.Session, inbound, texts)
    reply_sid = "SM" + "2" * 32
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    statuses = ["sent", "delivered", "sent", "delivered"] * 4
    start = threading.Barrier(len(statuses))
    moved: list[bool] = []

    def callback(status: str) -> None:
        update = StatusUpdate(reply_sid, status, reply_to=(inbound.message_sid or "", 0))
        start.wait()
        moved.append(record_sms_status(database.Session, update, now))

    threads = [threading.Thread(target=callback, args=(status,)) for status in statuses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reply = logged(database, reply_sid)
    assert (reply.message_id, reply.status) == ("enroll.ask_stage", "delivered")
    assert 1 <= moved.count(True) <= 2  # sent then delivered, or delivered first


def test_an_undelivered_text_is_logged_with_its_cause_and_the_masked_number(
    app: Flask, twilio_post: TwilioPost, caplog: pytest.LogCaptureFixture
) -> None:
    add_sent(app.extensions["boneline"].db, SMS_SID)
    twilio_post("/sms/status", sms_status("undelivered", ErrorCode="30003"))
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert line == (
        f"text {SMS_SID} to ***0101: undelivered, Twilio code 30003 "
        "(the number may be unreachable); not retried"
    )


@pytest.mark.parametrize(
    ("attempts", "next_step"), [(1, "will be tried again in 2 hours"), (3, "not retried")]
)
def test_an_unanswered_call_is_logged_with_what_happens_next(
    app: Flask,
    twilio_post: TwilioPost,
    caplog: pytest.LogCaptureFixture,
    attempts: int,
    next_step: str,
) -> None:
    add_sent(app.extensions["boneline"].db, CALL_SID, Channel.VOICE, attempts=attempts)
    twilio_post("/voice/status", call_status("no-answer"))
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert line == f"call {CALL_SID} to ***0101: no-answer; {next_step}"
