"""Sending: claim due rows atomically, send outside the transaction, record each outcome once.

The store (`service.store.planned`) claims rows so several scheduler processes share the work
without sending anything twice. A row is marked `sending` before its REST call and
`sent`/`failed`/`unknown` after; a crash in between leaves `sending`, which housekeeping turns
into `unknown`, never into a second send.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode

from service.config import Settings
from service.domain.phones import mask
from service.domain.vocabulary import Channel, ConsentChannel, Recipient, SendFailure, Status
from service.gateway.sender import Sender, SendError
from service.store import consent, messages, planned, subscribers
from service.store.db import Database, DbSession, transaction
from service.store.planned import ALERT_ITEM, CARE_TEAM_LANGUAGE, Claimed
from service.words.texts import Texts

log = logging.getLogger(__name__)

__all__ = ["Claimed", "SendJob", "SendReport"]

OUTBOX_MAX_AGE = dt.timedelta(hours=24)
OUTBOX_BATCH = 100
ALERT_ERASED_ITEM = "alert.care_team_erased"
ALERT_LOOKBACK = dt.timedelta(days=1)
BACKOFF_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
CHECKIN_PREFIX = "checkin."


@dataclass
class SendReport:
    """What one send pass did, for logs, `boneline tick` and tests."""

    sent: list[tuple[Claimed, str]] = field(default_factory=list)
    failed: list[tuple[Claimed, SendFailure]] = field(default_factory=list)
    skipped: int = 0
    cancelled: int = 0
    outbox: int = 0


class RateLimiter:
    """At most `per_second` acquisitions a second, shared by every sending thread."""

    def __init__(self, per_second: int, clock: Callable[[], float] = time.monotonic) -> None:
        """Space acquisitions 1/per_second apart."""
        self.interval = 1.0 / max(per_second, 1)
        self.clock = clock
        self.next_slot = clock()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        """Wait for the next free slot."""
        with self.lock:
            now = self.clock()
            slot = max(self.next_slot, now)
            self.next_slot = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass
class SendJob:
    """Everything a send pass needs: database, settings, texts and the sender boundary."""

    database: Database
    settings: Settings
    texts: Texts
    sender: Sender
    sleep: Callable[[float], None] = time.sleep
    # Marks this pass's claims, so a pass that lost a claim to housekeeping cannot send it.
    claim_token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def run(self, now: dt.datetime) -> SendReport:
        """Queue care-team alerts, send the outbox, then everything due, a batch at a time."""
        report = SendReport()
        if self.settings.CARE_TEAM_PHONE:
            queue_care_team_alerts(self.database, now)
        limiter = RateLimiter(self.settings.SEND_RATE_PER_SECOND)
        report.outbox = self.send_outbox(now, limiter)
        with ThreadPoolExecutor(max_workers=max(self.settings.SEND_CONCURRENCY, 1)) as pool:
            while True:
                batch = self.claim(now, report)
                if not batch:
                    return report
                # Each outcome is recorded as soon as its request returns, by the same thread,
                # so a crash loses as little as possible and status callbacks find the SID.
                list(pool.map(lambda row: self._send_and_record(row, limiter, now, report), batch))
                if len(batch) < self.settings.SEND_BATCH_SIZE:
                    return report

    def claim(self, now: dt.datetime, report: SendReport) -> list[Claimed]:
        """Cancel the no-longer-wanted, skip the too-late, then claim a batch of due rows."""
        late = now - dt.timedelta(hours=self.settings.MAX_LATENESS_HOURS)
        with self.database.engine.begin() as connection:
            report.cancelled += planned.cancel_unwanted(connection, now)
            report.skipped += planned.skip_late(connection, late, now)
            return planned.claim_due(
                self.database,
                connection,
                now,
                claim_token=self.claim_token,
                batch=self.settings.SEND_BATCH_SIZE,
            )

    def _send_and_record(
        self, row: Claimed, limiter: RateLimiter, now: dt.datetime, report: SendReport
    ) -> None:
        """Send one row and record its outcome."""
        if not self._start_sending(row, now):
            return
        sid, error = self._attempt(row, limiter)
        self._record(row, sid, error, now, report)

    def _start_sending(self, row: Claimed, now: dt.datetime) -> bool:
        """Mark the row `sending` just before its request: after a crash, only these are unknown.

        Rows still `claimed` by a crashed pass never reached Twilio; housekeeping puts them back.
        False when this pass no longer holds the claim (housekeeping released it meanwhile).
        """
        with self.database.engine.begin() as connection:
            return planned.start_sending(connection, row.id, self.claim_token, now)

    def _attempt(self, row: Claimed, limiter: RateLimiter) -> tuple[str | None, SendError | None]:
        """One scheduled message out, with retries."""
        return self._with_retries(lambda: self._send(row), limiter, f"planned message {row.id}")

    def _with_retries(
        self, send: Callable[[], str], limiter: RateLimiter, what: str
    ) -> tuple[str | None, SendError | None]:
        """One REST call, retrying what provably did not reach Twilio, with backoff and jitter."""
        retries = self.settings.SEND_MAX_RETRIES
        for retry in range(retries + 1):
            limiter.acquire()
            try:
                return send(), None
            except SendError as error:
                if error.failure is not SendFailure.RETRY or retry == retries:
                    return None, error
                pause = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2**retry)
                self.sleep(pause * random.uniform(0.5, 1.0))
            except Exception:
                # A bug on our side mid-send: the outcome is unknown, so never send it again.
                log.exception("unexpected error sending %s", what)
                return None, SendError(SendFailure.UNKNOWN)
        return None, SendError(SendFailure.RETRY)

    def send_outbox(self, now: dt.datetime, limiter: RateLimiter) -> int:
        """Send the texts the phone line queued for callers who asked for them, each once."""
        sent = 0
        for text in claim_outbox(self.database, now):
            send = functools.partial(self.sender.send_sms, text.phone, text.body)
            sid, error = self._with_retries(send, limiter, f"outbox message {text.id}")
            with transaction(self.database.Session) as session:
                failure, code = (error.failure, error.code) if error else (None, None)
                messages.record_outbox_outcome(session, text.id, sid, failure, code, now)
                if error is not None:
                    apply_failure_to_person(session, text.subscriber_id, error, now)
            sent += error is None
        return sent

    def _send(self, row: Claimed) -> str:
        """Send one claimed row through the sender boundary."""
        if row.recipient is Recipient.CARE_TEAM:
            return self.sender.send_sms(self.settings.CARE_TEAM_PHONE, self.alert_body(row))
        if row.channel is Channel.VOICE:
            return self.sender.place_call(row.phone, self.call_url(row))
        return self.sender.send_sms(row.phone, self.body(row))

    def alert_body(self, row: Claimed) -> str:
        """The care team's alert: the last digits, or that the person had their number erased."""
        if row.phone:
            return self.texts.sms(
                row.message_id, CARE_TEAM_LANGUAGE, {"last_digits": row.phone[-4:]}
            )
        return self.texts.sms(ALERT_ERASED_ITEM, CARE_TEAM_LANGUAGE)

    def body(self, row: Claimed) -> str:
        """The text of a scheduled message in the person's language."""
        return self.texts.sms(row.message_id, row.language)

    def call_url(self, row: Claimed) -> str:
        """The TwiML URL the phone line serves for a reminder call."""
        query = urlencode({"message": row.message_id, "lang": row.language})
        return self.settings.public_url("/voice/reminder") + "?" + query

    def _record(
        self,
        row: Claimed,
        sid: str | None,
        error: SendError | None,
        now: dt.datetime,
        report: SendReport,
    ) -> None:
        """Write one outcome, and what it means for the person, in its own transaction."""
        with transaction(self.database.Session) as session:
            if error is None and sid is not None:
                record_sent(session, row, sid, self._logged_body(row), now)
                report.sent.append((row, sid))
                return
            assert error is not None
            record_failure(session, row, error, now)
            report.failed.append((row, error.failure))

    def _logged_body(self, row: Claimed) -> str:
        """What the message log keeps: the text, or the call's catalog id."""
        if row.recipient is Recipient.CARE_TEAM:
            return ALERT_ITEM
        if row.channel is Channel.VOICE:
            return row.message_id
        return self.body(row)


