"""Sending: claim due rows atomically, send outside the transaction, record each outcome once.

PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so several scheduler processes share the work
without sending anything twice; SQLite has a single writer, and the same conditional UPDATE
(`... WHERE status = 'planned'`) makes a claim atomic there. A row is marked `sending` before its
REST call and `sent`/`failed`/`unknown` after; a crash in between leaves `sending`, which
housekeeping turns into `unknown`, never into a second send.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from scheduler.planning import insert_ignoring_duplicates
from service.config import Settings
from service.db import Base, Database
from service.models import (
    Channel,
    Direction,
    Message,
    PlanStatus,
    Recipient,
    Stage,
    Status,
    Subscriber,
)
from service.phones import mask
from service.records import record_opt_out
from service.sender import Failure, Sender, SendError
from service.texts import Texts

log = logging.getLogger(__name__)

planned = Base.metadata.tables["planned_messages"]
subscribers = Base.metadata.tables["subscribers"]
messages = Base.metadata.tables["messages"]
escalations = Base.metadata.tables["escalations"]

# Texts the phone line queued for a caller wait in the message log as `queued` with no SID.
OUTBOX_QUEUED = "queued"
OUTBOX_CLAIMED = "claimed"
OUTBOX_MAX_AGE = dt.timedelta(hours=24)
OUTBOX_BATCH = 100

ALERT_ITEM = "alert.care_team"
ALERT_ERASED_ITEM = "alert.care_team_erased"
ALERT_LOOKBACK = dt.timedelta(days=1)
CARE_TEAM_LANGUAGE = "en"
BACKOFF_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0

# Which stage each schedule item belongs to, by key prefix: a stage change cancels the rest.
STAGE_OF_PREFIX = {
    "pregnant.": Stage.PREGNANT,
    "postpartum.": Stage.POSTPARTUM,
    "checkin.": Stage.POSTPARTUM,
}


@dataclass(frozen=True)
class Claimed:
    """One claimed row, with what sending it needs."""

    id: int
    subscriber_id: int | None
    phone: str
    recipient: Recipient
    channel: Channel
    item_key: str
    message_id: str
    language: str


@dataclass
class SendReport:
    """What one send pass did, for logs, `boneline tick` and tests."""

    sent: list[tuple[Claimed, str]] = field(default_factory=list)
    failed: list[tuple[Claimed, Failure]] = field(default_factory=list)
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
            report.cancelled += _cancel_unwanted(connection, now)
            report.skipped += _skip_late(connection, late, now)
            due = (
                sa.select(planned.c.id)
                .where(planned.c.status == PlanStatus.PLANNED, planned.c.send_at <= now)
                .order_by(planned.c.send_at, planned.c.id)
                .limit(self.settings.SEND_BATCH_SIZE)
            )
            if self.database.is_postgresql:
                due = due.with_for_update(skip_locked=True)
            ids = connection.scalars(
                sa.update(planned)
                .where(planned.c.id.in_(due.scalar_subquery()))
                .where(planned.c.status == PlanStatus.PLANNED)
                .values(
                    status=PlanStatus.CLAIMED,
                    claim_token=self.claim_token,
                    claimed_at=now,
                    updated_at=now,
                )
                .returning(planned.c.id)
            ).all()
            if not ids:
                return []
            rows = connection.execute(
                claimed_rows()
                .where(planned.c.id.in_(ids))
                .order_by(planned.c.send_at, planned.c.id)
            ).all()
        return [Claimed(*row) for row in rows]

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
            result = connection.execute(
                sa.update(planned)
                .where(
                    planned.c.id == row.id,
                    planned.c.status == PlanStatus.CLAIMED,
                    planned.c.claim_token == self.claim_token,
                )
                .values(status=PlanStatus.SENDING, attempts=planned.c.attempts + 1, updated_at=now)
            )
        return result.rowcount == 1

    def _attempt(self, row: Claimed, limiter: RateLimiter) -> tuple[str | None, SendError | None]:
        """One scheduled message out, with retries."""
        return self._with_retries(lambda: self._send(row), limiter, f"planned message {row.id}")

    def _with_retries(
        self, send: Callable[[], str], limiter: RateLimiter, what: str
    ) -> tuple[str | None, SendError | None]:
        """One REST call, retrying what provably did not reach Twilio, with backoff and jitter."""
        for retry in range(self.settings.SEND_MAX_RETRIES + 1):
            limiter.acquire()
            try:
                return send(), None
            except SendError as error:
                if error.failure is not Failure.RETRY or retry == self.settings.SEND_MAX_RETRIES:
                    return None, error
                pause = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2**retry)
                self.sleep(pause * random.uniform(0.5, 1.0))
            except Exception:
                # A bug on our side mid-send: the outcome is unknown, so never send it again.
                log.exception("unexpected error sending %s", what)
                return None, SendError(Failure.UNKNOWN)
        return None, SendError(Failure.RETRY)

    def send_outbox(self, now: dt.datetime, limiter: RateLimiter) -> int:
        """Send the texts the phone line queued for callers who asked for them, each once."""
        sent = 0
        for message_id, subscriber_id, phone, body in claim_outbox(self.database, now):
            send = functools.partial(self.sender.send_sms, phone, body)
            sid, error = self._with_retries(send, limiter, f"outbox message {message_id}")
            with self.database.Session.begin() as session:
                record_outbox_outcome(session, message_id, subscriber_id, sid, error, now)
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
        catalog, params = self.texts.catalog, self.texts.params
        if row.phone:
            return catalog.text(
                row.message_id, CARE_TEAM_LANGUAGE, **params, last_digits=row.phone[-4:]
            )
        return catalog.text(ALERT_ERASED_ITEM, CARE_TEAM_LANGUAGE, **params)

    def body(self, row: Claimed) -> str:
        """The text of a scheduled message in the person's language."""
        return self.texts.catalog.text(row.message_id, row.language, **self.texts.params)

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
        with self.database.Session.begin() as session:
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


