"""The `life` job through `boneline tick --now` and the signed webhooks: the birth nobody
reported, a pause that ends by itself, and the goodbye, in English and Spanish."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from service.store.db import Database
from service.store.models import PlannedMessage, Subscriber
from service.tools.cli import main
from service.vocabulary import Channel, PlanStatus, Stage, Status
from tests.conftest import TwilioPost
from tests.support.reminder_helpers import add_subscriber
from tests.support.sms_helpers import PHONE, person_today, text
from tests.support.voice_helpers import placed_call_form, press

NEW_YORK = ZoneInfo("America/New_York")
DUE = dt.date(2027, 6, 2)  # a Wednesday
FRIDAY_AFTER = DUE + dt.timedelta(days=9)  # due + 9; the birth question went out on Monday
ASKED_ON = DUE + dt.timedelta(days=5)  # Monday 2027-06-07, the first slot day from due + 3
ASSUMED_ON = DUE + dt.timedelta(days=14)  # Wednesday 2027-06-16


@pytest.fixture
def tick(database: Database, monkeypatch: pytest.MonkeyPatch) -> object:
    """`boneline tick --now` on the test database, without Twilio: what it prints."""
    monkeypatch.setenv("DATABASE_URL", database.url)
    # 17:59 in New York sends everything planned that day; nothing then is too late.
    monkeypatch.setenv("MAX_LATENESS_HOURS", "9")
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "CARE_TEAM_PHONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://boneline.example.org")

    def run(day: dt.date) -> str:
        """A morning pass (plans) and an evening pass (sends) on one New York day."""
        output = ""
        for hour in (dt.time(9), dt.time(17, 59)):
            moment = dt.datetime.combine(day, hour, NEW_YORK).isoformat()
            result = CliRunner().invoke(main, ["tick", "--now", moment])
            assert result.exit_code == 0, result.output
            output += result.output
        return output

    return run


def person(database: Database, phone: str = PHONE) -> Subscriber:
    """The stored subscriber."""
    with database.Session() as session:
        found = session.scalar(sa.select(Subscriber).where(Subscriber.phone == phone))
        assert found is not None
        return found


def sent_items(database: Database) -> list[str]:
    """The item keys of every message sent, in order."""
    with database.Session() as session:
        return list(
            session.scalars(
                sa.select(PlannedMessage.item_key)
                .where(PlannedMessage.status == PlanStatus.SENT)
                .order_by(PlannedMessage.send_at)
            )
        )


@pytest.mark.parametrize(
    ("language", "asked", "assumed"),
    [
        ("en", "Has your baby arrived? Reply BORN", "We think your baby came"),
        ("es", "¿Ya nacio su bebé? Responda NACIO", "Creemos que su bebé ya nacio"),
    ],
)
def test_a_birth_nobody_reported_is_asked_once_then_assumed_from_the_due_date(
    database: Database, tick: object, language: str, asked: str, assumed: str
) -> None:
    add_subscriber(database, PHONE, language=language, due_date=DUE)
    run = tick  # type: ignore[assignment]
    assert asked not in run(DUE + dt.timedelta(days=2))  # type: ignore[operator]
    assert asked in run(ASKED_ON)  # type: ignore[operator]
    assert person(database).birth_asked_on == ASKED_ON
    assert asked not in run(ASKED_ON + dt.timedelta(days=2))  # type: ignore[operator]
    assert sent_items(database).count("life.ask_birth") == 1
    said = run(ASSUMED_ON)  # type: ignore[operator]
    assert assumed in said
    mother = person(database)
    assert (mother.stage, mother.birth_date, mother.birth_assumed_on) == (
        Stage.POSTPARTUM,
        DUE,
        ASSUMED_ON,
    )
    # After-birth tips from now on, the birth counted from the due date: the week-4 check-in.
    run(DUE + dt.timedelta(weeks=4))  # type: ignore[operator]
    assert sent_items(database)[-1] == "checkin.week4"


def test_the_birth_question_takes_the_days_slot_and_never_a_sunday(
    database: Database, tick: object
) -> None:
    add_subscriber(database, PHONE, due_date=DUE)
    run = tick  # type: ignore[assignment]
    run(DUE + dt.timedelta(days=4))  # type: ignore[operator]  # a Sunday: no window
    assert person(database).birth_asked_on is None
    run(ASKED_ON)  # type: ignore[operator]
    with database.Session() as session:
        that_day = session.scalars(
            sa.select(PlannedMessage.item_key).where(PlannedMessage.local_date == ASKED_ON)
        ).all()
    assert that_day == ["life.ask_birth"]


def test_a_reply_to_the_birth_question_records_the_birth_and_asks_about_breastfeeding(
    app: Flask, database: Database, tick: object, twilio_post: TwilioPost
) -> None:
    add_subscriber(database, PHONE, due_date=DUE)
    tick(ASKED_ON)  # type: ignore[operator]
    replies = text(twilio_post, "yes")
    assert "What day was your baby born?" in replies[0]
    born = text(twilio_post, "yesterday")
    assert "Congratulations" in born[0] and "Are you breastfeeding?" in born[1]
    assert person(database).stage is Stage.POSTPARTUM


def test_the_birth_question_by_phone_reads_the_day_back_records_it_and_asks_breastfeeding(
    app: Flask, database: Database, tick: object, twilio_post: TwilioPost
) -> None:
    # The call's answers are read on today's clock: the due date is a few days ago.
    today = person_today()
    due = today - dt.timedelta(days=3)
    add_subscriber(database, PHONE, language="es", due_date=due, channel=Channel.VOICE)
    asked_on = next(
        today + dt.timedelta(days=n) for n in range(7) if (today.weekday() + n) % 7 in (0, 2, 4)
    )
    said = tick(asked_on)  # type: ignore[operator]
    assert "voice/reminder?message=life.ask_birth&lang=es" in said, said
    form = placed_call_form(PHONE)
    base = "/voice/reminder/answer?message=life.ask_birth&lang=es"
    when = press(twilio_post, base + "&tries=0", digits="1", **form)
    assert "¿Qué día nació su bebé?" in when.text
    back = press(twilio_post, when.action, speech="ayer", **form)
    assert "Escuchamos" in back.text
    feeding = press(twilio_post, back.action, digits="1", **form)
    assert "¿Está dando pecho?" in feeding.text
    mother = person(database)
    assert (mother.stage, mother.birth_date) == (Stage.POSTPARTUM, today - dt.timedelta(days=1))
    assert mother.breastfeeding is None
    thanks = press(twilio_post, feeding.action, speech="Sí", **form)
    assert thanks.hangs_up and "consejos para dar pecho" in thanks.text
    assert person(database).breastfeeding is True


def test_a_pause_ends_by_itself_with_a_one_line_welcome_back(
    app: Flask, database: Database, tick: object, twilio_post: TwilioPost
) -> None:
    add_subscriber(database, PHONE, language="es", due_date=dt.date(2027, 12, 1))
    assert "pausa hasta" in text(twilio_post, "PAUSA 1")[0]
    paused = person(database)
    assert paused.status is Status.PAUSED and paused.paused_until is not None
    back = paused.paused_until + dt.timedelta(days=1)
    while back.weekday() not in (0, 2, 4):
        back += dt.timedelta(days=1)
    assert "tenerle de vuelta" in tick(back)  # type: ignore[operator]
    assert person(database).status is Status.ACTIVE
    # The welcome back is that day's one message: no tip planned beside it.
    with database.Session() as session:
        that_day = session.scalars(
            sa.select(PlannedMessage.item_key).where(PlannedMessage.local_date == back)
        ).all()
    assert that_day == ["life.welcome_back"]


def test_the_program_ends_with_a_goodbye_and_later_texts_still_get_answers(
    app: Flask, database: Database, tick: object, twilio_post: TwilioPost
) -> None:
    born = dt.date(2026, 6, 7)
    add_subscriber(database, PHONE, stage=Stage.POSTPARTUM, due_date=None, birth_date=born)
    # The last day (June 7, 2027) has the 12-month check-in; the goodbye is the next slot day.
    said = tick(dt.date(2027, 6, 9))  # type: ignore[operator]
    assert "This is your last tip" in said and "Text JOIN" in said
    assert person(database).status is Status.COMPLETED
    assert "Your BoneLine program has ended" in text(twilio_post, "hi")[0]
    assert "calcium" in text(twilio_post, "calcium")[0].lower()
    assert "last tip" not in tick(dt.date(2027, 6, 11))  # type: ignore[operator]
