"""Planned messages (`planned_messages`) and planned days (`plan_runs`): the one module that
writes them.

A row is PLANNED once per (person, item, local date), CLAIMED by one send pass (`FOR UPDATE SKIP
LOCKED` on PostgreSQL; SQLite's single writer makes the same conditional UPDATE atomic), SENDING
just before its REST call, then SENT, FAILED or UNKNOWN; a crash in between leaves SENDING, which
housekeeping turns into UNKNOWN, never into a second send.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.domain.life import FOLLOW_UP_REASON, Candidates
from service.domain.schedule import TRACK_OF_PREFIX
from service.store import subscribers
from service.store.db import Database
from service.store.escalations import ESCALATIONS
from service.store.models import PlannedMessage, PlanRun
from service.vocabulary import (
    Channel,
    PlanStatus,
    Recipient,
    SendFailure,
    Stage,
    Status,
)

PLANNED = cast(sa.Table, PlannedMessage.__table__)
PLAN_RUNS = cast(sa.Table, PlanRun.__table__)
_SUBSCRIBERS = subscribers.SUBSCRIBERS

ALERT_ITEM = "alert.care_team"
# Life-change messages (`domain.life.LifeStep`) each take a person's slot of the day.
LIFE_PREFIX = "life."
# A follow-up that is not urgent (a loss) says so instead of "needs a call back today".
ALERT_ITEMS = {FOLLOW_UP_REASON: "alert.care_team_follow_up"}
CARE_TEAM_LANGUAGE = "en"
INVALID_NUMBER = 21211
# Which status a failed send leaves a row in (any other failure: FAILED).
FAILURE_STATUS = {
    SendFailure.UNKNOWN: PlanStatus.UNKNOWN,
    SendFailure.UNEXPECTED: PlanStatus.ERROR,
}

# Which stage each schedule item belongs to, by key prefix: a stage change cancels the rest.
STAGE_OF_PREFIX = {
    "pregnant.": Stage.PREGNANT,
    "postpartum.": Stage.POSTPARTUM,
    "checkin.": Stage.POSTPARTUM,
    "life.ask_birth": Stage.PREGNANT,
}
# The goodbye goes to people whose program just ended; everything else only to active people.
SENT_IN_STATUS = {"life.goodbye": Status.COMPLETED}


def insert_ignoring_duplicates(database: Database, table: sa.Table) -> Any:
    """An INSERT that silently skips rows a unique constraint already holds."""
    if database.is_postgresql:
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def write_planned(
    database: Database, connection: sa.Connection, rows: list[dict[str, Any]]
) -> None:
    """Insert planned rows, skipping any already there (COPY + INSERT ... SELECT on PostgreSQL)."""
    if not database.is_postgresql:
        connection.execute(insert_ignoring_duplicates(database, PLANNED), rows)
        return
    # COPY into a scratch table is several times faster than row-by-row INSERTs over the wire.
    names = list(rows[0])
    column_list = ", ".join(names)
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS planned_batch "
        "(LIKE planned_messages INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    cursor = connection.connection.cursor()
    with cursor.copy(f"COPY planned_batch ({column_list}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_plain(row[name]) for name in names])
    connection.exec_driver_sql(
        f"INSERT INTO planned_messages ({column_list}) SELECT {column_list} FROM planned_batch "
        "ON CONFLICT DO NOTHING"
    )


def _plain(value: Any) -> Any:
    """Enum members as their stored text, everything else as is."""
    return value.value if isinstance(value, enum.Enum) else value


def record_planned_days(
    database: Database,
    connection: sa.Connection,
    counts: Mapping[tuple[str, dt.date], int],
    now: dt.datetime,
) -> None:
    """Remember which (time zone, local date) pairs are planned, so each is planned once."""
    connection.execute(
        insert_ignoring_duplicates(database, PLAN_RUNS),
        [
            {"time_zone": zone, "local_date": day, "planned": count, "created_at": now}
            for (zone, day), count in counts.items()
        ],
    )


def planned_zone_days(connection: sa.Connection, since: dt.date) -> set[tuple[str, dt.date]]:
    """The (time zone, local date) pairs already planned since a date."""
    found = connection.execute(
        sa.select(PLAN_RUNS.c.time_zone, PLAN_RUNS.c.local_date).where(
            PLAN_RUNS.c.local_date >= since
        )
    )
    return {(zone, day) for zone, day in found}


def active_zones(connection: sa.Connection) -> list[str]:
    """The time zones active subscribers live in."""
    return list(
        connection.scalars(
            sa.select(_SUBSCRIBERS.c.time_zone)
            .where(_SUBSCRIBERS.c.status == Status.ACTIVE)
            .distinct()
        )
    )


# What the schedule reads of a subscriber (`ScheduleProfile`'s fields, in its order): the
# columns right after the first four of `reachable_pages`, so a row's PROFILE_FIELDS slice
# is the profile's fields without a lookup by name.
PROFILE_COLUMNS = (
    _SUBSCRIBERS.c.stage,
    _SUBSCRIBERS.c.due_date,
    _SUBSCRIBERS.c.birth_date,
    _SUBSCRIBERS.c.breastfeeding,
    _SUBSCRIBERS.c.weaned_on,
    _SUBSCRIBERS.c.track,
)
PROFILE_FIELDS = slice(4, 4 + len(PROFILE_COLUMNS))


def life_days(database: Database, since: dt.datetime) -> dict[int, set[dt.date]]:
    """The days since `since` on which a life change took a person's slot (a pause's welcome
    back, the goodbye...): those days they get nothing else. Read once per planning pass."""
    query = sa.select(PLANNED.c.subscriber_id, PLANNED.c.local_date).where(
        # The (status, send_at) index finds recent rows; few of them are life changes.
        PLANNED.c.status.in_(list(PlanStatus)),
        PLANNED.c.send_at >= since,
        PLANNED.c.item_key.startswith(LIFE_PREFIX),
    )
    days: dict[int, set[dt.date]] = {}
    with database.engine.connect() as connection:
        for subscriber_id, day in connection.execute(query):
            days.setdefault(subscriber_id, set()).add(day)
    return days


def reachable_pages(database: Database, page_size: int) -> Iterator[list[Any]]:
    """Active subscribers who can be reached, a page at a time in id order (keyset pages)."""
    columns = (
        _SUBSCRIBERS.c.id,
        _SUBSCRIBERS.c.phone,
        _SUBSCRIBERS.c.zip_code,
        _SUBSCRIBERS.c.time_zone,
        *PROFILE_COLUMNS,
        _SUBSCRIBERS.c.language,
        _SUBSCRIBERS.c.channel,
        _SUBSCRIBERS.c.day_part,
    )
    last_id = 0
    while True:
        query = (
            sa.select(*columns)
            .where(
                _SUBSCRIBERS.c.id > last_id,
                _SUBSCRIBERS.c.status == Status.ACTIVE,
                _SUBSCRIBERS.c.stage.is_not(None),
                sa.or_(
                    _SUBSCRIBERS.c.number_invalid_at.is_(None),
                    _SUBSCRIBERS.c.channel == Channel.VOICE,
                ),
            )
            .order_by(_SUBSCRIBERS.c.id)
            .limit(page_size)
        )
        with database.engine.connect() as connection:
            page = list(connection.execute(query).all())
        if not page:
            return
        yield page
        last_id = page[-1].id


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
    # For care-team alerts: which escalation, when the alert was queued, and its tries so far.
    escalation_id: int | None = None
    created_at: dt.datetime | None = None
    attempts: int = 0


def _claimed_rows() -> sa.Select[Any]:
    """The columns a send needs from a planned row and its subscriber, in `Claimed` order."""
    return (
        sa.select(
            PLANNED.c.id,
            PLANNED.c.subscriber_id,
            # A care-team alert names the person by the escalation's number ("" once erased).
            sa.func.coalesce(_SUBSCRIBERS.c.phone, ESCALATIONS.c.phone, "").label("phone"),
            PLANNED.c.recipient,
            PLANNED.c.channel,
            PLANNED.c.item_key,
            PLANNED.c.message_id,
            PLANNED.c.language,
            PLANNED.c.escalation_id,
            PLANNED.c.created_at,
            PLANNED.c.attempts,
        )
        .outerjoin(_SUBSCRIBERS, _SUBSCRIBERS.c.id == PLANNED.c.subscriber_id)
        .outerjoin(ESCALATIONS, ESCALATIONS.c.id == PLANNED.c.escalation_id)
    )


def skip_late(connection: sa.Connection, late: dt.datetime, now: dt.datetime) -> int:
    """Skip scheduled messages too late or past the window's end (alerts are never late)."""
    result = connection.execute(
        sa.update(PLANNED)
        .where(
            PLANNED.c.status == PlanStatus.PLANNED,
            sa.or_(PLANNED.c.send_at < late, PLANNED.c.window_end <= now),
            PLANNED.c.recipient == Recipient.SUBSCRIBER,
        )
        .values(status=PlanStatus.SKIPPED, updated_at=now)
    )
    return result.rowcount or 0