def record_sent(session: Session, row: Claimed, sid: str, body: str, now: dt.datetime) -> None:
    """Mark the row sent with its SID and log the outbound message."""
    session.execute(
        sa.update(planned)
        .where(planned.c.id == row.id)
        .values(status=PlanStatus.SENT, twilio_sid=sid, updated_at=now)
    )
    care_team = row.recipient is Recipient.CARE_TEAM
    session.add(
        Message(
            subscriber_id=None if care_team else row.subscriber_id,
            phone=row.phone if not care_team else "",
            direction=Direction.OUTBOUND,
            channel=row.channel,
            twilio_sid=sid,
            body=body,
            message_id=row.message_id,
            status="queued",
            created_at=now,
            updated_at=now,
        )
    )
    if row.item_key.startswith("checkin.") and not care_team:
        session.execute(
            sa.update(subscribers)
            .where(subscribers.c.id == row.subscriber_id)
            .values(last_checkin_at=now)
        )
    log.info("sent %s to %s as %s", row.message_id, mask(row.phone), sid)


def record_failure(session: Session, row: Claimed, error: SendError, now: dt.datetime) -> None:
    """Mark the row unknown or failed; an opt-out or a bad number changes the person too."""
    status = PlanStatus.UNKNOWN if error.failure is Failure.UNKNOWN else PlanStatus.FAILED
    session.execute(
        sa.update(planned)
        .where(planned.c.id == row.id)
        .values(status=status, error_code=error.code, updated_at=now)
    )
    log.warning("planned message %s to %s: %s", row.id, mask(row.phone), error)
    if row.recipient is not Recipient.CARE_TEAM:
        apply_failure_to_person(session, row.subscriber_id, error, now)


def apply_failure_to_person(
    session: Session, subscriber_id: int | None, error: SendError, now: dt.datetime
) -> None:
    """21610 opts the person out (consent log, channel carrier); 21211/21614 flag the number."""
    subscriber = session.get(Subscriber, subscriber_id) if subscriber_id else None
    if subscriber is None:
        return
    if error.failure is Failure.OPTED_OUT and subscriber.status is not Status.STOPPED:
        record_opt_out(
            session,
            subscriber,
            subscriber.phone,
            channel="carrier",
            disclosure_id="carrier.21610",
            disclosure_version="",
            language=subscriber.language,
            evidence=f"Twilio error {error.code}",
            now=now,
        )
    elif error.failure is Failure.INVALID_NUMBER:
        subscriber.number_invalid_at = now
        subscriber.number_invalid_code = error.code


