"""Sends through the real Twilio client: the contract (Prism) and every fault (fake Twilio)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from scheduler.jobs import housekeeping_job
from scheduler.planning import plan
from scheduler.sending import SendJob, SendReport
from service.config import Settings
from service.domain.send_windows import SendWindows
from service.gateway.sender import TwilioSender
from service.store.db import Database
from service.store.models import Subscriber
from service.vocabulary import Channel, PlanStatus, Status
from service.words.texts import Texts
from tests.support.reminder_helpers import (
    add_subscriber,
    next_due,
    planned_rows,
    scheduler_settings,
)
from tests.support.twilio_servers import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    TEST_FROM_NUMBER,
    TEST_MESSAGING_SERVICE_SID,
    FakeTwilio,
    PrismServer,
)

PHONE = "+12125550101"
MONDAY_MORNING = dt.datetime(2027, 3, 1, 9)


def twilio_settings(database: Database, base_url: str, **overrides: object) -> Settings:
    """Settings that send through the Twilio client to `base_url`."""
    values: dict[str, object] = {
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": TEST_FROM_NUMBER,
        "TWILIO_API_BASE_URL": base_url,
        "TWILIO_TIMEOUT_SECONDS": 1,
        **overrides,
    }
    return scheduler_settings(database, **values)


def send_monday(database: Database, settings: Settings) -> SendReport:
    """Plan Monday and run one send pass at the planned time through the Twilio client."""
    plan(database, SendWindows.from_settings(settings), MONDAY_MORNING)
    moment = next_due(database, MONDAY_MORNING + dt.timedelta(days=1))
    moment = moment or MONDAY_MORNING + dt.timedelta(hours=13)
    sender = TwilioSender(settings)
    try:
        job = SendJob(database, settings, Texts.from_settings(settings), sender, lambda _: None)
        return job.run(moment)
    finally:
        sender.close()


@pytest.fixture
def subscriber(database: Database) -> int:
    """One pregnant subscriber in New York, due in the spring."""
    return add_subscriber(database, PHONE)


def only_row_status(database: Database) -> tuple[PlanStatus, int | None]:
    """The status and error code of the one planned row."""
    (row,) = planned_rows(database)
    return row.status, row.error_code


# --------------------------------------------------------------------------- Twilio's contract


def test_reminder_text_request_meets_twilios_openapi_contract(
    database: Database, subscriber: int, prism_twilio: PrismServer
) -> None:
    report = send_monday(database, twilio_settings(database, prism_twilio.base_url))
    assert len(report.sent) == 1 and report.failed == []
    assert only_row_status(database)[0] is PlanStatus.SENT


def test_reminder_text_through_a_messaging_service_meets_the_contract(
    database: Database, subscriber: int, prism_twilio: PrismServer
) -> None:
    settings = twilio_settings(
        database,
        prism_twilio.base_url,
        TWILIO_PHONE_NUMBER="",
        TWILIO_MESSAGING_SERVICE_SID=TEST_MESSAGING_SERVICE_SID,
    )
    assert len(send_monday(database, settings).sent) == 1


def test_reminder_call_request_meets_twilios_openapi_contract(
    database: Database, prism_twilio: PrismServer
) -> None:
    add_subscriber(database, PHONE, channel=Channel.VOICE)
    report = send_monday(database, twilio_settings(database, prism_twilio.base_url))
    assert len(report.sent) == 1 and report.failed == []


# --------------------------------------------------------------------------- what we send


def test_text_request_carries_number_body_sender_and_status_callback(
    database: Database, subscriber: int, fake_twilio: FakeTwilio
) -> None:
    send_monday(database, twilio_settings(database, fake_twilio.base_url))
    (request,) = fake_twilio.message_requests()
    assert request.params["To"] == PHONE
    assert request.params["From"] == TEST_FROM_NUMBER
    assert request.params["StatusCallback"] == "https://boneline.example.org/sms/status"
    assert request.params["Body"].startswith("BoneLine: ")
    (row,) = planned_rows(database)
    assert row.twilio_sid and row.twilio_sid.startswith("SM")


def test_call_request_asks_for_the_reminder_twiml_machine_detection_and_status_events(
    database: Database, fake_twilio: FakeTwilio
) -> None:
    add_subscriber(database, PHONE, language="es", channel=Channel.VOICE)
    send_monday(database, twilio_settings(database, fake_twilio.base_url))
    (request,) = fake_twilio.call_requests()
    [planned] = planned_rows(database)
    assert request.params["Url"] == (
        f"https://boneline.example.org/voice/reminder?message={planned.message_id}&lang=es"
    )
    assert planned.message_id.startswith("reminder.calcium.")  # Monday: a calcium tip
    assert request.params["MachineDetection"] == "DetectMessageEnd"
    assert request.params["StatusCallback"] == "https://boneline.example.org/voice/status"
    assert request.form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_or_failing_twilio_is_retried_then_the_text_goes_out_once(
    database: Database, subscriber: int, fake_twilio: FakeTwilio, status: int
) -> None:
    fake_twilio.queue_http_error(status, times=2)
    report = send_monday(database, twilio_settings(database, fake_twilio.base_url))
    assert len(fake_twilio.message_requests()) == 3
    assert len(report.sent) == 1
    assert only_row_status(database) == (PlanStatus.SENT, None)


def test_retries_are_capped_and_the_text_is_recorded_failed(
    database: Database, subscriber: int, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.queue_http_error(503, times=10)
    send_monday(database, twilio_settings(database, fake_twilio.base_url, SEND_MAX_RETRIES=2))
    assert len(fake_twilio.message_requests()) == 3
    assert only_row_status(database) == (PlanStatus.FAILED, 20503)


def test_a_timeout_after_sending_is_unknown_and_never_sent_again(
    database: Database, subscriber: int, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.queue_delay(3)
    send_monday(database, twilio_settings(database, fake_twilio.base_url))
    send_monday(database, twilio_settings(database, fake_twilio.base_url))
    assert len(fake_twilio.message_requests()) == 1
    assert only_row_status(database) == (PlanStatus.UNKNOWN, None)


def test_a_dropped_connection_is_unknown_and_never_sent_again(
    database: Database, subscriber: int, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.queue_dropped_connection()
    send_monday(database, twilio_settings(database, fake_twilio.base_url))
    assert len(fake_twilio.message_requests()) == 1
    assert only_row_status(database)[0] is PlanStatus.UNKNOWN


@pytest.fixture
def closed_port() -> Iterator[str]:
    """A base URL where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