def cancel_unwanted(connection: sa.Connection, now: dt.datetime) -> int:
    """Cancel due rows for people who stopped, changed stage or track, or whose number cannot
    get texts (a baby tip planned before a loss is never sent)."""
    person = _SUBSCRIBERS.alias("person")
    wrong_stage = sa.or_(
        *(
            sa.and_(PLANNED.c.item_key.startswith(prefix), person.c.stage.is_distinct_from(stage))
            for prefix, stage in STAGE_OF_PREFIX.items()
        ),
        *(
            sa.and_(PLANNED.c.item_key.startswith(prefix), person.c.track != track)
            for prefix, track in TRACK_OF_PREFIX.items()
        ),
    )
    unwanted = sa.exists().where(
        person.c.id == PLANNED.c.subscriber_id,
        sa.or_(
            person.c.status
            != sa.case(
                *(
                    (PLANNED.c.item_key == key, status.value)
                    for key, status in SENT_IN_STATUS.items()
                ),
                else_=Status.ACTIVE.value,
            ),
            sa.and_(
                person.c.number_invalid_at.is_not(None),
                sa.or_(
                    PLANNED.c.channel == Channel.SMS,
                    person.c.number_invalid_code == INVALID_NUMBER,
                ),
            ),
            wrong_stage,
        ),
    )
    result = connection.execute(
        sa.update(PLANNED)
        .where(
            PLANNED.c.status == PlanStatus.PLANNED,
            PLANNED.c.send_at <= now,
            PLANNED.c.recipient == Recipient.SUBSCRIBER,
            unwanted,
        )
        .values(status=PlanStatus.CANCELLED, updated_at=now)
    )
    return result.rowcount or 0


