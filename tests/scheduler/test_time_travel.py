"""A whole pregnancy and the first year after birth, day by day, in four US time zones."""

from __future__ import annotations

import collections
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from scheduler.sending import Claimed
from service.flows.inbound_text import InboundText, receive_text
from service.store.db import Database
from service.store.models import PlannedMessage, Subscriber
from service.vocabulary import Channel, PlanStatus, Status
from service.words.catalog import Catalog
from service.words.segments import sms_form
from service.words.texts import Texts
from tests.support.reminder_helpers import (
    RecordingSender,
    add_subscriber,
    scheduler_settings,
    travel_one_day,
)

ENROLLED = dt.date(2026, 6, 1)
END = dt.date(2028, 3, 20)


@dataclass(frozen=True)
class Person:
    """One traveller: where they live, their language, due date and birth date."""

    phone: str
    time_zone: str
    language: str
    due: dt.date
    born: dt.date


PEOPLE = (
    Person("+12125550101", "America/New_York", "en", dt.date(2027, 3, 1), dt.date(2027, 3, 3)),
    Person("+13125550102", "America/Chicago", "es", dt.date(2027, 3, 10), dt.date(2027, 3, 8)),
    Person("+13105550103", "America/Los_Angeles", "en", dt.date(2027, 2, 20), dt.date(2027, 2, 25)),
    Person("+16025550104", "America/Phoenix", "es", dt.date(2027, 3, 15), dt.date(2027, 3, 15)),
)
STOPPER = Person(
    "+12065550105", "America/Los_Angeles", "es", dt.date(2027, 1, 10), dt.date(2027, 1, 10)
)
STOP_DAY = dt.date(2026, 11, 2)  # a Monday: that day's message is already planned


def local_window(moment: dt.datetime) -> tuple[dt.time, dt.time] | None:
    """The default window on that local day."""
    return {5: (dt.time(10), dt.time(17)), 6: None}.get(
        moment.weekday(), (dt.time(10), dt.time(18))
    )


def travellers(database: Database) -> tuple[dt.date, tuple[Person, ...]]:
    """Everyone on SQLite; on PostgreSQL (slower per statement) two of them, from October."""
    if database.is_postgresql:
        return dt.date(2026, 10, 5), PEOPLE[:2]
    return ENROLLED, PEOPLE


def travel(database: Database) -> dict[str, object]:
    """Travel from enrollment to a year after birth; return what was sent, by phone."""
    start, people = travellers(database)
    settings = scheduler_settings(database)
    texts = Texts.from_settings(settings)
    sender = RecordingSender()
    ids = {
        person.phone: add_subscriber(
            database, person.phone, person.time_zone, person.language, due_date=person.due
        )
        for person in (*people, STOPPER)
    }

    def text(phone: str, body: str) -> object:
        return lambda now: receive_text(database.Session, InboundText(phone, body), texts, now)

    events = {person.born: text(person.phone, "BORN") for person in people}
    events[STOP_DAY] = text(STOPPER.phone, "STOP")
    sent: dict[str, list[tuple[dt.datetime, Claimed]]] = collections.defaultdict(list)
    day = start
    while day <= END:
        for moment, report in travel_one_day(database, settings, texts, sender, day, events):
            for row, _sid in report.sent:
                sent[row.phone].append((moment, row))
        day += dt.timedelta(days=1)
    return {"sent": sent, "sender": sender, "ids": ids, "start": start, "people": people}


def test_a_pregnancy_and_a_year_after_birth_send_each_message_once_in_daytime_within_caps(
    database: Database, catalog: Catalog
) -> None:
    journey = travel(database)
    check_every_message_is_sent_once_in_daytime_within_the_caps(journey, catalog)
    check_spanish_speakers_get_spanish_and_english_speakers_english(journey, catalog)
    check_stop_mid_way_cancels_the_planned_message_and_every_later_one(journey, database)


