"""The program page's weekly figures: escalations by reason, minutes to first contact and to
handled (median and 90th percentile), and check-ins answered yes, no or not at all."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from service.flows.care_queue import CheckinWeek, program_overview
from service.store.db import Database
from service.store.models import CareContact, Escalation, Message, PlannedMessage
from service.vocabulary import (
    Channel,
    ContactKind,
    Direction,
    MessageStatus,
    PlanStatus,
    StaffRole,
    Stage,
)
from service.web import create_app
from tests.conftest import TwilioPost, app_config
from tests.support.care_helpers import (
    NURSE_PASSWORD,
    add_escalation,
    add_staff,
    log_in,
    use_fast_password_hashing,
)
from tests.support.reminder_helpers import add_subscriber
from tests.support.voice_helpers import placed_call_form

NEW_YORK = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 25, 17, 0)  # Wednesday, 12:00 in New York
MINUTE = dt.timedelta(minutes=1)


def contact(database: Database, escalation_id: int, staff_id: int, at: dt.datetime) -> None:
    """A call made from the escalation's page at `at`."""
    with database.Session.begin() as session:
        session.add(
            CareContact(
                escalation_id=escalation_id, staff_id=staff_id, kind=ContactKind.CALL, created_at=at
            )
        )


def checkin(
    database: Database, subscriber_id: int, local_date: dt.date, sent_at: dt.datetime
) -> None:
    """A back-pain check-in that went out."""
    with database.Session.begin() as session:
        session.add(
            PlannedMessage(
                subscriber_id=subscriber_id,
                item_key="checkin.week1",
                local_date=local_date,
                send_at=sent_at,
                window_end=sent_at + dt.timedelta(hours=6),
                message_id="checkin.back_pain",
                status=PlanStatus.SENT,
            )
        )


def answer(database: Database, subscriber_id: int, answer_id: str, at: dt.datetime) -> None:
    """An answer to a check-in as the message log keeps it."""
    with database.Session.begin() as session:
        session.add(
            Message(
                subscriber_id=subscriber_id,
                phone="+1",
                direction=Direction.OUTBOUND,
                body="",
                message_id=answer_id,
                status=MessageStatus.REPLIED,
                created_at=at,
            )
        )


@pytest.fixture
def seeded(database: Database) -> None:
    """Two weeks of escalations, calls and check-ins."""
    ana = add_staff(database, "Ana", StaffRole.NURSE)
    monday = dt.datetime(2026, 11, 23, 15, 0)
    first = add_escalation(database, reason="severe_back_pain", created_at=monday)
    contact(database, first, ana, monday + 10 * MINUTE)
    contact(database, first, ana, monday + 50 * MINUTE)  # only the first call counts
    second = add_escalation(database, reason="fall", created_at=monday + dt.timedelta(days=1))
    contact(database, second, ana, monday + dt.timedelta(days=1) + 30 * MINUTE)
    add_escalation(database, reason="severe_back_pain", created_at=monday + dt.timedelta(days=1))
    with database.Session.begin() as session:
        for escalation_id, minutes in ((first, 60), (second, 120)):
            row = session.get(Escalation, escalation_id)
            assert row is not None
            row.handled_at = row.created_at + minutes * MINUTE
            row.handled_by, row.note = "Ana", "called"
    earlier = dt.datetime(2026, 11, 17, 15, 0)
    add_escalation(
        database,
        reason="chest_pain",
        created_at=earlier,
        handled_at=earlier + 20 * MINUTE,
        handled_by="Bo",
        note="ok",
    )
    people = [add_subscriber(database, f"+1212555020{n}") for n in range(5)]
    checkin(database, people[0], dt.date(2026, 11, 23), monday + 60 * MINUTE)
    answer(database, people[0], "checkin_reply.pain", monday + 65 * MINUTE)
    checkin(database, people[1], dt.date(2026, 11, 23), monday + 60 * MINUTE)
    answer(database, people[1], "checkin_reply.no_pain", monday + dt.timedelta(hours=30))
    checkin(database, people[2], dt.date(2026, 11, 25), NOW - dt.timedelta(hours=2))
    checkin(database, people[3], dt.date(2026, 11, 16), earlier)
    answer(database, people[3], "checkin_reply.pain", earlier + dt.timedelta(hours=80))  # late
    checkin(database, people[4], dt.date(2026, 11, 16), earlier)
    answer(database, people[4], "checkin_reply.no_pain", earlier - dt.timedelta(hours=1))  # before