def claim_due(
    database: Database,
    connection: sa.Connection,
    now: dt.datetime,
    *,
    claim_token: str,
    batch: int,
) -> list[Claimed]:
    """Claim up to `batch` due rows for one send pass; each row goes to one pass only."""
    due = (
        sa.select(PLANNED.c.id)
        .where(PLANNED.c.status == PlanStatus.PLANNED, PLANNED.c.send_at <= now)
        .order_by(PLANNED.c.send_at, PLANNED.c.id)
        .limit(batch)
    )
    if database.is_postgresql:
        due = due.with_for_update(skip_locked=True)
    ids = connection.scalars(
        sa.update(PLANNED)
        .where(PLANNED.c.id.in_(due.scalar_subquery()))
        .where(PLANNED.c.status == PlanStatus.PLANNED)
        .values(
            status=PlanStatus.CLAIMED,
            claim_token=claim_token,
            claimed_at=now,
            updated_at=now,
        )
        .returning(PLANNED.c.id)
    ).all()
    if not ids:
        return []
    rows = connection.execute(
        _claimed_rows().where(PLANNED.c.id.in_(ids)).order_by(PLANNED.c.send_at, PLANNED.c.id)
    ).all()
    return [Claimed(*row) for row in rows]


def start_sending(
    connection: sa.Connection, row_id: int, claim_token: str, now: dt.datetime
) -> bool:
    """Mark a claimed row SENDING just before its request; False if this pass lost the claim."""
    result = connection.execute(
        sa.update(PLANNED)
        .where(
            PLANNED.c.id == row_id,
            PLANNED.c.status == PlanStatus.CLAIMED,
            PLANNED.c.claim_token == claim_token,
        )
        .values(status=PlanStatus.SENDING, attempts=PLANNED.c.attempts + 1, updated_at=now)
    )
    return bool(result.rowcount == 1)


