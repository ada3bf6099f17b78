"""Life changes through the signed /sms webhook: dates as people give them, changes after
joining, breastfeeding, a loss and the goodbye, in English and Spanish."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from service.domain.clock import utcnow
from service.store.db import Database
from service.store.models import ConsentEvent, Escalation, PlannedMessage, Subscriber
from service.vocabulary import Channel, DayPart, PlanStatus, Stage, Status, Track
from service.web import create_app
from tests.conftest import PUBLIC_BASE_URL, TwilioPost, app_config, twilio_signature
from tests.support.sms_helpers import PHONE, person_today, text


def subscriber(app: Flask, phone: str = PHONE) -> Subscriber:
    """The stored subscriber for a number."""
    with app.extensions["boneline"].db.Session() as session:
        found = session.scalar(sa.select(Subscriber).where(Subscriber.phone == phone))
        assert found is not None
        return found


@pytest.mark.parametrize(
    ("join", "weeks", "yes", "said_back"),
    [
        ("JOIN", "I'm 30 weeks", "yes", "So your baby is due about"),
        ("UNIRSE", "tengo 30 semanas", "si", "Entonces su bebé nace"),
    ],
)
def test_weeks_along_at_sign_up_become_a_due_date_read_back_for_a_yes(
    app: Flask, twilio_post: TwilioPost, join: str, weeks: str, yes: str, said_back: str
) -> None:
    text(twilio_post, join)
    text(twilio_post, "1")
    assert said_back in text(twilio_post, weeks)[0]
    text(twilio_post, yes)
    text(twilio_post, "1")
    text(twilio_post, yes)
    person = subscriber(app)
    assert person.status == "active"
    assert person.due_date == person_today() + dt.timedelta(weeks=10)


def enroll(post: TwilioPost, spanish: bool = False) -> None:
    """A pregnant person signs up by text, due in about four months."""
    due = person_today() + dt.timedelta(days=120)
    written = due.strftime("%d/%m/%Y" if spanish else "%m/%d/%Y")
    for body in ["UNIRSE" if spanish else "JOIN", "1", written, "1", "SI" if spanish else "YES"]:
        text(post, body)


def plan_today(app: Flask) -> int:
    """A tip planned for the person later today; returns its id."""
    person = subscriber(app)
    start = utcnow().replace(microsecond=0)
    with app.extensions["boneline"].db.Session.begin() as session:
        row = PlannedMessage(
            subscriber_id=person.id,
            item_key="pregnant.calcium",
            local_date=person_today(),
            send_at=start + dt.timedelta(hours=2),
            window_end=start + dt.timedelta(hours=10),
            created_at=start,
            updated_at=start,
            channel=Channel.SMS,
            message_id="reminder.calcium_food",
            language=person.language,
        )
        session.add(row)
        session.flush()
        return row.id


def planned(app: Flask, row_id: int) -> PlannedMessage:
    """One planned row as stored now."""
    with app.extensions["boneline"].db.Session() as session:
        row = session.get(PlannedMessage, row_id)
        assert row is not None
        return row


def consent_actions(app: Flask) -> list[str]:
    """The consent log's actions for the number, oldest first."""
    with app.extensions["boneline"].db.Session() as session:
        return [
            str(action)
            for action in session.scalars(
                sa.select(ConsentEvent.action)
                .where(ConsentEvent.phone == PHONE)
                .order_by(ConsentEvent.id)
            )
        ]


@pytest.mark.parametrize(
    ("spanish", "due", "yes", "recorded"),
    [
        (False, "DUE 30 weeks", "yes", "your due date is now"),
        (True, "FECHA 30 semanas", "si", "su fecha de parto ahora"),
    ],
)
def test_a_new_due_date_after_joining_is_read_back_and_replaces_todays_tip(
    app: Flask, twilio_post: TwilioPost, spanish: bool, due: str, yes: str, recorded: str
) -> None:
    enroll(twilio_post, spanish)
    row = plan_today(app)
    text(twilio_post, due)
    assert planned(app, row).status == PlanStatus.PLANNED  # nothing changes before the yes
    assert recorded in text(twilio_post, yes)[0]
    assert subscriber(app).due_date == person_today() + dt.timedelta(weeks=10)
    assert planned(app, row).status == PlanStatus.CANCELLED


@pytest.mark.parametrize(
    ("spanish", "calls", "texts"), [(False, "CALLS", "TEXTS"), (True, "LLAMADAS", "MENSAJES")]
)
def test_texts_or_calls_moves_todays_tip_and_is_in_the_consent_log(
    app: Flask, twilio_post: TwilioPost, spanish: bool, calls: str, texts: str
) -> None:
    enroll(twilio_post, spanish)
    row = plan_today(app)
    text(twilio_post, calls)
    assert subscriber(app).channel == Channel.VOICE
    assert planned(app, row).channel == Channel.VOICE
    text(twilio_post, texts)
    assert (subscriber(app).channel, planned(app, row).channel) == (Channel.SMS, Channel.SMS)
    assert consent_actions(app)[-2:] == ["channel", "channel"]


@pytest.mark.parametrize(
    ("spanish", "pause", "resume"), [(False, "PAUSE 3", "RESUME"), (True, "PAUSA 3", "SEGUIR")]
)
def test_a_pause_cancels_todays_tip_and_stop_and_help_still_work(
    app: Flask, twilio_post: TwilioPost, spanish: bool, pause: str, resume: str
) -> None:
    enroll(twilio_post, spanish)
    row = plan_today(app)
    text(twilio_post, pause)
    person = subscriber(app)
    assert person.status == Status.PAUSED
    assert person.paused_until == person_today() + dt.timedelta(weeks=3, days=-1)
    assert planned(app, row).status == PlanStatus.CANCELLED
    assert "911" in text(twilio_post, "AYUDA" if spanish else "HELP")[0]
    text(twilio_post, resume)
    assert subscriber(app).status == Status.ACTIVE
    text(twilio_post, pause)
    text(twilio_post, "STOP")
    assert subscriber(app).status == Status.STOPPED
    assert consent_actions(app)[1:] == ["pause", "resume", "pause", "opt_out"]


