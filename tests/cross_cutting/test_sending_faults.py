"""Send passes against a Twilio-compatible server that misbehaves or goes away.

- One odd answer (a SID Twilio already gave, a body that is not JSON) never stops a pass: it is
  recorded on that message as an error and every other message is sent once.
- A care-team alert survives Twilio being unreachable: it is tried again with backoff, from what
  the database says, across passes and restarts, and arrives once when Twilio is back.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from scheduler.jobs import housekeeping_job, send_job
from scheduler.sending import SendReport
from service.config import Settings
from service.domain.retries import ALERT_RETRY_FOR
from service.gateway.sender import SendError, TwilioSender
from service.store import escalations, messages
from service.store.db import Database
from service.store.models import Escalation, Message, PlannedMessage
from service.tools.cli import main
from service.understanding import SafetyFamily, Urgency
from service.vocabulary import (
    EscalationSource,
    MessageStatus,
    PlanStatus,
    Recipient,
    SendFailure,
)
from service.words.texts import Texts
from tests.scheduler.test_sending import add_planned_rows
from tests.support.reminder_helpers import RecordingSender, planned_rows, scheduler_settings
from tests.support.twilio_servers import (
    TEST_ACCOUNT_SID,
    TEST_AUTH_TOKEN,
    TEST_FROM_NUMBER,
    FakeTwilio,
)

SEND_AT = dt.datetime(2027, 3, 1, 15)
CARE_TEAM_PHONE = "+12125550199"
PATIENT = "+13105550143"
REPEATED_SID = "SM" + "5" * 32


def twilio_env(database: Database, fake: FakeTwilio, **extra: str) -> dict[str, str]:
    """The environment a deployed `boneline tick` would have, pointed at the fake server."""
    return {
        "DATABASE_URL": database.url,
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": TEST_FROM_NUMBER,
        "TWILIO_API_BASE_URL": fake.base_url,
        "PUBLIC_BASE_URL": "https://boneline.example.org",
        "TWILIO_TIMEOUT_SECONDS": "5",
        "SEND_RATE_PER_SECOND": "1000",
        "CARE_TEAM_PHONE": "",
        **extra,
    }


def test_a_repeated_sid_and_an_unreadable_answer_are_errors_and_the_pass_sends_the_rest(
    database: Database, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_planned_rows(database, 8, SEND_AT)
    # The first two sends get the same SID; the third gets an HTML page instead of JSON.
    fake_twilio.queue_sid(REPEATED_SID, times=2)
    fake_twilio.queue_raw(b"<html><body>Bad gateway, but 201</body></html>")
    for name, value in twilio_env(database, fake_twilio, SEND_CONCURRENCY="1").items():
        monkeypatch.setenv(name, value)

    result = CliRunner().invoke(main, ["tick", "--now", "2027-03-01T15:01:00"])

    assert result.exit_code == 0, result.output
    assert "sent 6, failed 0, unknown 0, errors 2," in result.output
    requests = fake_twilio.message_requests()
    assert len(requests) == 8
    assert Counter(request.params["To"] for request in requests).most_common(1)[0][1] == 1
    rows = planned_rows(database)
    assert Counter(row.status for row in rows) == {PlanStatus.SENT: 6, PlanStatus.ERROR: 2}
    errors = sorted(row.last_error or "" for row in rows if row.status is PlanStatus.ERROR)
    assert "already on another message" in errors[0]
    assert "not Twilio's JSON" in errors[1]
    with database.Session() as session:
        logged = session.scalars(sa.select(Message.twilio_sid)).all()
    assert len(logged) == len(set(logged)) == 6

    again = CliRunner().invoke(main, ["tick", "--now", "2027-03-01T15:05:00"])
    assert again.exit_code == 0, again.output
    assert len(fake_twilio.message_requests()) == 8, "nothing is ever sent twice"


def test_a_phone_line_text_with_a_repeated_sid_is_an_error_and_the_rest_go(
    database: Database, fake_twilio: FakeTwilio
) -> None:
    now = dt.datetime(2027, 3, 1, 15)
    with database.Session.begin() as session:
        for number in range(3):
            messages.queue_text(session, None, f"+1212555010{number}", "tip.calcium", "Tip", now)
    fake_twilio.queue_sid(REPEATED_SID, times=2)
    settings = fake_settings(database, fake_twilio)
    report = send_through_twilio(database, settings, now)
    assert +report.outbox == {MessageStatus.SUBMITTED: 2, MessageStatus.ERROR: 1}
    assert "phone-line texts: sent 2, failed 0, unknown 0, errors 1" in report.summary()
    with database.Session() as session:
        statuses = Counter(session.scalars(sa.select(Message.status)))
    assert statuses == {MessageStatus.SUBMITTED: 2, MessageStatus.ERROR: 1}


def fake_settings(database: Database, fake: FakeTwilio, **overrides: object) -> Settings:
    """Scheduler settings that send through the real Twilio client to the fake server."""
    values: dict[str, object] = {
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": TEST_FROM_NUMBER,
        "TWILIO_API_BASE_URL": fake.base_url,
        "TWILIO_TIMEOUT_SECONDS": 2,
        **overrides,
    }
    return scheduler_settings(database, **values)


def send_through_twilio(database: Database, settings: Settings, now: dt.datetime) -> SendReport:
    """One send pass, as the scheduler process runs it, through a new Twilio client."""
    sender = TwilioSender(settings)
    try:
        return send_job(database, settings, Texts.from_settings(settings), sender, now)
    finally:
        sender.close()


def add_red_flag(database: Database, at: dt.datetime) -> None:
    """A stranger texts a red flag at `at`."""
    with database.Session.begin() as session:
        escalations.record_escalation(
            session,
            None,
            PATIENT,
            stage=None,
            source=EscalationSource.TEXT,
            reason=SafetyFamily.BACK_PAIN,
            urgency=Urgency.CALL_CARE_TEAM_TODAY,
            detail="my back hurts so much",
            language="en",
            now=at,
        )


def alert_row(database: Database) -> PlannedMessage:
    """The one care-team alert row."""
    with database.Session() as session:
        return session.scalars(
            sa.select(PlannedMessage).where(PlannedMessage.recipient == Recipient.CARE_TEAM)
        ).one()


@pytest.fixture
def restarted(database: Database) -> Iterator[list[Database]]:
    """New connections for each pass, as a restarted scheduler process would open."""
    opened: list[Database] = []
    yield opened
    for each in opened:
        each.dispose()


def test_an_alert_while_twilio_is_unreachable_for_a_minute_arrives_once_when_it_is_back(
    database: Database,
    fake_twilio: FakeTwilio,
    restarted: list[Database],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    start = dt.datetime(2027, 3, 1, 3, 0)  # the middle of the night: alerts go any time
    add_red_flag(database, start)
    # One quick retry inside each pass (it really sleeps, as the scheduler does).
    settings = fake_settings(
        database, fake_twilio, CARE_TEAM_PHONE=CARE_TEAM_PHONE, SEND_MAX_RETRIES=1
    )

    def scheduler_pass(at: dt.datetime) -> None:
        """One pass of a freshly (re)started scheduler: nothing kept in memory."""
        fresh = Database(database.url)
        restarted.append(fresh)
        housekeeping_job(fresh, settings, at)
        send_through_twilio(fresh, settings, at)

    fake_twilio.go_down()
    scheduler_pass(start)  # queued and tried: refused (with quick retries in the pass)
    row = alert_row(database)
    assert (row.status, row.attempts, row.last_error) == (
        PlanStatus.PLANNED,
        1,
        "connection refused",
    )
    assert row.send_at == start + dt.timedelta(seconds=29)  # 30 s, due on the pass at +30 s
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failures and "***0199" in failures[-1].getMessage()
    assert "0143" not in failures[-1].getMessage()  # the care team's number, not the patient's
    assert "connection refused" in failures[-1].getMessage()

    scheduler_pass(start + dt.timedelta(seconds=10))  # its backoff has not passed: not tried
    assert alert_row(database).attempts == 1
    scheduler_pass(start + dt.timedelta(seconds=30))  # tried again: still down
    row = alert_row(database)
    assert (row.attempts, row.send_at) == (2, start + dt.timedelta(seconds=89))
    scheduler_pass(start + dt.timedelta(seconds=60))

    fake_twilio.come_back()  # a minute later, Twilio answers again
    for seconds in (90, 120, 600, 3600):
        scheduler_pass(start + dt.timedelta(seconds=seconds))
    row = alert_row(database)
    assert row.status is PlanStatus.SENT and row.twilio_sid
    [request] = fake_twilio.message_requests()
    assert request.params["To"] == CARE_TEAM_PHONE
    assert "0143" in request.params["Body"]


def test_an_alert_that_never_goes_out_is_tried_with_backoff_for_24_hours_then_given_up(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    start = dt.datetime(2027, 3, 1, 3, 0)
    add_red_flag(database, start)
    settings = scheduler_settings(database, CARE_TEAM_PHONE=CARE_TEAM_PHONE, SEND_MAX_RETRIES=0)
    texts = Texts.from_settings(settings)
    sender = RecordingSender()
    sender.errors.extend(SendError(SendFailure.RETRY, 20503, 503) for _ in range(1000))
    now = start
    tries: list[dt.datetime] = []
    while now < start + ALERT_RETRY_FOR + dt.timedelta(hours=1):
        before = len(sender.errors)
        send_job(database, settings, texts, sender, now)
        if len(sender.errors) < before:
            tries.append(now)
        row = alert_row(database)
        if row.status is not PlanStatus.PLANNED:
            break
        now = row.send_at
    assert alert_row(database).status is PlanStatus.FAILED
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    # Each backoff less the second that keeps a try on its pass's beat.
    assert gaps[:5] == [dt.timedelta(seconds=s - 1) for s in (30, 60, 120, 240, 480)]
    assert max(gaps) == dt.timedelta(minutes=15, seconds=-1)
    assert tries[-1] - start >= ALERT_RETRY_FOR  # tried for (at least) 24 hours
    assert len(tries) < 110  # with backoff, not every 30 seconds (2,880 tries)
    assert "given up" in caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.ERROR


class Receiver:
    """A care team's webhook endpoint on a fixed port that can be down (refused) or up."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/boneline"
        self.received: list[dict[str, object]] = []
        self.server: ThreadingHTTPServer | None = None

    def come_up(self) -> None:
        """Start answering 200 to every post, recording its JSON."""
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        """Stop answering."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver that starts down."""
    found = Receiver()
    yield found
    found.stop()


