"""The migrations are the schema: the head matches the models on every backend."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from service.store.db import (
    Base,
    Database,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)
from service.store.models import (
    AccessEntry,
    CareContact,
    ConsentEvent,
    Message,
    PlannedMessage,
    StaffAccount,
    Subscriber,
)
from service.tools.cli import main
from service.vocabulary import (
    ConsentAction,
    ConsentChannel,
    ContactKind,
    Direction,
    PlanStatus,
    StaffRole,
    Track,
)
from tests.scheduler.test_sending import add_planned_rows
from tests.support.care_helpers import add_escalation
from tests.support.reminder_helpers import add_subscriber


def test_migrations_have_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_database_is_at_the_head_and_matches_the_models(database: Database) -> None:
    script = ScriptDirectory.from_config(alembic_config(database.url))
    assert current_revision(database.url) == script.get_current_head()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_rollback_goes_down_past_0008_keeping_the_data_then_up_again(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = head_revision()
    previous = "0007"  # before the `error` state: such rows become what 0007's code knows
    subscriber = add_subscriber(database, "+12125550101")
    add_planned_rows(database, 1, dt.datetime(2027, 3, 1, 15))
    with database.engine.begin() as connection:
        connection.execute(sa.update(PlannedMessage).values(status=PlanStatus.ERROR))
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", database.url)
    try:
        down = CliRunner().invoke(main, ["db", "downgrade", "--revision", previous])
        assert down.exit_code == 0, down.output
        assert f"database is at {previous}; the latest is {head}" in down.output
        with database.engine.connect() as connection:
            statuses = connection.execute(sa.text("SELECT status FROM planned_messages")).all()
            people = connection.execute(sa.text("SELECT id FROM subscribers")).all()
        assert statuses == [("unknown",)]  # a state the older code knows, never resent
        assert (subscriber,) in people
        database.dispose()
    finally:
        up = CliRunner().invoke(main, ["db", "upgrade"])
    assert up.exit_code == 0, up.output
    assert f"database is at {head} (latest)" in up.output
    assert CliRunner().invoke(main, ["db", "current"]).output.strip() == (
        f"database is at {head} (latest)"
    )
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_rollback_of_the_care_teams_tables_keeps_texts_escalations_and_people(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = "0008"  # before the care team's tables
    subscriber = add_subscriber(database, "+12125550101")
    escalation = add_escalation(database, phone="+12125550101")
    with database.Session.begin() as session:
        nurse = StaffAccount(
            name="Ana", name_key="ana", role=StaffRole.NURSE, password_hash="scrypt:1$s$h"
        )
        session.add(nurse)
        session.flush()
        text = Message(
            phone="+12125550101",
            direction=Direction.OUTBOUND,
            body="BoneLine care team: how are you?",
            message_id="care.text",
            status="delivered",
        )
        session.add(text)
        session.flush()
        session.add(
            CareContact(
                escalation_id=escalation,
                staff_id=nurse.id,
                kind=ContactKind.TEXT,
                message_row_id=text.id,
                created_at=dt.datetime(2027, 3, 1, 15),
            )
        )
        session.add(
            AccessEntry(
                staff_id=nurse.id, escalation_id=escalation, seen_at=dt.datetime(2027, 3, 1, 15)
            )
        )
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", database.url)
    try:
        down = CliRunner().invoke(main, ["db", "downgrade", "--revision", previous])
        assert down.exit_code == 0, down.output
        with database.engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            bodies = connection.execute(sa.text("SELECT body FROM messages")).scalars().all()
            kept = connection.execute(sa.text("SELECT id FROM escalations")).scalars().all()
            people = connection.execute(sa.text("SELECT id FROM subscribers")).scalars().all()
        assert not tables & {"staff_accounts", "access_log", "care_contacts"}
        assert bodies == ["BoneLine care team: how are you?"]  # in the person's history still
        assert kept == [escalation] and people == [subscriber]
        database.dispose()
    finally:
        up = CliRunner().invoke(main, ["db", "upgrade"])
    assert up.exit_code == 0, up.output
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_rollback_of_the_tracks_keeps_people_and_consent_and_new_rows_start_on_baby(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber = add_subscriber(database, "+12125550101")
    add_planned_rows(database, 1, dt.datetime(2027, 3, 1, 15))  # reminder.calcium.amount
    with database.Session.begin() as session:
        person = session.get(Subscriber, subscriber)
        assert person is not None and person.track is Track.BABY
        person.breastfeeding, person.weaned_on = True, dt.date(2027, 9, 1)
        session.add(
            ConsentEvent(
                phone="+12125550101",
                action=ConsentAction.OPT_IN,
                channel=ConsentChannel.SMS,
                disclosure_id="enroll.confirm",
                disclosure_version="abc",
                language="en",
                catalog_version="0123456789ab",
            )
        )
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", database.url)
    try:
        down = CliRunner().invoke(main, ["db", "downgrade", "--revision", "0010"])
        assert down.exit_code == 0, down.output
        with database.engine.connect() as connection:
            people = connection.execute(sa.text("SELECT id FROM subscribers")).scalars().all()
            consents = connection.execute(sa.text("SELECT phone FROM consent_events")).all()
            old_ids = connection.execute(sa.text("SELECT message_id FROM planned_messages")).all()
        assert subscriber in people and consents == [("+12125550101",)]
        # A planned text the older code cannot name goes back to its old id of the same kind.
        assert old_ids == [("reminder.calcium_food",)]
        with database.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO subscribers (phone, language, channel, status, time_zone,"
                    " created_at, updated_at) VALUES ('+12125550102', 'en', 'sms', 'active',"
                    " 'America/New_York', '2027-03-01', '2027-03-01')"
                )
            )
        database.dispose()
    finally:
        up = CliRunner().invoke(main, ["db", "upgrade"])
    assert up.exit_code == 0, up.output
    with database.engine.connect() as connection:
        tracks = connection.execute(
            sa.text("SELECT track, breastfeeding FROM subscribers ORDER BY id")
        ).all()
        new_ids = connection.execute(sa.text("SELECT message_id FROM planned_messages")).all()
    assert [(track, breastfeeding) for track, breastfeeding in tracks] == [
        ("baby", None),
        ("baby", None),
        ("baby", None),
    ]
    assert new_ids == [("reminder.calcium.each_meal",)]


CHILD_TABLES = ("planned_messages", "messages", "consent_events", "escalations")


def test_recreating_subscribers_on_sqlite_keeps_every_child_row_and_its_link(
    tmp_path: pathlib.Path,
) -> None:
    # 0010 drops a column, so SQLite copies `subscribers`, drops the old table and renames the
    # copy: with foreign keys on, that drop would cascade to planned messages and unlink texts.
    url = f"sqlite:///{tmp_path / 'before.sqlite3'}"
    upgrade(url, "0009")
    engine = make_engine(url)
    when = dt.datetime(2027, 3, 1, 15)
    with engine.begin() as connection:
        person = _insert(connection, "subscribers", _person(when, last_checkin_at=when))
        _insert(connection, "planned_messages", _planned(person, when))
        _insert(connection, "messages", _message(person, when))
        _insert(connection, "consent_events", _consent(person, when))
        _insert(connection, "escalations", _escalation(person, when))
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        for table in CHILD_TABLES:
            linked = connection.execute(sa.text(f"SELECT subscriber_id FROM {table}")).all()
            assert linked == [(person,)], table
        moved = connection.execute(
            sa.text("SELECT pending_question, pending_asked_at FROM subscribers")
        ).one()
        assert moved == ("checkin", str(when))
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
    downgrade(url, "0009")
    engine = make_engine(url)
    with engine.connect() as connection:
        for table in CHILD_TABLES:
            assert connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 1
        kept = connection.execute(sa.text("SELECT last_checkin_at FROM subscribers")).scalar()
        assert kept == str(when)
    engine.dispose()


def _insert(connection: sa.Connection, table: str, row: dict[str, object]) -> int:
    """Insert one row with plain SQL (the models are ahead of this schema) and return its id."""
    names = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    sql = sa.text(f"INSERT INTO {table} ({names}) VALUES ({values}) RETURNING id")
    return int(connection.execute(sql, row).scalar_one())


def _person(when: dt.datetime, **extra: object) -> dict[str, object]:
    return {
        "phone": "+12125550101",
        "language": "en",
        "channel": "sms",
        "status": "active",
        "time_zone": "America/New_York",
        "created_at": when,
        "updated_at": when,
        **extra,
    }


def _planned(person: int, when: dt.datetime) -> dict[str, object]:
    return {
        "subscriber_id": person,
        "item_key": "reminder.calcium",
        "local_date": when.date(),
        "send_at": when,
        "window_end": when,
        "recipient": "subscriber",
        "channel": "sms",
        "message_id": "reminder.calcium",
        "language": "en",
        "status": "planned",
        "attempts": 0,
        "created_at": when,
        "updated_at": when,
    }


def _message(person: int, when: dt.datetime) -> dict[str, object]:
    return {
        "subscriber_id": person,
        "phone": "+12125550101",
        "direction": "inbound",
        "channel": "sms",
        "body": "hello",
        "status": "received",
        "created_at": when,
        "updated_at": when,
    }


def _consent(person: int, when: dt.datetime) -> dict[str, object]:
    return {
        "subscriber_id": person,
        "phone": "+12125550101",
        "action": "opt_in",
        "channel": "sms",
        "disclosure_id": "enroll.confirm",
        "disclosure_version": "1",
        "language": "en",
        "evidence": "YES",
        "occurred_at": when,
    }


def _escalation(person: int, when: dt.datetime) -> dict[str, object]:
    return {
        "subscriber_id": person,
        "phone": "+12125550101",
        "source": "text",
        "reason": "fall",
        "detail": "I fell",
        "language": "en",
        "created_at": when,
    }