def test_morning_moves_todays_tip_into_the_morning_inside_the_window(
    app: Flask, twilio_post: TwilioPost
) -> None:
    enroll(twilio_post)
    row = plan_today(app)
    assert "in the morning" in text(twilio_post, "MORNING")[0]
    assert subscriber(app).day_part == DayPart.MORNING
    moved = planned(app, row)
    assert moved.created_at <= moved.send_at < moved.window_end
    assert "in the evening" in text(twilio_post, "NOCHE")[0]
    assert subscriber(app).day_part == DayPart.EVENING


@pytest.mark.parametrize(
    ("spanish", "loss", "sorry"),
    [
        (False, "I lost my baby", "so sorry for your loss"),
        (False, "we had a miscarriage last week", "so sorry for your loss"),
        (True, "perdí a mi bebé", "Sentimos mucho su pérdida"),
        (True, "tuve un aborto espontáneo", "Sentimos mucho su pérdida"),
    ],
)
def test_a_loss_gets_a_kind_reply_stops_every_baby_message_and_alerts_the_care_team(
    app: Flask, twilio_post: TwilioPost, spanish: bool, loss: str, sorry: str
) -> None:
    enroll(twilio_post, spanish)
    row = plan_today(app)
    assert sorry in text(twilio_post, loss)[0]
    person = subscriber(app)
    assert (person.status, person.loss_on) == (Status.PAUSED, person_today())
    assert planned(app, row).status == PlanStatus.CANCELLED
    with app.extensions["boneline"].db.Session() as session:
        reasons = session.scalars(sa.select(Escalation.reason)).all()
    assert reasons == ["loss_follow_up"]
    assert consent_actions(app)[-1] == "loss"
    # Nothing about a baby from now on: BORN is not a birth.
    text(twilio_post, "NACIO" if spanish else "BORN")
    assert subscriber(app).stage == Stage.PREGNANT


def test_after_a_loss_one_keeps_bone_tips_for_themselves_and_two_stops(
    app: Flask, twilio_post: TwilioPost
) -> None:
    enroll(twilio_post)
    text(twilio_post, "I lost my baby")
    assert "just for you" in text(twilio_post, "1")[0]
    assert subscriber(app).status == Status.ACTIVE
    assert consent_actions(app)[-1] == "opt_in"
    text(twilio_post, "STOP")
    text(twilio_post, "START")
    assert subscriber(app).loss_on == person_today()  # only JOIN starts a new pregnancy
    text(twilio_post, "JOIN")
    person = subscriber(app)
    assert (person.status, person.loss_on, person.stage) == (Status.ENROLLING, None, None)


def test_after_a_loss_two_stops_everything(app: Flask, twilio_post: TwilioPost) -> None:
    enroll(twilio_post, spanish=True)
    text(twilio_post, "mi bebé murió")
    assert "Ya no le mandaremos mensajes" in text(twilio_post, "2")[0]
    assert subscriber(app).status == Status.STOPPED
    assert consent_actions(app)[-1] == "opt_out"


def test_a_clinic_can_turn_the_loss_follow_up_alert_off(database: Database) -> None:
    app = create_app(app_config(database.url, CARE_TEAM_LOSS_FOLLOW_UP=0))
    client = app.test_client()

    def post(path: str, params: Mapping[str, str]) -> TestResponse:
        signature = twilio_signature(PUBLIC_BASE_URL + path, params)
        return client.post(path, data=dict(params), headers={"X-Twilio-Signature": signature})

    enroll(post)
    text(post, "I lost my baby")
    with database.Session() as session:
        assert session.scalars(sa.select(Escalation)).all() == []
    app.extensions["boneline"].db.dispose()


@pytest.mark.parametrize(
    ("spanish", "born", "weaned", "thanks"),
    [(False, "BORN", "WEANED", "6 more months"), (True, "NACIO", "DESTETE", "siguen 6 meses")],
)
def test_one_breastfeeding_question_after_birth_and_weaned_extends_the_program(
    app: Flask, twilio_post: TwilioPost, spanish: bool, born: str, weaned: str, thanks: str
) -> None:
    enroll(twilio_post, spanish)
    replies = text(twilio_post, born)
    assert len(replies) == 2 and ("pecho" if spanish else "breastfeeding") in replies[1]
    text(twilio_post, "1")
    assert subscriber(app).breastfeeding is True
    assert thanks in text(twilio_post, weaned)[0]
    person = subscriber(app)
    assert (person.breastfeeding, person.weaned_on) == (False, person_today())


def test_the_breastfeeding_question_can_be_skipped_by_texting_anything_else(
    app: Flask, twilio_post: TwilioPost
) -> None:
    enroll(twilio_post)
    text(twilio_post, "BORN")
    assert "calcium" in text(twilio_post, "calcium")[0].lower()
    assert subscriber(app).breastfeeding is None


def test_after_a_loss_the_track_is_self_care_and_join_starts_a_new_pregnancy(
    app: Flask, twilio_post: TwilioPost
) -> None:
    enroll(twilio_post)
    text(twilio_post, "I lost my baby")
    text(twilio_post, "1")
    assert subscriber(app).track == Track.SELF_CARE
    text(twilio_post, "JOIN")
    assert subscriber(app).track == Track.BABY
