"""Sending: exactly once, never late floods, never to the stopped, crash-safe, alerts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.jobs import housekeeping_job, plan_job, send_job
from scheduler.planning import plan, window_zones
from scheduler.sending import SendJob, queue_care_team_alerts
from service.domain.send_windows import SendWindows
from service.flows.inbound_text import InboundText, receive_text
from service.gateway.sender import SendError
from service.store.db import Database
from service.store.models import ConsentEvent, Escalation, Message, PlannedMessage, Subscriber
from service.vocabulary import (
    Channel,
    MessageStatus,
    PlanStatus,
    Recipient,
    SendFailure,
    Stage,
    Status,
    Track,
)
from service.words.texts import Texts
from tests.support.reminder_helpers import (
    RecordingSender,
    add_subscriber,
    next_due,
    planned_rows,
    scheduler_settings,
)

MONDAY = dt.date(2027, 3, 1)
MONDAY_MORNING = dt.datetime(2027, 3, 1, 9)  # 04:00 in New York
MONDAY_EVENING = dt.datetime(2027, 3, 1, 22, 59)  # 17:59 in New York


def plan_and_send(database: Database, sender: RecordingSender, **overrides: object) -> None:
    """Plan Monday, then send at the planned time (or at the window's end if none is due)."""
    settings = scheduler_settings(database, **overrides)
    plan_job(database, settings, MONDAY_MORNING)
    moment = next_due(database, MONDAY_EVENING) or MONDAY_EVENING
    send_job(database, settings, Texts.from_settings(settings), sender, moment)


def add_planned_rows(database: Database, count: int, send_at: dt.datetime) -> list[int]:
    """`count` subscribers with one due text each; returns the subscriber ids."""
    ids = []
    with database.Session.begin() as session:
        for number in range(count):
            subscriber = Subscriber(
                phone=f"+1212555{number:04d}",
                status=Status.ACTIVE,
                stage=Stage.PREGNANT,
                due_date=dt.date(2027, 5, 1),
            )
            session.add(subscriber)
            session.flush()
            ids.append(subscriber.id)
            session.add(
                PlannedMessage(
                    subscriber_id=subscriber.id,
                    item_key="pregnant.calcium",
                    local_date=send_at.date(),
                    send_at=send_at,
                    window_end=send_at + dt.timedelta(hours=4),
                    message_id="reminder.calcium.amount",
                )
            )
    return ids


def test_planning_twice_plans_each_message_once(database: Database) -> None:
    add_subscriber(database, "+12125550101")
    settings = scheduler_settings(database)
    first = plan_job(database, settings, MONDAY_MORNING)
    second = plan_job(database, settings, MONDAY_MORNING + dt.timedelta(hours=1))
    # Even a forced re-plan of the same day adds nothing: the unique key holds.
    forced = plan(database, SendWindows.from_settings(settings), MONDAY_MORNING)
    assert (first.planned, second.planned) == (1, 0)
    assert forced.planned == 0 or len(planned_rows(database)) == 1
    assert len(planned_rows(database)) == 1


def test_a_planned_text_goes_out_once_with_its_sid_logged(database: Database) -> None:
    add_subscriber(database, "+12125550101")
    sender = RecordingSender()
    plan_and_send(database, sender)
    plan_and_send(database, sender)
    (row,) = planned_rows(database)
    assert row.status is PlanStatus.SENT and row.attempts == 1
    assert list(sender.texts) == [row.twilio_sid]
    with database.Session() as session:
        logged = session.scalars(sa.select(Message)).one()
    assert (logged.twilio_sid, logged.status, logged.message_id) == (
        row.twilio_sid,
        MessageStatus.SUBMITTED,
        row.message_id,
    )


def test_a_message_more_than_the_allowed_hours_late_is_skipped_not_sent(
    database: Database,
) -> None:
    add_planned_rows(database, 3, dt.datetime(2027, 3, 1, 10))
    settings = scheduler_settings(database, MAX_LATENESS_HOURS=2)
    sender = RecordingSender()
    report = SendJob(database, settings, Texts.from_settings(settings), sender).run(
        dt.datetime(2027, 3, 1, 12, 30)
    )
    assert report.skipped == 3 and sender.texts == {}
    assert {row.status for row in planned_rows(database)} == {PlanStatus.SKIPPED}


def test_nothing_is_sent_after_the_window_closes_even_if_not_yet_late(database: Database) -> None:
    add_planned_rows(database, 1, dt.datetime(2027, 3, 1, 10))
    settings = scheduler_settings(database, MAX_LATENESS_HOURS=12)
    sender = RecordingSender()
    SendJob(database, settings, Texts.from_settings(settings), sender).run(
        dt.datetime(2027, 3, 1, 14, 1)
    )
    assert sender.texts == {}


def test_a_stopped_person_gets_nothing_already_planned(database: Database) -> None:
    add_subscriber(database, "+12125550101")
    settings = scheduler_settings(database)
    plan_job(database, settings, MONDAY_MORNING)
    texts = Texts.from_settings(settings)
    receive_text(database.Session, InboundText("+12125550101", "STOP"), texts, MONDAY_MORNING)
    sender = RecordingSender()
    send_job(database, settings, texts, sender, MONDAY_EVENING)
    assert sender.texts == {}
    assert [row.status for row in planned_rows(database)] == [PlanStatus.CANCELLED]


def test_rows_left_sending_by_a_crash_become_unknown_and_are_never_resent(
    database: Database,
) -> None:
    add_planned_rows(database, 5, dt.datetime(2027, 3, 1, 15))
    settings = scheduler_settings(database)
    job = SendJob(database, settings, Texts.from_settings(settings), RecordingSender())
    from scheduler.sending import SendReport

    # The process claims a batch, starts every request, then dies before any returns.
    claimed_at = dt.datetime(2027, 3, 1, 15, 1)
    claimed = job.claim(claimed_at, SendReport())
    assert len(claimed) == 5
    assert all(job._start_sending(row, claimed_at) for row in claimed)
    sender = RecordingSender()
    later = dt.datetime(2027, 3, 1, 15, 30)
    assert housekeeping_job(database, settings, later) == 5
    send_job(database, settings, Texts.from_settings(settings), sender, later)
    assert sender.texts == {}
    assert {row.status for row in planned_rows(database)} == {PlanStatus.UNKNOWN}


def test_claims_a_crash_left_before_any_request_are_sent_once_later(database: Database) -> None:
    add_planned_rows(database, 5, dt.datetime(2027, 3, 1, 15))
    settings = scheduler_settings(database)
    crashed = SendJob(database, settings, Texts.from_settings(settings), RecordingSender())
    from scheduler.sending import SendReport

    # The process claims a batch and dies before handing any of it to Twilio.
    claimed = crashed.claim(dt.datetime(2027, 3, 1, 15, 1), SendReport())
    assert {row.status for row in planned_rows(database)} == {PlanStatus.CLAIMED}
    sender = RecordingSender()
    later = dt.datetime(2027, 3, 1, 15, 30)
    assert housekeeping_job(database, settings, later) == 0
    send_job(database, settings, Texts.from_settings(settings), sender, later)
    assert len(sender.texts) == 5
    assert {row.status for row in planned_rows(database)} == {PlanStatus.SENT}
    # The crashed pass, were it only slow, can no longer send what it lost.
    assert not any(crashed._start_sending(row, later) for row in claimed)


def test_a_fresh_claim_is_not_mistaken_for_a_crash(database: Database) -> None:
    add_planned_rows(database, 1, dt.datetime(2027, 3, 1, 15))
    settings = scheduler_settings(database)
    job = SendJob(database, settings, Texts.from_settings(settings), RecordingSender())
    from scheduler.sending import SendReport

    job.claim(dt.datetime(2027, 3, 1, 15, 1), SendReport())
    assert housekeeping_job(database, settings, dt.datetime(2027, 3, 1, 15, 5)) == 0


def test_two_send_passes_at_once_never_send_the_same_message_twice(database: Database) -> None:
    count = 300
    add_planned_rows(database, count, dt.datetime(2027, 3, 1, 15))
    settings = scheduler_settings(database, SEND_BATCH_SIZE=20, SEND_CONCURRENCY=4)
    sender = RecordingSender(delay=0.002)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def one_process() -> None:
        # A separate engine and pool per "process", as on two machines.
        own = Database(database.url)
        try:
            barrier.wait()
            SendJob(own, settings, Texts.from_settings(settings), sender).run(
                dt.datetime(2027, 3, 1, 15, 1)
            )
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            own.dispose()

    workers = [threading.Thread(target=one_process) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    recipients = [to for to, _ in sender.texts.values()]
    assert len(recipients) == count == len(set(recipients))
    assert {row.status for row in planned_rows(database)} == {PlanStatus.SENT}


def test_an_unknown_outcome_is_recorded_and_not_retried(database: Database) -> None:
    add_planned_rows(database, 1, dt.datetime(2027, 3, 1, 15))
    settings = scheduler_settings(database)
    sender = RecordingSender()
    sender.errors.append(SendError(SendFailure.UNKNOWN))
    send_job(database, settings, Texts.from_settings(settings), sender, dt.datetime(2027, 3, 1, 15))
    send_job(database, settings, Texts.from_settings(settings), sender, dt.datetime(2027, 3, 1, 16))
    assert sender.texts == {}
    assert [row.status for row in planned_rows(database)] == [PlanStatus.UNKNOWN]


def test_carrier_opt_out_stops_the_person_and_logs_consent(database: Database) -> None:
    (person,) = add_planned_rows(database, 1, dt.datetime(2027, 3, 1, 15))
    settings = scheduler_settings(database)
    sender = RecordingSender()
    sender.errors.append(SendError(SendFailure.OPTED_OUT, 21610, 400))
    send_job(database, settings, Texts.from_settings(settings), sender, dt.datetime(2027, 3, 1, 15))
    with database.Session() as session:
        subscriber = session.get(Subscriber, person)
        assert subscriber is not None and subscriber.status is Status.STOPPED
        consent = session.scalars(sa.select(ConsentEvent)).one()
    assert (consent.channel, consent.action.value) == ("carrier", "opt_out")
    assert [(row.status, row.error_code) for row in planned_rows(database)] == [
        (PlanStatus.FAILED, 21610)
    ]


def test_an_invalid_number_is_flagged_and_never_texted_again(database: Database) -> None:
    (person,) = add_planned_rows(database, 1, dt.datetime(2027, 3, 1, 15))
    settings = scheduler_settings(database)
    sender = RecordingSender()
    sender.errors.append(SendError(SendFailure.INVALID_NUMBER, 21614, 400))
    texts = Texts.from_settings(settings)
    send_job(database, settings, texts, sender, dt.datetime(2027, 3, 1, 15))
    with database.Session.begin() as session:
        subscriber = session.get(Subscriber, person)
        assert subscriber is not None and subscriber.number_invalid_code == 21614
        session.add(
            PlannedMessage(
                subscriber_id=person,
                item_key="pregnant.activity",
                local_date=dt.date(2027, 3, 3),
                send_at=dt.datetime(2027, 3, 3, 15),
                window_end=dt.datetime(2027, 3, 3, 23),
                message_id="reminder.activity.walk",
            )
        )
    send_job(database, settings, texts, sender, dt.datetime(2027, 3, 3, 15))
    assert sender.texts == {}
    assert planned_rows(database)[-1].status is PlanStatus.CANCELLED
    assert plan_job(database, settings, dt.datetime(2027, 3, 5, 9)).planned == 0


def test_call_channel_people_get_a_call_to_the_reminder_url(database: Database) -> None:
    add_subscriber(database, "+13125550102", "America/Chicago", "es", channel=Channel.VOICE)
    sender = RecordingSender()
    settings = scheduler_settings(database)
    plan_job(database, settings, MONDAY_MORNING)
    moment = next_due(database, dt.datetime(2027, 3, 2, 6))
    send_job(database, settings, Texts.from_settings(settings), sender, moment)
    assert sender.texts == {}
    ((to, url),) = sender.calls.values()
    assert to == "+13125550102"
    assert url.startswith("https://boneline.example.org/voice/reminder?message=reminder.calcium.")
    assert url.endswith("&lang=es")


def test_an_escalation_alerts_the_care_team_within_a_minute_without_the_full_number(
    database: Database,
) -> None:
    person = add_subscriber(database, "+12125550101")
    settings = scheduler_settings(database, CARE_TEAM_PHONE="+16175550199")
    texts = Texts.from_settings(settings)
    sunday_night = dt.datetime(2027, 3, 7, 3)  # outside every send window
    with database.Session.begin() as session:
        session.add(
            Escalation(
                subscriber_id=person,
                phone="+12125550101",
                source="text",
                reason="back_pain",
                detail="1",
                created_at=sunday_night,
            )
        )
    sender = RecordingSender()
    send_job(database, settings, texts, sender, sunday_night + dt.timedelta(seconds=30))
    send_job(database, settings, texts, sender, sunday_night + dt.timedelta(minutes=1))
    ((to, body),) = sender.texts.values()
    assert to == "+16175550199"
    assert "0101" in body and "2125550101" not in body and "checkin" not in body
    (alert,) = planned_rows(database)
    assert alert.recipient is Recipient.CARE_TEAM and alert.status is PlanStatus.SENT


def test_a_red_flag_from_a_number_that_never_joined_still_alerts_the_care_team(
    database: Database,
) -> None:
    settings = scheduler_settings(database, CARE_TEAM_PHONE="+16175550199")
    texts = Texts.from_settings(settings)
    (reply,) = receive_text(
        database.Session, InboundText("+12125550177", "my back hurts so bad"), texts, MONDAY_MORNING
    )
    assert "911" in reply
    sender = RecordingSender()
    send_job(database, settings, texts, sender, MONDAY_MORNING + dt.timedelta(seconds=30))
    ((to, body),) = sender.texts.values()
    assert to == "+16175550199" and "0177" in body and "2125550177" not in body


def test_delete_right_after_a_red_flag_does_not_cancel_the_care_team_alert(
    database: Database,
) -> None:
    settings = scheduler_settings(database, CARE_TEAM_PHONE="+16175550199")
    texts = Texts.from_settings(settings)
    phone = "+12125550101"
    add_subscriber(database, phone)
    receive_text(database.Session, InboundText(phone, "I fell down"), texts, MONDAY_MORNING)
    assert queue_care_team_alerts(database, MONDAY_MORNING) == 1
    receive_text(database.Session, InboundText(phone, "DELETE"), texts, MONDAY_MORNING)
    sender = RecordingSender()
    send_job(database, settings, texts, sender, MONDAY_MORNING + dt.timedelta(seconds=30))
    ((to, body),) = sender.texts.values()
    assert to == "+16175550199"
    assert "erase their number" in body and "0101" not in body
    (alert,) = planned_rows(database)
    assert (alert.recipient, alert.status) == (Recipient.CARE_TEAM, PlanStatus.SENT)


def test_no_care_team_phone_means_no_alert_rows(database: Database) -> None:
    person = add_subscriber(database, "+12125550101")
    with database.Session.begin() as session:
        session.add(
            Escalation(subscriber_id=person, phone="+12125550101", source="text", reason="x")
        )
    settings = scheduler_settings(database)
    send_job(database, settings, Texts.from_settings(settings), RecordingSender())
    assert planned_rows(database) == []


def test_a_yes_after_a_check_in_gets_the_safety_reply_and_an_escalation(
    database: Database,
) -> None:
    add_subscriber(
        database,
        "+12125550101",
        stage=Stage.POSTPARTUM,
        due_date=None,
        birth_date=MONDAY - dt.timedelta(weeks=1),
    )
    sender = RecordingSender()
    plan_and_send(database, sender)
    (row,) = planned_rows(database)
    assert row.item_key == "checkin.week1"
    settings = scheduler_settings(database)
    texts = Texts.from_settings(settings)
    later = MONDAY_EVENING + dt.timedelta(hours=1)
    (reply,) = receive_text(database.Session, InboundText("+12125550101", "1"), texts, later)
    assert "911" in reply
    with database.Session() as session:
        escalation = session.scalars(sa.select(Escalation)).one()
    assert escalation.reason == "back_pain"
    # A second "1" is no longer read as a check-in answer.
    (again,) = receive_text(database.Session, InboundText("+12125550101", "1"), texts, later)
    assert "911" not in again


def test_a_no_after_a_check_in_gets_encouragement_and_no_escalation(database: Database) -> None:
    add_subscriber(
        database,
        "+12125550101",
        language="es",
        stage=Stage.POSTPARTUM,
        due_date=None,
        birth_date=MONDAY - dt.timedelta(weeks=1),
    )
    plan_and_send(database, RecordingSender())
    texts = Texts.from_settings(scheduler_settings(database))
    later = MONDAY_EVENING + dt.timedelta(hours=1)
    (reply,) = receive_text(database.Session, InboundText("+12125550101", "No"), texts, later)
    assert reply == texts.sms("checkin_reply.no_pain", "es")
    with database.Session() as session:
        assert session.scalars(sa.select(Escalation)).all() == []


def test_a_zip_in_another_zone_than_the_area_code_narrows_the_window() -> None:
    # A Los Angeles area code with a New York ZIP: both windows must hold.
    assert window_zones("America/New_York", "+13105550103", "10001") == (
        "America/New_York",
        "America/Los_Angeles",
    )
    assert window_zones("America/New_York", "+12125550101", "10001") == ("America/New_York",)
    assert window_zones("America/Chicago", "+13125550102", None) == ("America/Chicago",)


def test_two_scheduler_processes_against_one_database_never_double_send(
    database: Database, tmp_path: Path
) -> None:
    if not database.is_postgresql:
        pytest.skip("several scheduler processes need PostgreSQL (SQLite has one writer)")
    count = 400
    add_planned_rows(database, count, dt.datetime(2027, 3, 1, 15))
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "SEND_BATCH_SIZE": "10",
        "SEND_RATE_PER_SECOND": "1000",
        "TWILIO_AUTH_TOKEN": "",
        "TWILIO_ACCOUNT_SID": "",
    }
    command = [sys.executable, "-m", "service.tools.cli", "tick", "--now", "2027-03-01T15:01:00"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0].decode() for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    sent = [
        line.split(":")[0]
        for output in outputs
        for line in output.splitlines()
        if line.startswith("would send to")
    ]
    assert len(sent) == count == len(set(sent))
    assert {row.status for row in planned_rows(database)} == {PlanStatus.SENT}


def test_a_subscriber_with_an_unknown_time_zone_is_left_out_not_fatal(database: Database) -> None:
    add_subscriber(database, "+12125550101")
    add_subscriber(database, "+12125550102", time_zone="Mars/Olympus_Mons")
    report = plan_job(database, scheduler_settings(database), MONDAY_MORNING)
    assert report.planned == 1


def queue_phone_text(database: Database, subscriber_id: int | None, created_at: dt.datetime) -> int:
    """A text the phone line queued for a caller (status queued, no SID yet)."""
    with database.Session.begin() as session:
        message = Message(
            subscriber_id=subscriber_id,
            phone="+12125550101",
            direction="outbound",
            channel=Channel.SMS,
            body="Calcium is in milk.",
            message_id="phone_text.calcium",
            status=MessageStatus.WAITING,
            created_at=created_at,
        )
        session.add(message)
        session.flush()
        return message.id


def logged_message(database: Database, message_id: int) -> Message:
    """One message log row."""
    with database.Session() as session:
        found = session.get(Message, message_id)
        assert found is not None
        return found


def test_a_text_a_caller_asked_for_is_sent_once_any_time_of_day(database: Database) -> None:
    person = add_subscriber(database, "+12125550101")
    sunday_night = dt.datetime(2027, 3, 7, 3)
    queued = queue_phone_text(database, person, sunday_night)
    settings = scheduler_settings(database)
    sender = RecordingSender()
    send_job(database, settings, Texts.from_settings(settings), sender, sunday_night)
    send_job(database, settings, Texts.from_settings(settings), sender, sunday_night)
    assert list(sender.texts.values()) == [("+12125550101", "Calcium is in milk.")]
    message = logged_message(database, queued)
    assert (message.status, message.twilio_sid) == (
        MessageStatus.SUBMITTED,
        next(iter(sender.texts)),
    )


def test_a_queued_text_for_someone_who_stopped_or_from_yesterday_is_not_sent(
    database: Database,
) -> None:
    person = add_subscriber(database, "+12125550101")
    now = dt.datetime(2027, 3, 2, 15)
    old = queue_phone_text(database, person, now - dt.timedelta(days=2))
    with database.Session.begin() as session:
        subscriber = session.get(Subscriber, person)
        assert subscriber is not None
        subscriber.status = Status.STOPPED
    fresh = queue_phone_text(database, person, now)
    sender = RecordingSender()
    settings = scheduler_settings(database)
    send_job(database, settings, Texts.from_settings(settings), sender, now)
    assert sender.texts == {}
    assert logged_message(database, old).status == "skipped"
    assert logged_message(database, fresh).status == "cancelled"


def test_a_queued_text_left_claimed_by_a_crash_becomes_unknown(database: Database) -> None:
    queued = queue_phone_text(database, None, dt.datetime(2027, 3, 2, 15))
    from scheduler.sending import claim_outbox

    assert len(claim_outbox(database, dt.datetime(2027, 3, 2, 15)).texts) == 1
    settings = scheduler_settings(database)
    assert housekeeping_job(database, settings, dt.datetime(2027, 3, 2, 16)) == 1
    assert logged_message(database, queued).status == "unknown"


def test_an_alert_left_sending_by_a_crash_is_sent_again_not_left_unknown(
    database: Database,
) -> None:
    settings = scheduler_settings(database, CARE_TEAM_PHONE="+16175550199")
    texts = Texts.from_settings(settings)
    receive_text(
        database.Session, InboundText("+12125550177", "I fell down"), texts, MONDAY_MORNING
    )
    crashed = SendJob(database, settings, texts, RecordingSender())
    from scheduler.sending import SendReport, queue_care_team_alerts

    queue_care_team_alerts(database, MONDAY_MORNING)
    (alert,) = crashed.claim(MONDAY_MORNING, SendReport())
    assert crashed._start_sending(alert, MONDAY_MORNING)  # then the process dies mid-request
    later = MONDAY_MORNING + dt.timedelta(minutes=15)
    assert housekeeping_job(database, settings, later) == 0  # nothing made unknown
    sender = RecordingSender()
    send_job(database, settings, texts, sender, later)
    ((to, _body),) = sender.texts.values()
    assert to == "+16175550199"
    assert planned_rows(database)[0].status is PlanStatus.SENT


def test_a_baby_tip_planned_before_a_move_to_self_care_is_cancelled_not_sent(
    database: Database,
) -> None:
    person = add_subscriber(database, "+12125550101")
    settings = scheduler_settings(database)
    plan_job(database, settings, MONDAY_MORNING)
    with database.Session.begin() as session:
        row = session.get(Subscriber, person)
        assert row is not None
        row.track = Track.SELF_CARE
    sender = RecordingSender()
    send_job(database, settings, Texts.from_settings(settings), sender, MONDAY_EVENING)
    assert sender.texts == {}
    [planned] = planned_rows(database)
    assert (planned.item_key, planned.status) == ("pregnant.calcium", PlanStatus.CANCELLED)
    # The next slot day brings the self-care track's own tips.
    plan_job(database, settings, MONDAY_MORNING + dt.timedelta(days=2))
    assert planned_rows(database)[-1].item_key == "selfcare.activity"
