"""Sending: claim due rows atomically, send outside the transaction, record each outcome once.

The store (`service.store.planned`) claims rows so several scheduler processes share the work
without sending anything twice. A row is marked `sending` before its REST call and
`sent`/`failed`/`unknown`/`error` after; a crash in between leaves `sending`, which housekeeping
turns into `unknown`, never into a second send.

Care-team alerts are the exception: they count as sent only when Twilio accepted them, and any
other outcome puts them back in the plan with a backoff (`service.domain.retries`) for 24 hours.
Every failure is logged with its cause and the masked number it was for: alerts at ERROR,
everything else at WARNING.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode

from service.config import Settings
from service.domain.life import QUESTION_OF_ITEM
from service.domain.phones import mask
from service.domain.retries import next_alert_try
from service.gateway.sender import Sender, SendError
from service.store import consent, messages, planned, subscribers
from service.store.db import Database, DbSession, DuplicateError, transaction
from service.store.planned import ALERT_ITEM, CARE_TEAM_LANGUAGE, Claimed
from service.vocabulary import (
    Channel,
    ConsentChannel,
    MessageStatus,
    PlanStatus,
    Recipient,
    SendFailure,
    Status,
)
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
    """What one send pass did, every outcome counted, for logs, `boneline tick` and tests."""

    # Scheduled texts and calls and care-team SMS alerts Twilio accepted, with their SIDs.
    sent: list[tuple[Claimed, str]] = field(default_factory=list)
    # Rows that ended without going out: FAILED, UNKNOWN, ERROR (an alert given up included).
    failed: list[tuple[Claimed, PlanStatus]] = field(default_factory=list)
    # Care-team SMS alerts that did not go out this pass and are due again later (backoff).
    alerts_retrying: list[Claimed] = field(default_factory=list)
    skipped: int = 0
    cancelled: int = 0
    # Texts the phone line queued: how each one ended this pass (`MessageStatus` values).
    outbox: Counter[MessageStatus] = field(default_factory=Counter)
    # The care team's webhook alerts posted, and those that failed this pass.
    webhooks_posted: int = 0
    webhooks_failed: int = 0

    def __post_init__(self) -> None:
        """Several sending threads add to one report."""
        self.lock = threading.Lock()

    def summary(self) -> str:
        """Every outcome of the pass, in one line."""
        scheduled = [row for row, _sid in self.sent if row.recipient is Recipient.SUBSCRIBER]
        alerts = len(self.sent) - len(scheduled)
        ended = Counter(
            status for row, status in self.failed if row.recipient is Recipient.SUBSCRIBER
        )
        given_up = len(self.failed) - sum(ended.values())
        outbox = self.outbox
        return (
            f"sent {len(scheduled)}, failed {ended[PlanStatus.FAILED]}, "
            f"unknown {ended[PlanStatus.UNKNOWN]}, errors {ended[PlanStatus.ERROR]}, "
            f"skipped {self.skipped}, cancelled {self.cancelled}; "
            f"care-team alerts: sent {alerts}, to retry {len(self.alerts_retrying)}, "
            f"given up {given_up}; "
            f"phone-line texts: sent {outbox[MessageStatus.SUBMITTED]}, "
            f"failed {outbox[MessageStatus.REJECTED]}, unknown {outbox[MessageStatus.UNKNOWN]}, "
            f"errors {outbox[MessageStatus.ERROR]}, skipped {outbox[MessageStatus.SKIPPED]}, "
            f"cancelled {outbox[MessageStatus.CANCELLED]}; "
            f"webhook alerts: posted {self.webhooks_posted}, failed {self.webhooks_failed}"
        )

    @property
    def did_anything(self) -> bool:
        """Whether the pass had any outcome worth a log line."""
        return bool(
            self.sent
            or self.failed
            or self.alerts_retrying
            or self.skipped
            or self.cancelled
            or sum(self.outbox.values())
            or self.webhooks_posted
            or self.webhooks_failed
        )


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
    # Called after each batch, so a long pass still shows it is alive (the heartbeat).
    progress: Callable[[SendReport], None] | None = None

    def run(self, now: dt.datetime, report: SendReport | None = None) -> SendReport:
        """Queue care-team alerts, send the outbox, then everything due, a batch at a time.

        One message's failure, odd answer or recording error never stops the pass: it is
        recorded on that message and the pass goes on.
        """
        report = report or SendReport()
        if self.settings.CARE_TEAM_PHONE:
            queue_care_team_alerts(self.database, now)
        limiter = RateLimiter(self.settings.SEND_RATE_PER_SECOND)
        self.send_outbox(now, limiter, report)
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
                if self.progress is not None:
                    self.progress(report)

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
        """Send one row and record its outcome; whatever goes wrong stays with this row."""
        try:
            if not self._start_sending(row, now):
                return
            sid, error = self._attempt(row, limiter)
            self._record(row, sid, error, now, report)
        except Exception as error:
            # A bug or a database error while recording this one row: keep it on the row.
            log.error("%s: unexpected %s", self.describe(row), type(error).__name__, exc_info=True)
            self._record_error(row, None, f"unexpected {type(error).__name__}", now, report)

    def _start_sending(self, row: Claimed, now: dt.datetime) -> bool:
        """Mark the row `sending` just before its request: after a crash, only these are unknown.

        Rows still `claimed` by a crashed pass never reached Twilio; housekeeping puts them back.
        False when this pass no longer holds the claim (housekeeping released it meanwhile).
        """
        with self.database.engine.begin() as connection:
            return planned.start_sending(connection, row.id, self.claim_token, now)

    def _attempt(self, row: Claimed, limiter: RateLimiter) -> tuple[str | None, SendError | None]:
        """One scheduled message out, with retries."""
        return self._with_retries(lambda: self._send(row), limiter, self.describe(row))

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
                pause = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2**retry) * random.uniform(
                    0.5, 1.0
                )
                log.warning(
                    "%s: %s; trying again in %.1f s (try %s of %s)",
                    what,
                    error.cause,
                    pause,
                    retry + 1,
                    retries + 1,
                )
                self.sleep(pause)
            except Exception as error:
                # A bug on our side mid-send: the request may have gone, so never send it again.
                log.error("%s: unexpected %s", what, type(error).__name__, exc_info=True)
                cause = f"unexpected {type(error).__name__} while sending"
                return None, SendError(SendFailure.UNEXPECTED, cause=cause)
        return None, SendError(SendFailure.RETRY)

    def describe(self, row: Claimed) -> str:
        """A row for the log: what, which row, and the masked number it is for."""
        if row.recipient is Recipient.CARE_TEAM:
            return (
                f"care-team alert for escalation {row.escalation_id} (planned message {row.id}) "
                f"to {mask(self.settings.CARE_TEAM_PHONE)}"
            )
        return f"{row.message_id} (planned message {row.id}) to {mask(row.phone)}"

    def send_outbox(self, now: dt.datetime, limiter: RateLimiter, report: SendReport) -> None:
        """Send the texts the phone line queued for callers who asked for them, each once."""
        claim = claim_outbox(self.database, now)
        report.outbox[MessageStatus.SKIPPED] += claim.skipped
        report.outbox[MessageStatus.CANCELLED] += claim.cancelled
        for text in claim.texts:
            report.outbox[self._send_one_outbox(text, limiter, now)] += 1

    def _send_one_outbox(
        self, text: messages.OutboxText, limiter: RateLimiter, now: dt.datetime
    ) -> MessageStatus:
        """Send one outbox text and record how it ended; whatever goes wrong stays with it."""
        what = f"phone-line text (message {text.id}) to {mask(text.phone)}"
        try:
            send = functools.partial(self.sender.send_sms, text.phone, text.body)
            sid, error = self._with_retries(send, limiter, what)
            status, cause = self._record_outbox(text, sid, error, now)
        except Exception as unexpected:
            log.error("%s: unexpected %s", what, type(unexpected).__name__, exc_info=True)
            status, cause = self._outbox_error(text, f"unexpected {type(unexpected).__name__}", now)
        if status is not MessageStatus.SUBMITTED:
            log.warning("%s: %s; not retried (recorded %s)", what, cause, status.value)
        return status

    def _record_outbox(
        self,
        text: messages.OutboxText,
        sid: str | None,
        error: SendError | None,
        now: dt.datetime,
    ) -> tuple[MessageStatus, str]:
        """Write one outbox outcome (a SID already on another message is an error)."""
        failure, code, cause = (
            (error.failure, error.code, error.cause) if error else (None, None, "")
        )
        try:
            with transaction(self.database.Session) as session:
                status = messages.record_outbox_outcome(
                    session, text.id, sid, failure, code, now, cause
                )
                if error is not None:
                    apply_failure_to_person(session, text.subscriber_id, error, now)
                return status, cause
        except DuplicateError:
            cause = f"Twilio answered with SID {sid}, already on another message"
            return self._outbox_error(text, cause, now)

    def _outbox_error(
        self, text: messages.OutboxText, cause: str, now: dt.datetime
    ) -> tuple[MessageStatus, str]:
        """Record an outbox text as an error (never sent again)."""
        try:
            with transaction(self.database.Session) as session:
                messages.mark_outbox_error(session, text.id, cause, now)
        except Exception:
            log.error("could not record outbox message %s as an error", text.id, exc_info=True)
        return MessageStatus.ERROR, cause

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
        if error is None and sid is not None:
            try:
                with transaction(self.database.Session) as session:
                    record_sent(session, row, sid, self._logged_body(row), now)
            except DuplicateError:
                cause = f"Twilio answered with SID {sid}, already on another message"
                self._record_error(row, sid, cause, now, report)
                return
            with report.lock:
                report.sent.append((row, sid))
            return
        assert error is not None
        if row.recipient is Recipient.CARE_TEAM:
            self._alert_failed(row, error.code, error.cause, now, report)
            return
        with transaction(self.database.Session) as session:
            status = record_failure(session, row, error, now)
        log.warning(
            "%s: %s; not retried (recorded %s)", self.describe(row), error.cause, status.value
        )
        with report.lock:
            report.failed.append((row, status))

    def _record_error(
        self, row: Claimed, sid: str | None, cause: str, now: dt.datetime, report: SendReport
    ) -> None:
        """Something unexpected about one row: an alert is tried again, anything else is ERROR.

        If even that cannot be written (the database is gone), the row stays `sending`:
        housekeeping makes it unknown (an alert: due again), and the pass goes on.
        """
        try:
            if row.recipient is Recipient.CARE_TEAM:
                self._alert_failed(row, None, cause, now, report)
                return
            with transaction(self.database.Session) as session:
                planned.mark_error(session, row.id, sid, cause, now)
        except Exception:
            log.error("could not record planned message %s as an error", row.id, exc_info=True)
            return
        log.warning("%s: %s; not retried (recorded error)", self.describe(row), cause)
        with report.lock:
            report.failed.append((row, PlanStatus.ERROR))

    def _alert_failed(
        self, row: Claimed, code: int | None, cause: str, now: dt.datetime, report: SendReport
    ) -> None:
        """A care-team alert that did not go out: due again after a backoff, for 24 hours."""
        failures = row.attempts + 1  # this pass's try counted too
        retry_at = next_alert_try(row.created_at or now, failures, now)
        with transaction(self.database.Session) as session:
            if retry_at is None:
                planned.mark_failed(session, row.id, SendFailure.REJECTED, code, now, cause)
            else:
                planned.retry_alert_later(session, row.id, retry_at, code, cause, now)
        if retry_at is None:
            log.error(
                "%s: %s; NOT SENT after %s tries in 24 hours: given up, call the person back "
                "from the care page",
                self.describe(row),
                cause,
                failures,
            )
            with report.lock:
                report.failed.append((row, PlanStatus.FAILED))
            return
        log.error(
            "%s: %s; not sent yet (try %s): trying again at %s UTC",
            self.describe(row),
            cause,
            failures,
            f"{retry_at:%Y-%m-%d %H:%M:%S}",
        )
        with report.lock:
            report.alerts_retrying.append(row)

    def _logged_body(self, row: Claimed) -> str:
        """What the message log keeps: the text, or the call's catalog id."""
        if row.recipient is Recipient.CARE_TEAM:
            return ALERT_ITEM
        if row.channel is Channel.VOICE:
            return row.message_id
        return self.body(row)