def check_every_message_is_sent_once_in_daytime_within_the_caps(
    journey: dict[str, object], catalog: Catalog
) -> None:
    """Each person: one a day at most, three a week at most, inside the window, right text."""
    sent: dict[str, list[tuple[dt.datetime, Claimed]]] = journey["sent"]  # type: ignore[assignment]
    sender: RecordingSender = journey["sender"]  # type: ignore[assignment]
    start: dt.date = journey["start"]  # type: ignore[assignment]
    for person in journey["people"]:  # type: ignore[attr-defined]
        zone = ZoneInfo(person.time_zone)
        messages = sent[person.phone]
        local = [moment.replace(tzinfo=dt.UTC).astimezone(zone) for moment, _ in messages]
        days = [moment.date() for moment in local]
        assert len(days) == len(set(days)), "more than one message on a day"
        for index, day in enumerate(days):
            assert sum(1 for other in days[index:] if (other - day).days < 7) <= 3
        for moment in local:
            window = local_window(moment)
            assert window is not None, f"sent on a Sunday: {moment}"
            assert window[0] <= moment.time() < window[1], moment
        bodies = [body for to, body in sender.texts.values() if to == person.phone]
        for (_, row), body in zip(messages, bodies, strict=True):
            assert row.language == person.language
            sent_form = sms_form(catalog.text(row.message_id, person.language, program="BoneLine"))
            assert body == sent_form
        # Reminders from enrollment, then nine check-ins after the birth, then nothing.
        assert days[0] - start < dt.timedelta(days=3)
        check_ins = [row for _, row in messages if row.item_key.startswith("checkin.")]
        assert len(check_ins) == 9
        first_check_in = next(
            day
            for day, (_, row) in zip(days, messages, strict=True)
            if row.item_key == "checkin.week1"
        )
        assert 7 <= (first_check_in - person.born).days < 10
        assert (
            person.born + dt.timedelta(days=370) > days[-1] > person.born + dt.timedelta(days=360)
        )
        pregnant = [row for _, row in messages if row.item_key.startswith("pregnant.")]
        assert len(pregnant) > 50 and all(row.channel is Channel.SMS for row in pregnant)
        # Nobody gets the same text twice within 28 days.
        last: dict[str, dt.date] = {}
        for day, (_, row) in zip(days, messages, strict=True):
            if row.message_id in last:
                assert (day - last[row.message_id]).days > 28, (row.message_id, day)
            last[row.message_id] = day


def check_spanish_speakers_get_spanish_and_english_speakers_english(
    journey: dict[str, object], catalog: Catalog
) -> None:
    """Every text is in its reader's language."""
    sender: RecordingSender = journey["sender"]  # type: ignore[assignment]
    scheduled = [i for i in catalog.ids("en") if i.startswith(("reminder.", "checkin."))]
    spanish = {sms_form(catalog.text(i, "es", program="BoneLine")) for i in scheduled}
    english = {catalog.text(i, "en", program="BoneLine") for i in scheduled}
    for to, body in sender.texts.values():
        person = next(p for p in (*PEOPLE, STOPPER) if p.phone == to)
        assert body in (spanish if person.language == "es" else english)


def check_stop_mid_way_cancels_the_planned_message_and_every_later_one(
    journey: dict[str, object], database: Database
) -> None:
    """The stopper's already-planned message is cancelled; nothing is planned or sent after."""
    sent: dict[str, list[tuple[dt.datetime, Claimed]]] = journey["sent"]  # type: ignore[assignment]
    ids: dict[str, int] = journey["ids"]  # type: ignore[assignment]
    last = max(moment for moment, _ in sent[STOPPER.phone])
    assert last.date() < STOP_DAY
    with database.Session() as session:
        stopped = session.get(Subscriber, ids[STOPPER.phone])
        assert stopped is not None and stopped.status is Status.STOPPED
        rows = session.scalars(
            sa.select(PlannedMessage).where(PlannedMessage.subscriber_id == stopped.id)
        ).all()
    assert [row.status for row in rows if row.local_date == STOP_DAY] == [PlanStatus.CANCELLED]
    assert not [row for row in rows if row.local_date > STOP_DAY]