def test_connection_refused_is_retried_and_recorded_failed_not_unknown(
    database: Database, subscriber: int, closed_port: str
) -> None:
    send_monday(database, twilio_settings(database, closed_port, SEND_MAX_RETRIES=1))
    assert only_row_status(database)[0] is PlanStatus.FAILED


def test_twilio_21610_marks_the_person_opted_out(
    database: Database, subscriber: int, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.queue_twilio_error(21610)
    send_monday(database, twilio_settings(database, fake_twilio.base_url))
    assert len(fake_twilio.message_requests()) == 1
    assert only_row_status(database) == (PlanStatus.FAILED, 21610)
    with database.Session() as session:
        person = session.get(Subscriber, subscriber)
        assert person is not None and person.status is Status.STOPPED


@pytest.mark.parametrize("code", [21211, 21614])
def test_twilio_invalid_or_landline_number_stops_texts_to_it(
    database: Database, subscriber: int, fake_twilio: FakeTwilio, code: int
) -> None:
    fake_twilio.queue_twilio_error(code)
    send_monday(database, twilio_settings(database, fake_twilio.base_url))
    assert only_row_status(database) == (PlanStatus.FAILED, code)
    with database.Session() as session:
        person = session.get(Subscriber, subscriber)
        assert person is not None and person.number_invalid_code == code


def test_a_scheduler_killed_mid_send_never_sends_those_messages_again(
    database: Database, fake_twilio: FakeTwilio
) -> None:
    from tests.scheduler.test_sending import add_planned_rows

    add_planned_rows(database, 3, dt.datetime(2027, 3, 1, 15))
    # Twilio takes "forever" to answer, so the process is killed with requests in flight.
    fake_twilio.queue_delay(30, times=3)
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": TEST_FROM_NUMBER,
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
        "PUBLIC_BASE_URL": "https://boneline.example.org",
        "TWILIO_TIMEOUT_SECONDS": "60",
        "SEND_RATE_PER_SECOND": "100",
    }
    command = [sys.executable, "-m", "service.tools.cli", "tick", "--now", "2027-03-01T15:01:00"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while len(fake_twilio.message_requests()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert len(fake_twilio.message_requests()) == 3
    assert {row.status for row in planned_rows(database)} == {PlanStatus.SENDING}
    settings = twilio_settings(database, fake_twilio.base_url)
    later = dt.datetime(2027, 3, 1, 15, 20)
    assert housekeeping_job(database, settings, later) == 3
    sender = TwilioSender(settings)
    try:
        SendJob(database, settings, Texts.from_settings(settings), sender).run(later)
    finally:
        sender.close()
    assert len(fake_twilio.message_requests()) == 3
    assert {row.status for row in planned_rows(database)} == {PlanStatus.UNKNOWN}