def claim_outbox(database: Database, now: dt.datetime) -> messages.OutboxClaim:
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
    question = QUESTION_OF_ITEM.get(row.item_key)
    if question is not None and row.channel is Channel.SMS and row.subscriber_id:
        subscribers.note_question_sent(session, row.subscriber_id, question, now)
    if care_team:
        log.info("sent the care-team alert for escalation %s as %s", row.escalation_id, sid)
    else:
        log.info("sent %s to %s as %s", row.message_id, mask(row.phone), sid)


def record_failure(
    session: DbSession, row: Claimed, error: SendError, now: dt.datetime
) -> PlanStatus:
    """Mark the row unknown, error or failed; an opt-out or a bad number changes the person too.

    Returns the status written.
    """
    status = planned.mark_failed(session, row.id, error.failure, error.code, now, error.cause)
    if row.recipient is not Recipient.CARE_TEAM:
        apply_failure_to_person(session, row.subscriber_id, error, now)
    return status


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
        log.warning(
            "%s claims of a crashed sender (never sent, or care-team alerts) planned again",
            released,
        )
    if unknown:
        log.warning("%s sends left unfinished by a crash are now unknown", unknown)
    return unknown


def due_preview(database: Database, now: dt.datetime, settings: Settings) -> list[Claimed]:
    """Rows a send pass at `now` would claim (for `boneline tick --dry-run`)."""
    late = now - dt.timedelta(hours=settings.MAX_LATENESS_HOURS)
    return list(planned.due_preview(database, now, late))