def _skip_late(connection: sa.Connection, late: dt.datetime, now: dt.datetime) -> int:
    """Skip scheduled messages too late or past the window's end (alerts are never late)."""
    result = connection.execute(
        sa.update(planned)
        .where(
            planned.c.status == PlanStatus.PLANNED,
            sa.or_(planned.c.send_at < late, planned.c.window_end <= now),
            planned.c.recipient == Recipient.SUBSCRIBER,
        )
        .values(status=PlanStatus.SKIPPED, updated_at=now)
    )
    return result.rowcount or 0


def _cancel_unwanted(connection: sa.Connection, now: dt.datetime) -> int:
    """Cancel due rows for people who stopped, changed stage, or whose number cannot get texts."""
    person = subscribers.alias("person")
    wrong_stage = sa.or_(
        *(
            sa.and_(planned.c.item_key.startswith(prefix), person.c.stage.is_distinct_from(stage))
            for prefix, stage in STAGE_OF_PREFIX.items()
        )
    )
    unwanted = sa.exists().where(
        person.c.id == planned.c.subscriber_id,
        sa.or_(
            person.c.status != Status.ACTIVE,
            sa.and_(
                person.c.number_invalid_at.is_not(None),
                sa.or_(planned.c.channel == Channel.SMS, person.c.number_invalid_code == 21211),
            ),
            wrong_stage,
        ),
    )
    result = connection.execute(
        sa.update(planned)
        .where(
            planned.c.status == PlanStatus.PLANNED,
            planned.c.send_at <= now,
            planned.c.recipient == Recipient.SUBSCRIBER,
            unwanted,
        )
        .values(status=PlanStatus.CANCELLED, updated_at=now)
    )
    return result.rowcount or 0


def queue_care_team_alerts(database: Database, now: dt.datetime) -> int:
    """An outbox row for each recent escalation that has none yet (sent on the next pass)."""
    with database.engine.begin() as connection:
        fresh = connection.execute(
            sa.select(escalations.c.id)
            .outerjoin(planned, planned.c.escalation_id == escalations.c.id)
            .where(planned.c.id.is_(None), escalations.c.created_at >= now - ALERT_LOOKBACK)
        ).scalars()
        rows = [_alert_row(escalation_id, now) for escalation_id in fresh]
        if rows:
            connection.execute(insert_ignoring_duplicates(database, planned), rows)
    return len(rows)


def _alert_row(escalation_id: int, now: dt.datetime) -> dict[str, Any]:
    """The outbox row for one care-team alert: tied to the escalation, not to a subscriber."""
    return {
        "subscriber_id": None,
        "item_key": f"alert.{escalation_id}",
        "local_date": now.date(),
        "send_at": now,
        "window_end": now + ALERT_LOOKBACK,
        "recipient": Recipient.CARE_TEAM,
        "channel": Channel.SMS,
        "message_id": ALERT_ITEM,
        "language": CARE_TEAM_LANGUAGE,
        "status": PlanStatus.PLANNED,
        "attempts": 0,
        "escalation_id": escalation_id,
        "created_at": now,
        "updated_at": now,
    }


def claim_outbox(database: Database, now: dt.datetime) -> list[Any]:
    """Skip stale or no-longer-wanted queued texts, then claim the rest (one process each)."""
    waiting = sa.and_(
        messages.c.direction == Direction.OUTBOUND,
        messages.c.status == OUTBOX_QUEUED,
        messages.c.twilio_sid.is_(None),
    )
    stopped = sa.select(subscribers.c.id).where(subscribers.c.status == Status.STOPPED)
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(messages)
            .where(waiting, messages.c.created_at < now - OUTBOX_MAX_AGE)
            .values(status=PlanStatus.SKIPPED.value, updated_at=now)
        )
        connection.execute(
            sa.update(messages)
            .where(waiting, messages.c.subscriber_id.in_(stopped))
            .values(status=PlanStatus.CANCELLED.value, updated_at=now)
        )
        due = (
            sa.select(messages.c.id)
            .where(waiting, messages.c.channel == Channel.SMS, messages.c.created_at <= now)
            .order_by(messages.c.id)
            .limit(OUTBOX_BATCH)
        )
        if database.is_postgresql:
            due = due.with_for_update(skip_locked=True)
        return list(
            connection.execute(
                sa.update(messages)
                .where(messages.c.id.in_(due.scalar_subquery()), waiting)
                .values(status=OUTBOX_CLAIMED, updated_at=now)
                .returning(
                    messages.c.id, messages.c.subscriber_id, messages.c.phone, messages.c.body
                )
            ).all()
        )