def mark_sent(
    connection: sa.Connection | Session, row_id: int, twilio_sid: str, now: dt.datetime
) -> None:
    """Twilio accepted the row's text or call and gave it this SID."""
    connection.execute(
        sa.update(PLANNED)
        .where(PLANNED.c.id == row_id)
        .values(status=PlanStatus.SENT, twilio_sid=twilio_sid, updated_at=now)
    )


def mark_failed(
    connection: sa.Connection | Session,
    row_id: int,
    failure: SendFailure,
    error_code: int | None,
    now: dt.datetime,
    last_error: str = "",
) -> PlanStatus:
    """UNKNOWN when the request may have reached Twilio, ERROR when its answer made no sense
    (neither is ever sent again), else FAILED. Returns the status written."""
    status = FAILURE_STATUS.get(failure, PlanStatus.FAILED)
    connection.execute(
        sa.update(PLANNED)
        .where(PLANNED.c.id == row_id)
        .values(status=status, error_code=error_code, last_error=last_error[:200], updated_at=now)
    )
    return status


def mark_error(
    connection: sa.Connection | Session,
    row_id: int,
    twilio_sid: str | None,
    last_error: str,
    now: dt.datetime,
) -> None:
    """Something unexpected happened to this one row: ERROR, never sent again, the cause kept."""
    connection.execute(
        sa.update(PLANNED)
        .where(PLANNED.c.id == row_id)
        .values(
            status=PlanStatus.ERROR,
            twilio_sid=twilio_sid,
            last_error=last_error[:200],
            updated_at=now,
        )
    )


def retry_alert_later(
    connection: sa.Connection | Session,
    row_id: int,
    retry_at: dt.datetime,
    error_code: int | None,
    last_error: str,
    now: dt.datetime,
) -> None:
    """A care-team alert that did not go out: PLANNED again, due at `retry_at` (the backoff)."""
    connection.execute(
        sa.update(PLANNED)
        .where(PLANNED.c.id == row_id, PLANNED.c.recipient == Recipient.CARE_TEAM)
        .values(
            status=PlanStatus.PLANNED,
            send_at=retry_at,
            claim_token=None,
            error_code=error_code,
            last_error=last_error[:200],
            updated_at=now,
        )
    )


def note_error_code(
    connection: sa.Connection | Session, twilio_sid: str, error_code: int, now: dt.datetime
) -> None:
    """A delivery failure Twilio reported later, on the row that sent it."""
    connection.execute(
        sa.update(PLANNED)
        .where(PLANNED.c.twilio_sid == twilio_sid)
        .values(error_code=error_code, updated_at=now)
    )


# A reminder or check-in call is placed at most this many times (the first and two retries).
MAX_CALL_ATTEMPTS = 3


def plan_call_retry(
    session: Session,
    twilio_sid: str,
    now: dt.datetime,
    gap: dt.timedelta,
    max_attempts: int = MAX_CALL_ATTEMPTS,
) -> bool:
    """Try an unanswered call again later the same day, inside the person's window."""
    row = session.scalar(
        sa.select(PlannedMessage).where(
            PlannedMessage.twilio_sid == twilio_sid, PlannedMessage.status == PlanStatus.SENT
        )
    )
    if row is None or row.attempts >= max_attempts:
        return False
    retry_at = now + gap
    if retry_at >= row.window_end:
        return False
    row.status = PlanStatus.PLANNED
    row.send_at = retry_at
    row.twilio_sid = None
    row.updated_at = now
    return True


