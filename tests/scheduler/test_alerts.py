"""The care team's webhook alert, posted to a fake receiver that checks the signature."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa

from scheduler.alerts import deliver_pending_alerts
from service.config import Settings
from service.gateway.care_webhook import (
    SIGNATURE_HEADER,
    post_escalation_webhook,
    signature,
    signature_is_valid,
)
from service.store.db import Database
from service.store.models import Escalation
from tests.support.care_helpers import add_escalation

SECRET = "webhook-secret-for-tests"


def readme_verification(secret: bytes, headers: Any, raw_body: bytes) -> bool:
    """The receiver's check exactly as the README shows it (independent of our signer)."""
    timestamp = headers["X-BoneLine-Timestamp"]
    expected = (
        "sha256="
        + hmac.new(secret, timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    )
    fresh = abs(time.time() - int(timestamp)) <= 300
    return fresh and hmac.compare_digest(expected, headers["X-BoneLine-Signature"])


@dataclass
class Received:
    """One request the fake receiver got, and whether its signature checked out."""

    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON body."""
        value: dict[str, Any] = json.loads(self.body)
        return value


@dataclass
class FakeReceiver:
    """A care team's webhook endpoint: verifies signatures, answers scripted statuses."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: deque[int] = field(default_factory=deque)


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    """A tiny HTTP server on a free loopback port, answering 200 unless told otherwise."""
    state: FakeReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = readme_verification(SECRET.encode(), self.headers, body)
            state.received.append(Received(dict(self.headers), body, ok))
            status = state.statuses.popleft() if state.statuses else (200 if ok else 401)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = FakeReceiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/boneline")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def settings_for(url: str, **overrides: Any) -> Settings:
    """Settings that post alerts to `url`."""
    return dataclasses.replace(
        Settings(
            PUBLIC_BASE_URL="https://boneline.example.org",
            CARE_TEAM_WEBHOOK_URL=url,
            CARE_TEAM_WEBHOOK_SECRET=SECRET,
        ),
        **overrides,
    )


def escalation(**fields: Any) -> Escalation:
    """An escalation as the conversation records it."""
    values: dict[str, Any] = {
        "id": 42,
        "phone": "+12125550143",
        "source": "text",
        "reason": "back_pain",
        "urgency": "call_care_team_today",
        "detail": "my back hurts so much I cannot stand",
        "language": "es",
        "stage": "postpartum",
        "created_at": dt.datetime(2026, 11, 23, 22, 0),
        **fields,
    }
    return Escalation(**values)


class NoSleep:
    """Records the backoff waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_alert_is_signed_and_points_to_the_page(receiver: FakeReceiver) -> None:
    assert post_escalation_webhook(settings_for(receiver.url), escalation(), sleep=NoSleep())
    [request] = receiver.received
    assert request.signature_ok
    assert request.headers[SIGNATURE_HEADER].startswith("sha256=")
    assert request.headers["Content-Type"] == "application/json"
    assert request.payload == {
        "event": "escalation.created",
        "escalation_id": 42,
        "reason": "back_pain",
        "urgency": "call_care_team_today",
        "source": "text",
        "language": "es",
        "stage": "postpartum",
        "created_at": "2026-11-23T22:00:00+00:00",
        "url": "https://boneline.example.org/care/escalations/42",
    }


def test_alert_without_a_public_url_still_names_the_page(receiver: FakeReceiver) -> None:
    settings = settings_for(receiver.url, PUBLIC_BASE_URL="")
    assert post_escalation_webhook(settings, escalation(), sleep=NoSleep())
    assert receiver.received[0].payload["url"] == "/care/escalations/42"


def test_alert_never_carries_the_number_or_the_persons_words(receiver: FakeReceiver) -> None:
    post_escalation_webhook(settings_for(receiver.url), escalation(), sleep=NoSleep())
    raw = receiver.received[0].body.decode()
    assert "2125550143" not in raw and "0143" not in raw
    assert "back hurts" not in raw and "cannot stand" not in raw


def test_a_receiver_rejects_a_changed_body_or_an_old_timestamp() -> None:
    body = b'{"escalation_id":1}'
    now = 1_800_000_000
    header = signature(SECRET, str(now), body)
    assert signature_is_valid(SECRET, str(now), body, header, now=now + 60)
    assert not signature_is_valid(SECRET, str(now), b'{"escalation_id":2}', header, now=now)
    assert not signature_is_valid(SECRET, str(now + 1), body, header, now=now)
    assert not signature_is_valid(SECRET, str(now), body, header, now=now + 301)
    assert not signature_is_valid("other secret", str(now), body, header, now=now)
    assert not signature_is_valid(SECRET, "soon", body, header, now=now)


def test_server_errors_are_retried_a_bounded_number_of_times(receiver: FakeReceiver) -> None:
    receiver.statuses.extend([503, 500, 502, 200])
    sleep = NoSleep()
    assert not post_escalation_webhook(settings_for(receiver.url), escalation(), sleep=sleep)
    assert len(receiver.received) == 3
    assert sleep.waits == [1.0, 2.0]
    assert all(request.signature_ok for request in receiver.received)


def test_a_retry_that_succeeds_counts_as_delivered(receiver: FakeReceiver) -> None:
    receiver.statuses.extend([429, 200])
    assert post_escalation_webhook(settings_for(receiver.url), escalation(), sleep=NoSleep())
    assert len(receiver.received) == 2


def test_a_refusal_is_not_retried(receiver: FakeReceiver) -> None:
    receiver.statuses.append(400)
    assert not post_escalation_webhook(settings_for(receiver.url), escalation(), sleep=NoSleep())
    assert len(receiver.received) == 1


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: FakeReceiver) -> None:
    settings = settings_for(receiver.url, CARE_TEAM_WEBHOOK_SECRET="not the shared secret")
    assert not post_escalation_webhook(settings, escalation(), sleep=NoSleep())
    assert [request.signature_ok for request in receiver.received] == [False]


def test_an_unreachable_receiver_is_retried_then_given_up() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        url = f"http://127.0.0.1:{closed.server_address[1]}/"
    sleep = NoSleep()
    assert not post_escalation_webhook(settings_for(url), escalation(), sleep=sleep)
    assert sleep.waits == [1.0, 2.0]


def test_no_alert_without_a_url_or_without_a_secret(receiver: FakeReceiver) -> None:
    assert not post_escalation_webhook(settings_for(""), escalation())
    unsigned = settings_for(receiver.url, CARE_TEAM_WEBHOOK_SECRET="")
    assert not post_escalation_webhook(unsigned, escalation())
    assert receiver.received == []


def alerted(database: Database) -> dict[int, dt.datetime | None]:
    """Each escalation's alerted_at."""
    with database.Session() as session:
        return {row.id: row.alerted_at for row in session.scalars(sa.select(Escalation))}


def test_pending_alerts_are_posted_once_and_marked(
    receiver: FakeReceiver, database: Database
) -> None:
    now = dt.datetime(2026, 11, 23, 22, 5)
    first = add_escalation(database, created_at=now - dt.timedelta(minutes=3))
    second = add_escalation(database, created_at=now - dt.timedelta(minutes=1))
    done = add_escalation(database, alerted_at=now - dt.timedelta(minutes=2))
    stale = add_escalation(database, created_at=now - dt.timedelta(days=2))
    settings = settings_for(receiver.url)

    assert deliver_pending_alerts(database.Session, settings, now).posted == 2
    assert [request.payload["escalation_id"] for request in receiver.received] == [first, second]
    assert all(request.signature_ok for request in receiver.received)
    marks = alerted(database)
    assert marks[first] == marks[second] == now
    assert marks[stale] is None and marks[done] == now - dt.timedelta(minutes=2)

    assert deliver_pending_alerts(database.Session, settings, now).posted == 0
    assert len(receiver.received) == 2


def test_a_failed_alert_stays_pending_and_is_tried_again_after_its_backoff(
    receiver: FakeReceiver, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("service.gateway.care_webhook.BACKOFF_SECONDS", 0.0)
    now = dt.datetime(2026, 11, 23, 22, 5)
    first = add_escalation(database, created_at=now - dt.timedelta(minutes=3))
    second = add_escalation(database, created_at=now - dt.timedelta(minutes=1))
    receiver.statuses.extend([503, 503, 503])
    settings = settings_for(receiver.url)

    assert deliver_pending_alerts(database.Session, settings, now).failed == 1
    assert len(receiver.received) == 3  # one alert's retries, then the run stops
    assert alerted(database) == {first: None, second: None}
    with database.Session() as session:
        failed = session.get(Escalation, first)
        assert failed is not None
        assert (failed.webhook_attempts, failed.webhook_error) == (1, "HTTP 503")
        assert failed.webhook_next_at == now + dt.timedelta(seconds=29)

    # Before its backoff has passed the failed alert waits; the next one goes meanwhile.
    soon = now + dt.timedelta(seconds=10)
    assert deliver_pending_alerts(database.Session, settings, soon).posted == 1
    assert alerted(database) == {first: None, second: soon}
    later = now + dt.timedelta(seconds=30)
    assert deliver_pending_alerts(database.Session, settings, later).posted == 1
    assert alerted(database) == {first: later, second: soon}


def test_nothing_is_posted_when_no_webhook_is_configured(database: Database) -> None:
    add_escalation(database)
    done = deliver_pending_alerts(database.Session, Settings(), dt.datetime(2026, 11, 23))
    assert done.posted == done.failed == 0


def test_an_alert_another_scheduler_is_posting_is_skipped(
    receiver: FakeReceiver, database: Database
) -> None:
    if not database.is_postgresql:
        pytest.skip("row locks (SKIP LOCKED) are PostgreSQL's; SQLite runs one writer")
    now = dt.datetime(2026, 11, 23, 22, 5)
    busy = add_escalation(database, created_at=now - dt.timedelta(minutes=3))
    free = add_escalation(database, created_at=now - dt.timedelta(minutes=1))
    with database.Session.begin() as other_scheduler:
        other_scheduler.scalars(
            sa.select(Escalation).where(Escalation.id == busy).with_for_update()
        ).one()
        done = deliver_pending_alerts(database.Session, settings_for(receiver.url), now)
        assert done.posted == 1
    assert [request.payload["escalation_id"] for request in receiver.received] == [free]