def claim_outbox(database: Database, now: dt.datetime) -> list[messages.OutboxText]:
    """Skip stale or no-longer-wanted waiting texts, then claim the rest for this pass."""
    with database.engine.begin() as connection:
        return messages.claim_outbox(
            connection,
            now,
            max_age=OUTBOX_MAX_AGE,
            batch=OUTBOX_BATCH,
            lock_rows=database.is_postgresql,
        )


def queue_care_team_alerts(database: Database, now: dt.datetime) -> int:
    """An outbox row for each recent escalation that has none yet (sent on the next pass)."""
    with database.engine.begin() as connection:
        return planned.queue_care_team_alerts(database, connection, now, ALERT_LOOKBACK)


def record_sent(session: DbSession, row: Claimed, sid: str, body: str, now: dt.datetime) -> None:
    """Mark the row sent with its SID and log the outbound message."""
    planned.mark_sent(session, row.id, sid, now)
    care_team = row.recipient is Recipient.CARE_TEAM
    messages.log_submitted(
        session,
        subscriber_id=None if care_team else row.subscriber_id,
        phone="" if care_team else row.phone,
        channel=row.channel,
        twilio_sid=sid,
        body=body,
        message_id=row.message_id,
        now=now,
    )
    if row.item_key.startswith(CHECKIN_PREFIX) and not care_team and row.subscriber_id:
        subscribers.note_checkin_sent(session, row.subscriber_id, now)
    log.info("sent %s to %s as %s", row.message_id, mask(row.phone), sid)