def queue_care_team_alerts(
    database: Database, connection: sa.Connection, now: dt.datetime, lookback: dt.timedelta
) -> int:
    """An outbox row for each recent escalation that has none yet (sent on the next pass)."""
    fresh = connection.execute(
        sa.select(ESCALATIONS.c.id, ESCALATIONS.c.reason)
        .outerjoin(PLANNED, PLANNED.c.escalation_id == ESCALATIONS.c.id)
        .where(PLANNED.c.id.is_(None), ESCALATIONS.c.created_at >= now - lookback)
    ).all()
    rows = [
        _alert_row(escalation_id, now, lookback, ALERT_ITEMS.get(reason, ALERT_ITEM))
        for escalation_id, reason in fresh
    ]
    if rows:
        connection.execute(insert_ignoring_duplicates(database, PLANNED), rows)
    return len(rows)


def _alert_row(
    escalation_id: int, now: dt.datetime, lookback: dt.timedelta, message_id: str
) -> dict[str, Any]:
    """The outbox row for one care-team alert: tied to the escalation, not to a subscriber."""
    return {
        "subscriber_id": None,
        "item_key": f"alert.{escalation_id}",
        "local_date": now.date(),
        "send_at": now,
        "window_end": now + lookback,
        "recipient": Recipient.CARE_TEAM,
        "channel": Channel.SMS,
        "message_id": message_id,
        "language": CARE_TEAM_LANGUAGE,
        "status": PlanStatus.PLANNED,
        "attempts": 0,
        "escalation_id": escalation_id,
        "created_at": now,
        "updated_at": now,
    }


def release_stale(
    connection: sa.Connection, stale: dt.datetime, now: dt.datetime
) -> tuple[int, int]:
    """After a crash: claims that never reached Twilio are PLANNED again; SENDING rows become
    UNKNOWN (never resent), except care-team alerts, which are tried again (a repeated alert
    does no harm; a lost one might). Returns (released, unknown)."""
    released = connection.execute(
        sa.update(PLANNED)
        .where(
            PLANNED.c.claimed_at < stale,
            sa.or_(
                PLANNED.c.status == PlanStatus.CLAIMED,
                sa.and_(
                    PLANNED.c.status == PlanStatus.SENDING,
                    PLANNED.c.recipient == Recipient.CARE_TEAM,
                ),
            ),
        )
        .values(
            status=PlanStatus.PLANNED,
            claim_token=None,
            last_error="left unfinished by a crashed sender",
            updated_at=now,
        )
    )
    unknown = connection.execute(
        sa.update(PLANNED)
        .where(PLANNED.c.status == PlanStatus.SENDING, PLANNED.c.claimed_at < stale)
        .values(status=PlanStatus.UNKNOWN, updated_at=now)
    )
    return released.rowcount or 0, unknown.rowcount or 0


def due_preview(database: Database, now: dt.datetime, late: dt.datetime) -> Iterator[Claimed]:
    """Rows a send pass at `now` would claim (for `boneline tick --dry-run`)."""
    with database.engine.connect() as connection:
        for row in connection.execute(
            _claimed_rows()
            .where(
                PLANNED.c.status == PlanStatus.PLANNED,
                PLANNED.c.send_at <= now,
                PLANNED.c.send_at >= late,
                PLANNED.c.window_end > now,
                sa.or_(
                    PLANNED.c.recipient == Recipient.CARE_TEAM,
                    _SUBSCRIBERS.c.status == Status.ACTIVE,
                ),
            )
            .order_by(PLANNED.c.send_at)
        ):
            yield Claimed(*row)


def planned_send_times(database: Database, until: dt.datetime) -> list[dt.datetime]:
    """The distinct send times of planned rows up to `until`, earliest first."""
    with database.engine.connect() as connection:
        return list(
            connection.scalars(
                sa.select(PLANNED.c.send_at)
                .where(PLANNED.c.status == PlanStatus.PLANNED, PLANNED.c.send_at <= until)
                .group_by(PLANNED.c.send_at)
                .order_by(PLANNED.c.send_at)
            )
        )


