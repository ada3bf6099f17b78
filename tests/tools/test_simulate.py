"""`boneline simulate`: a terminal phone on the real conversation, phone line and scheduler."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from service.store.db import Database
from service.store.models import Escalation, Message, Subscriber
from service.tools.simulate import Simulator, parse_duration, read_twiml
from service.vocabulary import Channel, Direction, MessageStatus, Stage, Status
from service.web import create_app
from tests.conftest import app_config

PHONE = "+12125550123"
NEW_YORK = ZoneInfo("America/New_York")
# Monday 4 January 2027, 09:00 in New York.
MONDAY_MORNING = dt.datetime(2027, 1, 4, 14, 0)
SENT_LINE = re.compile(r"^\[(\w{3}) (\d{4}-\d\d-\d\d) (\d\d):(\d\d) \w+\] text: (.*)$")


@pytest.fixture
def simulator(database: Database) -> Iterator[Simulator]:
    """A simulator on the test database, with the clock at a Monday morning in New York."""
    app = create_app(app_config(database.url, CARE_TEAM_PHONE="", CARE_TEAM_WEBHOOK_URL=""))
    boneline = app.extensions["boneline"]
    yield Simulator(boneline, phone=PHONE, now=MONDAY_MORNING)
    boneline.db.dispose()


def run(simulator: Simulator, *lines: str) -> list[str]:
    """Type each line; everything printed."""
    output: list[str] = []
    for line in lines:
        output += simulator.handle(line)
    return output


def enroll(simulator: Simulator, channel: str = "1") -> list[str]:
    """Sign up by text as pregnant, due 5 June 2027."""
    return run(simulator, "JOIN", "1", "June 5", channel, "YES")


def subscriber(database: Database, phone: str = PHONE) -> Subscriber:
    """The row for a number."""
    with database.Session() as session:
        row = session.scalar(sa.select(Subscriber).where(Subscriber.phone == phone))
        assert row is not None
        return row


def test_texting_join_and_the_answers_enrolls_the_number(
    simulator: Simulator, database: Database
) -> None:
    output = enroll(simulator)
    assert output[0].startswith("< Welcome to BoneLine!")
    assert output[-1].startswith("< You are signed up!")
    person = subscriber(database)
    assert person.status is Status.ACTIVE and person.stage is Stage.PREGNANT
    assert person.due_date == dt.date(2027, 6, 5)
    with database.Session() as session:
        inbound = session.scalars(
            sa.select(Message.created_at).where(Message.direction == Direction.INBOUND)
        ).all()
    # The simulated clock is the time every text is recorded at.
    assert inbound and set(inbound) == {MONDAY_MORNING}


def test_advance_sends_the_scheduled_reminders_on_slot_days_inside_the_window(
    simulator: Simulator, database: Database
) -> None:
    enroll(simulator)
    output = simulator.handle(":advance 7d")
    shown = [SENT_LINE.match(line) for line in output if line.startswith("[")]
    assert shown and all(shown)
    days = [(found.group(1), found.group(2)) for found in shown if found]
    assert days == [("Mon", "2027-01-04"), ("Wed", "2027-01-06"), ("Fri", "2027-01-08")]
    for found in shown:
        assert found is not None
        assert 10 <= int(found.group(3)) < 18  # the weekday window, 10:00-18:00 local
    with database.Session() as session:
        sent = session.execute(
            sa.select(Message.created_at, Message.body, Message.message_id)
            .where(Message.direction == Direction.OUTBOUND, Message.twilio_sid.is_not(None))
            .order_by(Message.created_at)
        ).all()
    assert [row.body for row in sent] == [found.group(5) for found in shown if found]
    assert all(row.message_id.startswith("reminder.") for row in sent)
    local = [row.created_at.replace(tzinfo=dt.UTC).astimezone(NEW_YORK) for row in sent]
    shown_times = [
        f"{found.group(2)} {found.group(3)}:{found.group(4)}" for found in shown if found
    ]
    assert [f"{moment:%Y-%m-%d %H:%M}" for moment in local] == shown_times
    assert output[-1] == "(it is now Mon 2027-01-11 09:00 EST)"
    assert simulator.now == MONDAY_MORNING + dt.timedelta(days=7)


def test_advance_after_stop_sends_nothing(simulator: Simulator, database: Database) -> None:
    enroll(simulator)
    stopped = simulator.handle("STOP")
    assert stopped and stopped[0].startswith("< ")
    output = simulator.handle(":advance 2w")
    assert [line for line in output if line.startswith("[")] == []
    assert subscriber(database).status is Status.STOPPED


def test_a_red_flag_text_creates_an_escalation_at_the_simulated_time(
    simulator: Simulator, database: Database
) -> None:
    enroll(simulator)
    simulator.handle(":advance 3d")
    output = simulator.handle("my back hurts so bad I cant walk")
    assert output[0].startswith("< ")
    with database.Session() as session:
        escalation = session.scalars(sa.select(Escalation)).one()
    assert escalation.source == "text" and escalation.phone == PHONE
    assert escalation.created_at == simulator.now


def test_a_yes_to_the_back_pain_checkin_after_birth_is_escalated(
    simulator: Simulator, database: Database
) -> None:
    enroll(simulator)
    simulator.handle("BORN")
    checkin = ""
    for _ in range(6):
        arrived = simulator.handle(":next")
        if any("back" in line.lower() and "1" in line for line in arrived):
            checkin = arrived[0]
            break
    assert checkin, "no back pain check-in arrived"
    assert simulator.handle("1")[0].startswith("< ")
    with database.Session() as session:
        escalation = session.scalars(sa.select(Escalation)).one()
    assert escalation.reason == "back_pain"


def test_lang_es_texts_the_language_word_and_answers_in_spanish(
    simulator: Simulator, database: Database
) -> None:
    enroll(simulator)
    output = simulator.handle(":lang es")
    assert output[0] == "> ESPANOL"
    assert subscriber(database).language == "es"
    later = [line for line in simulator.handle(":advance 3d") if line.startswith("[")]
    texts = simulator.boneline.texts
    spanish = {texts.sms(id_, "es") for id_ in texts.catalog.ids("es") if "reminder." in id_}
    assert later and all(line.split(": ", 1)[1] in spanish for line in later)


def test_menu_then_a_number_again_and_again_is_answered_every_time(database: Database) -> None:
    # Issue 17: as a new user, MENU 1 MENU 2 ... MENU 5 worked and the eleventh text got nothing.
    # The simulator's clock stands still while you type, with loop protection as shipped.
    app = create_app(app_config(database.url, LOOP_QUICK_REPLY_COUNT=4))
    simulator = Simulator(app.extensions["boneline"], phone=PHONE, now=MONDAY_MORNING)
    lines = [body for number in range(1, 13) for body in ("MENU", str(number))]
    output = run(simulator, *lines)
    assert len(output) == len(lines) and all(line.startswith("< ") for line in output)
    assert not any("will not reply for a few minutes" in line for line in output)
    app.extensions["boneline"].db.dispose()


def test_the_same_text_over_and_over_hears_once_that_replies_are_paused(
    simulator: Simulator,
) -> None:
    rule = simulator.boneline.loop_rule
    output = run(simulator, *["Thanks for the message!"] * (rule.most_repeats + 3))
    assert all(line.startswith("< This is BoneLine") for line in output[: rule.most_repeats])
    assert "will not reply for a few minutes" in output[rule.most_repeats]
    assert output[rule.most_repeats + 1 :] == ["(no reply)", "(no reply)"]


def test_call_walks_the_menu_by_keys_and_typed_speech(
    simulator: Simulator, database: Database
) -> None:
    catalog, params = simulator.boneline.texts.catalog, simulator.boneline.texts.params("en")
    greeting = simulator.handle(":call")
    assert any("press 1" in line for line in greeting)
    main_menu = simulator.handle("1")
    assert any("main menu" in line for line in main_menu)
    tips = simulator.handle("say tips")
    assert any("press 1" in line.lower() for line in tips)
    calcium = simulator.handle("calcium")
    spoken = catalog.text("voice.tip.calcium", "en", **params)
    assert f"  BoneLine says: {spoken}" in calcium
    # 1 after a tip texts it: the phone line queues it and the scheduler's sender sends it.
    texted = simulator.handle("1")
    assert any(line.startswith("[Mon 2027-01-04 09:00 EST] text: ") for line in texted)
    assert simulator.handle(":hangup")[0] == "(you hung up)"
    assert simulator.call is None
    with database.Session() as session:
        sent = session.scalars(
            sa.select(Message).where(Message.message_id == "phone_text.calcium")
        ).one()
    assert sent.twilio_sid is not None and sent.status == MessageStatus.SUBMITTED


def test_calling_by_keypad_signs_up_for_calls_and_advance_rings_the_phone(
    simulator: Simulator, database: Database
) -> None:
    simulator.handle(":call")
    for key in ("1", "3", "1"):
        simulator.handle(key)
    simulator.handle("06052027")
    for key in ("1", "2", "1"):
        output = simulator.handle(key)
    assert simulator.call is None and output[-1] == "(BoneLine hung up)"
    assert subscriber(database).channel is Channel.VOICE
    rang = simulator.handle(":advance 7d")
    assert any(re.match(r"^\[Mon 2027-01-04 \d\d:\d\d EST\] call \(reminder\.", x) for x in rang)
    # The clock stops at a call that waits for a key; the reminder call answers a key.
    assert simulator.call is not None
    assert simulator.handle(":advance 1d")[0].startswith("hang up first")
    assert simulator.handle("9")


def test_commands_explain_themselves(simulator: Simulator) -> None:
    assert any(":advance" in line for line in simulator.handle(":help"))
    assert simulator.handle(":now") == ["Mon 2027-01-04 09:00 EST (2027-01-04 14:00 UTC)"]
    assert simulator.handle(":advance soon")[0].startswith("say how far")
    assert simulator.handle(":frobnicate")[0].startswith("unknown command")
    assert simulator.handle(":hangup") == ["you are not on a call"]
    assert simulator.handle(":as 415 555 0100") == ["(now texting as +14155550100)"]
    assert simulator.handle(":as nobody")[0].startswith("not a phone number")
    assert simulator.handle(":quit") == ["bye"] and simulator.done


def test_durations_read_minutes_hours_days_and_weeks() -> None:
    assert parse_duration("30m") == dt.timedelta(minutes=30)
    assert parse_duration("3h") == dt.timedelta(hours=3)
    assert parse_duration("7d") == dt.timedelta(days=7)
    assert parse_duration("2W") == dt.timedelta(weeks=2)
    assert parse_duration("7") is None and parse_duration("-1d") is None


def test_read_twiml_finds_the_words_and_where_the_answer_goes() -> None:
    spoken = read_twiml(
        '<Response><Say>Hi</Say><Gather action="/voice/menu?node=main">'
        "<Say><prosody>Press </prosody><prosody>1</prosody></Say></Gather></Response>"
    )
    assert spoken.lines == ("Hi", "Press 1") and spoken.action == "/voice/menu?node=main"
    assert read_twiml("<Response><Say>Bye</Say><Hangup/></Response>").action is None
