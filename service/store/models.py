"""Typed SQLAlchemy models. Every datetime column holds naive UTC; every string column is a
`CleanString`/`CleanText`, so no value the database cannot hold (NUL) ever reaches it."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.domain.clock import utcnow
from service.store.db import Base
from service.store.types import CleanString, CleanText
from service.understanding import Urgency
from service.vocabulary import (
    Channel,
    ConsentAction,
    ConsentChannel,
    ContactKind,
    DayPart,
    Direction,
    EnrollmentStep,
    EscalationSource,
    MessageStatus,
    PendingQuestion,
    PlanStatus,
    Recipient,
    StaffRole,
    Stage,
    Status,
    Track,
)

__all__ = [
    "AccessEntry",
    "Base",
    "CallStep",
    "CareContact",
    "ConsentEvent",
    "Escalation",
    "LoginFailure",
    "Message",
    "PlanRun",
    "PlannedMessage",
    "SchedulerHeartbeat",
    "StaffAccount",
    "Subscriber",
]


def _enum(kind: type[enum.StrEnum], length: int = 16) -> sa.Enum:
    """Store an enum as its lowercase value in a short VARCHAR on every database."""
    return sa.Enum(
        kind,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class Subscriber(Base):
    """A phone number that has texted or called us, and what they chose."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(CleanString(20), unique=True)
    language: Mapped[str] = mapped_column(CleanString(2), default="en")
    channel: Mapped[Channel] = mapped_column(_enum(Channel), default=Channel.SMS)
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.ENROLLING)
    enrollment_step: Mapped[EnrollmentStep | None] = mapped_column(_enum(EnrollmentStep, 32))
    stage: Mapped[Stage | None] = mapped_column(_enum(Stage))
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    birth_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    time_zone: Mapped[str] = mapped_column(CleanString(64), default="America/New_York")
    zip_code: Mapped[str | None] = mapped_column(CleanString(10))
    # Life changes (`domain.life`): a pause's last day (None while paused after a loss), when
    # in the day they like messages, the day we asked "Has your baby arrived?" (or they said
    # NOT YET), the day we moved them to after-birth tips ourselves, and the day of a loss.
    paused_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    day_part: Mapped[DayPart | None] = mapped_column(_enum(DayPart))
    birth_asked_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    birth_assumed_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    loss_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    # Whether they breastfeed (None: not asked, or they skipped it), and when they stopped.
    breastfeeding: Mapped[bool | None] = mapped_column()
    weaned_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    track: Mapped[Track] = mapped_column(
        _enum(Track), default=Track.BABY, server_default=Track.BABY.value
    )
    # The last question we asked outside enrollment (a check-in, the menu, "which one?"), the
    # topics it offered (space-separated) and when: a bare "1" or "YES" means what it offered,
    # however late it comes, until another question replaces it.
    pending_question: Mapped[PendingQuestion | None] = mapped_column(_enum(PendingQuestion))
    pending_options: Mapped[str | None] = mapped_column(CleanString(64))
    pending_asked_at: Mapped[dt.datetime | None] = mapped_column()
    # Set when Twilio says the number cannot get texts (21211 invalid, 21614 not mobile).
    number_invalid_at: Mapped[dt.datetime | None] = mapped_column()
    number_invalid_code: Mapped[int | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consent_events: Mapped[list[ConsentEvent]] = relationship(back_populates="subscriber")


class ConsentEvent(Base):
    """One opt-in or opt-out, kept (with the number) even when the person's data is erased."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscribers.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str] = mapped_column(CleanString(20), index=True)
    action: Mapped[ConsentAction] = mapped_column(_enum(ConsentAction))
    channel: Mapped[ConsentChannel] = mapped_column(_enum(ConsentChannel))
    disclosure_id: Mapped[str] = mapped_column(CleanString(64))
    disclosure_version: Mapped[str] = mapped_column(CleanString(16))
    # The whole message catalog's version (`Catalog.catalog_version`) the person agreed under;
    # None for entries kept before it was recorded.
    catalog_version: Mapped[str | None] = mapped_column(CleanString(16))
    language: Mapped[str] = mapped_column(CleanString(2))
    evidence: Mapped[str] = mapped_column(CleanText, default="")
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    subscriber: Mapped[Subscriber | None] = relationship(back_populates="consent_events")


class Message(Base):
    """Every inbound and outbound text, with its Twilio SID and delivery status."""

    __tablename__ = "messages"
    # Loop protection counts one number's recent inbound texts: (phone, created_at) finds them.
    __table_args__ = (sa.Index("ix_messages_phone_created_at", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscribers.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str] = mapped_column(CleanString(20))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    channel: Mapped[Channel] = mapped_column(_enum(Channel), default=Channel.SMS)
    twilio_sid: Mapped[str | None] = mapped_column(CleanString(64), unique=True)
    body: Mapped[str] = mapped_column(CleanText, default="")
    message_id: Mapped[str | None] = mapped_column(CleanString(64))
    status: Mapped[MessageStatus] = mapped_column(
        _enum(MessageStatus, 24), default=MessageStatus.RECEIVED
    )
    error_code: Mapped[int | None] = mapped_column()
    # Why our last try to send it failed, in a few words (connection refused, HTTP 503, ...).
    last_error: Mapped[str | None] = mapped_column(CleanString(200))
    in_reply_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    subscriber: Mapped[Subscriber | None] = relationship()


class Escalation(Base):
    """A red flag (severe pain, a fall, an emergency symptom) for the care team to follow up."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscribers.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str] = mapped_column(CleanString(20))
    source: Mapped[EscalationSource] = mapped_column(_enum(EscalationSource))
    # The warning sign's family (a `SafetyFamily` value: back_pain, fall, bleeding...) and what
    # the reply told the person to do first (None on rows older than the triage table).
    reason: Mapped[str] = mapped_column(CleanString(64))
    urgency: Mapped[Urgency | None] = mapped_column(_enum(Urgency, 24))
    detail: Mapped[str] = mapped_column(CleanText, default="")
    language: Mapped[str] = mapped_column(CleanString(2), default="en")
    stage: Mapped[str | None] = mapped_column(CleanString(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column()
    handled_by: Mapped[str | None] = mapped_column(CleanString(64))
    note: Mapped[str | None] = mapped_column(CleanText)
    # When the care team's webhook took the alert; NULL means not yet (the send job retries).
    alerted_at: Mapped[dt.datetime | None] = mapped_column()
    # The webhook alert's failed tries, when the next one is due, and why the last one failed:
    # the database, not a process's memory, says when to try again (with backoff, for 24 hours).
    webhook_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    webhook_next_at: Mapped[dt.datetime | None] = mapped_column()
    webhook_error: Mapped[str | None] = mapped_column(CleanString(200))
    # When someone on the care team first opened its page, and who (the timeline's third step).
    first_viewed_at: Mapped[dt.datetime | None] = mapped_column()
    first_viewed_by: Mapped[str | None] = mapped_column(CleanString(64))

    subscriber: Mapped[Subscriber | None] = relationship()


class PlannedMessage(Base):
    """One scheduled text or call (or care-team alert), planned once and sent at most once."""

    __tablename__ = "planned_messages"
    __table_args__ = (
        sa.UniqueConstraint(
            "subscriber_id", "item_key", "local_date", name="uq_planned_messages_once"
        ),
        sa.Index("ix_planned_messages_due", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for a care-team alert: it must go out even for a stranger's red flag, and erasing the
    # person (DELETE) must not cascade it away.
    subscriber_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscribers.id", ondelete="CASCADE")
    )
    item_key: Mapped[str] = mapped_column(CleanString(64))
    local_date: Mapped[dt.date] = mapped_column(sa.Date)
    send_at: Mapped[dt.datetime] = mapped_column()
    # The end of the person's send window that day: call retries must fit before it.
    window_end: Mapped[dt.datetime] = mapped_column()
    recipient: Mapped[Recipient] = mapped_column(_enum(Recipient), default=Recipient.SUBSCRIBER)
    channel: Mapped[Channel] = mapped_column(_enum(Channel), default=Channel.SMS)
    message_id: Mapped[str] = mapped_column(CleanString(64))
    language: Mapped[str] = mapped_column(CleanString(2), default="en")
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus), default=PlanStatus.PLANNED)
    attempts: Mapped[int] = mapped_column(default=0)
    twilio_sid: Mapped[str | None] = mapped_column(CleanString(64), index=True)
    error_code: Mapped[int | None] = mapped_column()
    # Why the last try failed, in a few words (connection refused, HTTP 503, a repeated SID).
    last_error: Mapped[str | None] = mapped_column(CleanString(200))
    escalation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("escalations.id", ondelete="SET NULL"), unique=True
    )
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(CleanString(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    subscriber: Mapped[Subscriber | None] = relationship()


class PlanRun(Base):
    """A time zone's local day that has been planned, so each day is planned once."""

    __tablename__ = "plan_runs"

    time_zone: Mapped[str] = mapped_column(CleanString(64), primary_key=True)
    local_date: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    planned: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CallStep(Base):
    """A call webhook whose effects were recorded, so a retry of it records nothing twice."""

    __tablename__ = "call_steps"
    __table_args__ = (sa.UniqueConstraint("call_sid", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(CleanString(64))
    # A SHA-256 of the step's path, query and answer: no number, no words.
    step: Mapped[str] = mapped_column(CleanString(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class SchedulerHeartbeat(Base):
    """The last finished pass of each scheduler job: /readyz and the care page read it."""

    __tablename__ = "scheduler_heartbeats"

    job: Mapped[str] = mapped_column(CleanString(32), primary_key=True)
    finished_at: Mapped[dt.datetime] = mapped_column()
    # Which process ran it (host and pid), and what the pass did, in one line.
    process: Mapped[str] = mapped_column(CleanString(128), default="")
    summary: Mapped[str] = mapped_column(CleanString(400), default="")


class LoginFailure(Base):
    """One wrong care-page password, counted by every web process (the login throttle)."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_client_failed_at", "client", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A SHA-256 of where the login came from (the client address), never the address itself.
    client: Mapped[str] = mapped_column(CleanString(64))
    failed_at: Mapped[dt.datetime] = mapped_column(index=True)


class StaffAccount(Base):
    """A care-team member's own login (`boneline staff add`): a nurse or an admin."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(CleanString(64))
    # The name as logins match it (case and spacing ignored): one account per name.
    name_key: Mapped[str] = mapped_column(CleanString(64), unique=True)
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole))
    # Where "Call now" rings (E.164); None until an admin sets it.
    phone: Mapped[str | None] = mapped_column(CleanString(20))
    # A salted, slow hash (werkzeug's scrypt); never the password.
    password_hash: Mapped[str] = mapped_column(CleanString(256))
    # A one-time password printed by `boneline staff add`: it must be changed at first login.
    password_temporary: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column()
    disabled_at: Mapped[dt.datetime | None] = mapped_column()


class AccessEntry(Base):
    """Who saw which escalation's phone number, and when. Never any words a person wrote."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_accounts.id"), index=True)
    escalation_id: Mapped[int] = mapped_column(sa.ForeignKey("escalations.id"), index=True)
    seen_at: Mapped[dt.datetime] = mapped_column(index=True)

    staff: Mapped[StaffAccount] = relationship()


class CareContact(Base):
    """One call or text the care team made from an escalation's page, and how it went."""

    __tablename__ = "care_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(sa.ForeignKey("escalations.id"), index=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_accounts.id"), index=True)
    kind: Mapped[ContactKind] = mapped_column(_enum(ContactKind))
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # A text: its row in the message log (its words and delivery status live there; the row
    # goes when the person erases their data).
    message_row_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    # A call: Twilio rings the staff member's phone (this leg), then dials the person.
    staff_call_sid: Mapped[str | None] = mapped_column(CleanString(64), unique=True)
    staff_call_status: Mapped[MessageStatus | None] = mapped_column(_enum(MessageStatus, 24))
    person_call_sid: Mapped[str | None] = mapped_column(CleanString(64))
    person_call_status: Mapped[MessageStatus | None] = mapped_column(_enum(MessageStatus, 24))
    # How long the person's leg lasted once they answered (Twilio's CallDuration).
    duration_seconds: Mapped[int | None] = mapped_column()
    # Why the call could not be placed, in a few words (HTTP 503, connection refused, ...).
    error: Mapped[str | None] = mapped_column(CleanString(200))

    staff: Mapped[StaffAccount] = relationship()