def last_sent_message_id(connection: sa.Connection | Session, phone: str) -> str | None:
    """The catalog id of the last reminder or check-in sent to a number (text or call), or None."""
    message_id: str | None = connection.execute(
        sa.select(PLANNED.c.message_id)
        .join(_SUBSCRIBERS, _SUBSCRIBERS.c.id == PLANNED.c.subscriber_id)
        .where(
            _SUBSCRIBERS.c.phone == phone,
            PLANNED.c.recipient == Recipient.SUBSCRIBER,
            PLANNED.c.status == PlanStatus.SENT,
        )
        .order_by(PLANNED.c.send_at.desc(), PLANNED.c.id.desc())
        .limit(1)
    ).scalar()
    return message_id


def erase_by_phone(connection: sa.Connection | Session, phone: str) -> None:
    """Reminders and check-ins not yet sent (and the record of those that were); alerts stay."""
    connection.execute(
        sa.delete(PLANNED).where(
            PLANNED.c.subscriber_id.in_(subscribers.ids_of_phone(phone)),
            PLANNED.c.recipient == Recipient.SUBSCRIBER,
        )
    )


@dataclass(frozen=True)
class UndeliveredAlert:
    """A care-team SMS alert that has failed at least once and has not gone out yet."""

    escalation_id: int | None
    attempts: int
    status: PlanStatus
    next_try_at: dt.datetime | None
    last_error: str


def undelivered_alerts(connection: sa.Connection | Session) -> list[UndeliveredAlert]:
    """Care-team SMS alerts tried and not sent, for escalations nobody has handled yet."""
    rows = connection.execute(
        sa.select(
            PLANNED.c.escalation_id,
            PLANNED.c.attempts,
            PLANNED.c.status,
            PLANNED.c.send_at,
            PLANNED.c.last_error,
        )
        .join(ESCALATIONS, ESCALATIONS.c.id == PLANNED.c.escalation_id)
        .where(
            PLANNED.c.recipient == Recipient.CARE_TEAM,
            PLANNED.c.status != PlanStatus.SENT,
            # A failure was recorded (an alert on its first try is not shown as failing).
            PLANNED.c.last_error.is_not(None),
            ESCALATIONS.c.handled_at.is_(None),
        )
        .order_by(PLANNED.c.id)
    ).all()
    return [
        UndeliveredAlert(
            escalation_id,
            attempts,
            status,
            send_at if status is PlanStatus.PLANNED else None,
            last_error or "",
        )
        for escalation_id, attempts, status, send_at, last_error in rows
    ]


def messages_waiting(connection: sa.Connection | Session, now: dt.datetime) -> int:
    """Planned messages and alerts due now or earlier that no pass has sent yet."""
    return int(
        connection.execute(
            sa.select(sa.func.count())
            .select_from(PLANNED)
            .where(
                PLANNED.c.status.in_([PlanStatus.PLANNED, PlanStatus.CLAIMED]),
                PLANNED.c.send_at <= now,
            )
        ).scalar_one()
    )


def life_pages(database: Database, page_size: int, candidates: Candidates) -> Iterator[list[Any]]:
    """Active and paused subscribers who may be owed a life change (an ended pause, a due date
    passed, a program's end), a page at a time in id order, with what `life` needs."""
    columns = (
        _SUBSCRIBERS.c.id,
        _SUBSCRIBERS.c.phone,
        _SUBSCRIBERS.c.zip_code,
        _SUBSCRIBERS.c.time_zone,
        _SUBSCRIBERS.c.status,
        _SUBSCRIBERS.c.stage,
        _SUBSCRIBERS.c.due_date,
        _SUBSCRIBERS.c.birth_date,
        _SUBSCRIBERS.c.weaned_on,
        _SUBSCRIBERS.c.paused_until,
        _SUBSCRIBERS.c.birth_asked_on,
        _SUBSCRIBERS.c.birth_assumed_on,
        _SUBSCRIBERS.c.loss_on,
        _SUBSCRIBERS.c.day_part,
        _SUBSCRIBERS.c.language,
        _SUBSCRIBERS.c.channel,
    )
    last_id = 0
    while True:
        query = (
            sa.select(*columns)
            .where(
                _SUBSCRIBERS.c.id > last_id,
                sa.or_(
                    sa.and_(
                        _SUBSCRIBERS.c.status == Status.PAUSED,
                        _SUBSCRIBERS.c.paused_until < candidates.pause_over_before,
                    ),
                    sa.and_(
                        _SUBSCRIBERS.c.status == Status.ACTIVE,
                        sa.or_(
                            sa.and_(
                                _SUBSCRIBERS.c.stage == Stage.PREGNANT,
                                _SUBSCRIBERS.c.due_date <= candidates.due_on_or_before,
                            ),
                            _SUBSCRIBERS.c.birth_date < candidates.ended_before,
                            _SUBSCRIBERS.c.loss_on < candidates.ended_before,
                        ),
                    ),
                ),
            )
            .order_by(_SUBSCRIBERS.c.id)
            .limit(page_size)
        )
        with database.engine.connect() as connection:
            page = list(connection.execute(query).all())
        if not page:
            return
        yield page
        last_id = page[-1].id