def test_a_webhook_alert_while_the_receiver_is_down_for_a_minute_arrives_once_after(
    database: Database,
    receiver: Receiver,
    restarted: list[Database],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("service.gateway.care_webhook.BACKOFF_SECONDS", 0.0)
    start = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    add_red_flag(database, start)
    settings = scheduler_settings(
        database, CARE_TEAM_WEBHOOK_URL=receiver.url, CARE_TEAM_WEBHOOK_SECRET="s" * 32
    )

    def scheduler_pass(at: dt.datetime) -> None:
        fresh = Database(database.url)
        restarted.append(fresh)
        send_job(fresh, settings, Texts.from_settings(settings), RecordingSender(), at)

    for seconds in (0, 10, 30, 60):
        scheduler_pass(start + dt.timedelta(seconds=seconds))
    with database.Session() as session:
        (escalation,) = session.scalars(sa.select(Escalation)).all()
        assert escalation.alerted_at is None
        assert (escalation.webhook_attempts, escalation.webhook_error) == (2, "connection refused")
        assert escalation.webhook_next_at == start + dt.timedelta(seconds=89)
    receiver.come_up()
    for seconds in (90, 120, 900):
        scheduler_pass(start + dt.timedelta(seconds=seconds))
    assert [post["escalation_id"] for post in receiver.received] == [escalation.id]
    with database.Session() as session:
        assert session.get(Escalation, escalation.id).alerted_at == start + dt.timedelta(  # type: ignore[union-attr]
            seconds=90
        )