def record_failure(session: DbSession, row: Claimed, error: SendError, now: dt.datetime) -> None:
    """Mark the row unknown or failed; an opt-out or a bad number changes the person too."""
    planned.mark_failed(session, row.id, error.failure, error.code, now)
    log.warning("planned message %s to %s: %s", row.id, mask(row.phone), error)
    if row.recipient is not Recipient.CARE_TEAM:
        apply_failure_to_person(session, row.subscriber_id, error, now)


def apply_failure_to_person(
    session: DbSession, subscriber_id: int | None, error: SendError, now: dt.datetime
) -> None:
    """21610 opts the person out (consent log, channel carrier); 21211/21614 flag the number."""
    person = subscribers.find_by_id(session, subscriber_id) if subscriber_id else None
    if person is None:
        return
    if error.failure is SendFailure.OPTED_OUT and person.status is not Status.STOPPED:
        consent.record_opt_out(
            session,
            person.id,
            person.phone,
            channel=ConsentChannel.CARRIER,
            disclosure_id="carrier.21610",
            disclosure_version="",
            language=person.language,
            evidence=f"Twilio error {error.code}",
            now=now,
        )
    elif error.failure is SendFailure.INVALID_NUMBER:
        subscribers.mark_number_invalid(session, person.id, error.code, now)


def mark_stale_sends_unknown(database: Database, now: dt.datetime, stale_minutes: int) -> int:
    """After a crash: `sending` rows become unknown (never resent); unsent claims are freed."""
    stale = now - dt.timedelta(minutes=stale_minutes)
    with database.engine.begin() as connection:
        released, unknown = planned.release_stale(connection, stale, now)
        unknown += messages.forget_stale_claims(connection, stale, now)
    if released:
        log.warning("%s claims of a crashed sender never reached Twilio: planned again", released)
    if unknown:
        log.warning("%s sends left unfinished by a crash are now unknown", unknown)
    return unknown


def due_preview(database: Database, now: dt.datetime, settings: Settings) -> list[Claimed]:
    """Rows a send pass at `now` would claim (for `boneline tick --dry-run`)."""
    late = now - dt.timedelta(hours=settings.MAX_LATENESS_HOURS)
    return list(planned.due_preview(database, now, late))