def record_outbox_outcome(
    session: Session,
    message_id: int,
    subscriber_id: int | None,
    sid: str | None,
    error: SendError | None,
    now: dt.datetime,
) -> None:
    """The SID (status `queued`, as Twilio says), or the failure and what it means."""
    if error is None:
        values: dict[str, Any] = {"status": OUTBOX_QUEUED, "twilio_sid": sid}
    else:
        status = PlanStatus.UNKNOWN if error.failure is Failure.UNKNOWN else PlanStatus.FAILED
        values = {"status": status.value, "error_code": error.code}
        apply_failure_to_person(session, subscriber_id, error, now)
    session.execute(
        sa.update(messages).where(messages.c.id == message_id).values(updated_at=now, **values)
    )


def mark_stale_sends_unknown(database: Database, now: dt.datetime, stale_minutes: int) -> int:
    """After a crash: `sending` rows become unknown (never resent); unsent claims are freed."""
    stale = now - dt.timedelta(minutes=stale_minutes)
    with database.engine.begin() as connection:
        released = connection.execute(
            sa.update(planned)
            .where(planned.c.status == PlanStatus.CLAIMED, planned.c.claimed_at < stale)
            .values(status=PlanStatus.PLANNED, claim_token=None, updated_at=now)
        )
        result = connection.execute(
            sa.update(planned)
            .where(planned.c.status == PlanStatus.SENDING, planned.c.claimed_at < stale)
            .values(status=PlanStatus.UNKNOWN, updated_at=now)
        )
        outbox = connection.execute(
            sa.update(messages)
            .where(messages.c.status == OUTBOX_CLAIMED, messages.c.updated_at < stale)
            .values(status=PlanStatus.UNKNOWN.value, updated_at=now)
        )
    if released.rowcount:
        log.warning(
            "%s claims of a crashed sender never reached Twilio: planned again", released.rowcount
        )
    count = (result.rowcount or 0) + (outbox.rowcount or 0)
    if count:
        log.warning("%s sends left unfinished by a crash are now unknown", count)
    return count


def claimed_rows() -> sa.Select[Any]:
    """The columns a send needs from a planned row and its subscriber, in `Claimed` order."""
    return (
        sa.select(
            planned.c.id,
            planned.c.subscriber_id,
            # A care-team alert names the person by the escalation's number ("" once erased).
            sa.func.coalesce(subscribers.c.phone, escalations.c.phone, "").label("phone"),
            planned.c.recipient,
            planned.c.channel,
            planned.c.item_key,
            planned.c.message_id,
            planned.c.language,
        )
        .outerjoin(subscribers, subscribers.c.id == planned.c.subscriber_id)
        .outerjoin(escalations, escalations.c.id == planned.c.escalation_id)
    )


def due_preview(database: Database, now: dt.datetime, settings: Settings) -> Iterator[Any]:
    """Rows a send pass at `now` would claim (for `boneline tick --dry-run`)."""
    late = now - dt.timedelta(hours=settings.MAX_LATENESS_HOURS)
    with database.engine.connect() as connection:
        yield from connection.execute(
            claimed_rows()
            .where(
                planned.c.status == PlanStatus.PLANNED,
                planned.c.send_at <= now,
                planned.c.send_at >= late,
                planned.c.window_end > now,
                sa.or_(
                    planned.c.recipient == Recipient.CARE_TEAM,
                    subscribers.c.status == Status.ACTIVE,
                ),
            )
            .order_by(planned.c.send_at)
        )