def test_escalations_per_week_by_reason_and_minutes_to_contact_and_to_handled(
    database: Database, seeded: None
) -> None:
    overview = program_overview(database.Session, NEW_YORK, NOW, weeks=2)
    earlier, this = overview.escalation_weeks
    assert (earlier.week_start, this.week_start) == (dt.date(2026, 11, 16), dt.date(2026, 11, 23))
    assert this.by_reason == {"severe_back_pain": 2, "fall": 1} and this.reported == 3
    assert (this.contacted, this.contact_median, this.contact_p90) == (2, 20.0, 28.0)
    assert (this.handled, this.handled_median, this.handled_p90) == (2, 90.0, 114.0)
    assert earlier.by_reason == {"chest_pain": 1}
    assert (earlier.contacted, earlier.contact_median) == (0, None)
    assert (earlier.handled_median, earlier.handled_p90) == (20.0, 20.0)


def test_checkins_per_week_answered_yes_no_or_not_at_all(database: Database, seeded: None) -> None:
    overview = program_overview(database.Session, NEW_YORK, NOW, weeks=2)
    assert overview.checkin_weeks == [
        CheckinWeek(dt.date(2026, 11, 16), sent=2, yes=0, no=0, unanswered=2, waiting=0),
        CheckinWeek(dt.date(2026, 11, 23), sent=3, yes=1, no=1, unanswered=0, waiting=1),
    ]


@pytest.fixture
def care_app(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with the care page on."""
    use_fast_password_hashing(monkeypatch)
    app = create_app(app_config(database.url, SECRET_KEY="k"))
    yield app
    app.extensions["boneline"].db.dispose()


def test_the_program_page_shows_the_weekly_figures(
    care_app: Flask, database: Database, seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("service.web.care.utcnow", lambda: NOW)
    client = care_app.test_client()
    assert log_in(client, "Ana", NURSE_PASSWORD).status_code == 302
    page = client.get("/care/program").get_data(as_text=True)
    escalations = re.search(r'<table id="escalation-weeks".*?</table>', page, re.S)
    assert escalations is not None
    row = re.search(r'<tr data-week="2026-11-23">.*?</tr>', escalations.group(), re.S)
    assert row is not None
    cells = re.sub(r"<[^>]+>", " ", row.group())
    assert "Severe back pain: 2" in cells and "Fall: 1" in cells
    words = " ".join(cells.split())
    assert "median 20 90th: 28 (of 2)" in words and "median 90 90th: 114 (of 2)" in words
    checkins = re.search(r'<table id="checkin-weeks".*?</table>', page, re.S)
    assert checkins is not None
    week = re.search(r'<tr data-week="2026-11-23">.*?</tr>', checkins.group(), re.S)
    assert week is not None
    numbers = re.findall(r'<td class="num">(\d+)</td>', week.group())
    assert numbers == ["3", "1", "1", "0", "1"]


@pytest.mark.parametrize(
    ("key", "logged"), [("1", "checkin_reply.pain"), ("2", "checkin_reply.no_pain")]
)
def test_a_check_in_call_answer_is_logged_like_a_text_answer(
    database: Database, twilio_post: TwilioPost, key: str, logged: str
) -> None:
    phone = "+12125550177"
    person = add_subscriber(
        database,
        phone,
        stage=Stage.POSTPARTUM,
        due_date=None,
        birth_date=dt.date(2026, 11, 1),
        channel=Channel.VOICE,
    )
    path = "/voice/reminder/answer?message=checkin.week6&lang=en"
    form = placed_call_form(phone=phone, Digits=key)
    assert twilio_post(path, form).status_code == 200
    assert twilio_post(path, form).status_code == 200  # Twilio's retry records nothing twice
    with database.Session() as session:
        answers = session.execute(
            sa.select(
                Message.subscriber_id, Message.direction, Message.channel, Message.body
            ).where(Message.message_id == logged)
        ).all()
    assert answers == [(person, Direction.INBOUND, Channel.VOICE, "")]
