"""The `subscribers` table: the one module that writes it.

A subscriber is created here only, with one time-zone rule for texts and calls alike: the ZIP
code Twilio reports when there is one, else the number's area code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.domain.phones import local_time_zone
from service.store.models import Subscriber
from service.vocabulary import PendingQuestion, Status

SUBSCRIBERS = cast(sa.Table, Subscriber.__table__)

# The columns of the question we asked last, when nothing waits for an answer.
NOTHING_PENDING: dict[str, object] = {
    "pending_question": None,
    "pending_options": None,
    "pending_asked_at": None,
}

_INSERT = sa.insert(SUBSCRIBERS).returning(SUBSCRIBERS.c.id)
_BY_PHONE = sa.select(*SUBSCRIBERS.c).where(SUBSCRIBERS.c.phone == sa.bindparam("phone"))


def find_by_phone(connection: sa.Connection | Session, phone: str) -> sa.Row[Any] | None:
    """The subscriber row of a number, or None when we never kept one."""
    return connection.execute(_BY_PHONE, {"phone": phone}).first()


def find_by_id(connection: sa.Connection | Session, subscriber_id: int) -> sa.Row[Any] | None:
    """One subscriber row by id, or None."""
    return connection.execute(
        sa.select(*SUBSCRIBERS.c).where(SUBSCRIBERS.c.id == subscriber_id)
    ).first()


def add_subscriber(
    connection: sa.Connection | Session,
    phone: str,
    zip_code: str | None,
    values: Mapping[str, object],
    now: dt.datetime,
) -> int:
    """Keep a new number with what it chose; its time zone comes from the ZIP or the area code."""
    row = {
        **values,
        "phone": phone,
        "zip_code": zip_code,
        "time_zone": local_time_zone(phone, zip_code),
        "created_at": now,
        "updated_at": now,
    }
    subscriber_id: int = connection.execute(_INSERT, row).scalar_one()
    return subscriber_id


def location_changes(phone: str, known_zip: str | None, zip_code: str | None) -> dict[str, object]:
    """A new ZIP code moves the person's time zone with it (the same rule as a new subscriber)."""
    if not zip_code or zip_code == known_zip:
        return {}
    return {"zip_code": zip_code, "time_zone": local_time_zone(phone, zip_code)}


def update_subscriber(
    connection: sa.Connection | Session,
    subscriber_id: int,
    changed: Mapping[str, object],
    now: dt.datetime,
) -> None:
    """Write the columns that changed (nothing when nothing did)."""
    if changed:
        connection.execute(
            sa.update(SUBSCRIBERS)
            .where(SUBSCRIBERS.c.id == subscriber_id)
            .values(**changed, updated_at=now)
        )


def stop(connection: sa.Connection | Session, subscriber_id: int, now: dt.datetime) -> None:
    """Suppress the number at once: no reminder, check-in or call goes to it any more."""
    stopped = {"status": Status.STOPPED, "enrollment_step": None, **NOTHING_PENDING}
    update_subscriber(connection, subscriber_id, stopped, now)


def mark_number_invalid(
    connection: sa.Connection | Session, subscriber_id: int, code: int | None, now: dt.datetime
) -> None:
    """Twilio says the number cannot get texts (21211 invalid, 21614 not a mobile)."""
    update_subscriber(
        connection, subscriber_id, {"number_invalid_at": now, "number_invalid_code": code}, now
    )


def note_checkin_sent(
    connection: sa.Connection | Session, subscriber_id: int, now: dt.datetime
) -> None:
    """A back-pain check-in just went out: it replaces any earlier question, and a YES or NO,
    however late, answers it."""
    connection.execute(
        sa.update(SUBSCRIBERS)
        .where(SUBSCRIBERS.c.id == subscriber_id)
        .values(
            pending_question=PendingQuestion.CHECKIN, pending_options=None, pending_asked_at=now
        )
    )


def note_question_sent(
    connection: sa.Connection | Session,
    subscriber_id: int,
    question: PendingQuestion,
    now: dt.datetime,
    options: str | None = None,
) -> None:
    """A scheduled question just went out (the birth question): a bare answer answers it."""
    connection.execute(
        sa.update(SUBSCRIBERS)
        .where(SUBSCRIBERS.c.id == subscriber_id)
        .values(pending_question=question, pending_options=options, pending_asked_at=now)
    )


def note_checkin_answered(connection: sa.Connection | Session, subscriber_id: int) -> None:
    """The check-in was answered on a call: a later YES or 1 no longer answers it."""
    connection.execute(
        sa.update(SUBSCRIBERS)
        .where(SUBSCRIBERS.c.id == subscriber_id)
        .where(SUBSCRIBERS.c.pending_question == PendingQuestion.CHECKIN)
        .values(**NOTHING_PENDING)
    )


def delete_by_phone(connection: sa.Connection | Session, phone: str) -> None:
    """Forget the number's row; the database's ON DELETE rules unlink the consent log from it."""
    connection.execute(sa.delete(SUBSCRIBERS).where(SUBSCRIBERS.c.phone == phone))


def ids_of_phone(phone: str) -> sa.Select[tuple[int]]:
    """The subscriber id of a number, as a subquery for other tables' erasers."""
    return sa.select(SUBSCRIBERS.c.id).where(SUBSCRIBERS.c.phone == phone)