def take_day_slot(database: Database, connection: sa.Connection, row: Mapping[str, Any]) -> bool:
    """Give a person's message slot of the day to a life-change message, at most once.

    The day's planned reminder, not sent yet, becomes the life message (same time); with none
    planned, the message is planned in the window. False (nothing changes) when a message for
    that day is already sent or on its way: the next slot day will do.
    """
    today = connection.execute(
        sa.select(PLANNED.c.id, PLANNED.c.status).where(
            PLANNED.c.subscriber_id == row["subscriber_id"],
            PLANNED.c.local_date == row["local_date"],
            PLANNED.c.recipient == Recipient.SUBSCRIBER,
        )
    ).all()
    waiting = [found.id for found in today if found.status is PlanStatus.PLANNED]
    gone = {PlanStatus.CANCELLED, PlanStatus.SKIPPED, PlanStatus.PLANNED}
    if any(found.status not in gone for found in today):
        return False
    if waiting:
        taken = {name: row[name] for name in ("item_key", "message_id", "channel", "language")}
        connection.execute(
            sa.update(PLANNED)
            .where(PLANNED.c.id == waiting[0])
            .values(**taken, updated_at=row["updated_at"])
        )
        return True
    result = connection.execute(
        insert_ignoring_duplicates(database, PLANNED).returning(PLANNED.c.id), [dict(row)]
    )
    return result.first() is not None


def cancel_for_person(
    connection: sa.Connection | Session,
    subscriber_id: int,
    now: dt.datetime,
) -> None:
    """Cancel a person's planned messages that no longer fit (a new date, a loss, a pause)."""
    connection.execute(
        sa.update(PLANNED)
        .where(
            PLANNED.c.subscriber_id == subscriber_id,
            PLANNED.c.status == PlanStatus.PLANNED,
            PLANNED.c.recipient == Recipient.SUBSCRIBER,
        )
        .values(status=PlanStatus.CANCELLED, updated_at=now)
    )


def replan_for_person(
    connection: sa.Connection | Session,
    subscriber_id: int,
    now: dt.datetime,
    channel: Channel | None = None,
    window: Callable[[dt.datetime, dt.datetime, dt.date], dt.datetime] | None = None,
) -> int:
    """Move a person's planned messages to a new channel, or a new time inside their window."""
    rows = connection.execute(
        sa.select(
            PLANNED.c.id, PLANNED.c.created_at, PLANNED.c.window_end, PLANNED.c.local_date
        ).where(
            PLANNED.c.subscriber_id == subscriber_id,
            PLANNED.c.status == PlanStatus.PLANNED,
            PLANNED.c.recipient == Recipient.SUBSCRIBER,
        )
    ).all()
    for row in rows:
        values: dict[str, Any] = {"updated_at": now}
        if channel is not None:
            values["channel"] = channel
        if window is not None:
            values["send_at"] = max(now, window(row.created_at, row.window_end, row.local_date))
        connection.execute(sa.update(PLANNED).where(PLANNED.c.id == row.id).values(**values))
    return len(rows)
