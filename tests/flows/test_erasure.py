"""DELETE / BORRAR: a person's data is erased, except the consent log the law asks us to keep."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from service.domain.clock import utcnow
from service.store import access_log, contacts, messages
from service.store.models import (
    AccessEntry,
    CareContact,
    ConsentEvent,
    Escalation,
    Message,
    Subscriber,
)
from service.vocabulary import ConsentAction, ContactKind
from tests.conftest import TwilioPost
from tests.support.care_helpers import add_escalation, add_staff
from tests.support.sms_helpers import PHONE, sms_form, text
from tests.web.test_sms import enroll

OTHER = "+13105550188"


def all_rows(app: Flask, model: type) -> list:  # type: ignore[type-arg]
    """Every row of a table, oldest first."""
    with app.extensions["boneline"].db.Session() as session:
        return list(session.scalars(sa.select(model).order_by(model.id)))


@pytest.mark.parametrize(
    ("word", "spanish", "confirmation"),
    [
        ("DELETE", False, "We deleted your BoneLine data"),
        ("delete my data", False, "We deleted your BoneLine data"),
        ("BORRAR", True, "Borramos sus datos de BoneLine"),
        ("Borrar mis datos", True, "Borramos sus datos de BoneLine"),
        ("DELETE", True, "Borramos sus datos de BoneLine"),
    ],
)
def test_delete_erases_the_person_and_confirms_once_in_their_language(
    app: Flask, twilio_post: TwilioPost, word: str, spanish: bool, confirmation: str
) -> None:
    enroll(twilio_post, spanish=spanish)
    text(twilio_post, "my back hurts so bad I cannot stand")
    text(twilio_post, "calcium", phone=OTHER)
    answer = text(twilio_post, word)
    assert len(answer) == 1 and confirmation in answer[0]
    assert [s.phone for s in all_rows(app, Subscriber)] == []
    # Only the DELETE itself and its confirmation are left of this number's texts.
    mine = [m for m in all_rows(app, Message) if m.phone == PHONE]
    assert [m.body for m in mine] == [word, answer[0]]
    assert all(m.subscriber_id is None for m in mine)
    assert any(m.phone == OTHER for m in all_rows(app, Message)), "others keep their texts"
    [escalation] = all_rows(app, Escalation)
    assert escalation.phone == "" and "back hurts" not in escalation.detail
    assert escalation.reason == "back_pain"
    events = all_rows(app, ConsentEvent)
    assert [e.action for e in events] == [ConsentAction.OPT_IN, ConsentAction.OPT_OUT]
    assert all(e.phone == PHONE for e in events)
    assert events[0].evidence in ("YES", "SI") and events[1].evidence == word
    assert events[1].disclosure_id == "erase.confirm"


def test_a_retried_delete_changes_nothing_the_second_time(
    app: Flask, twilio_post: TwilioPost
) -> None:
    enroll(twilio_post)
    form = sms_form("DELETE")
    first = twilio_post("/sms", form).get_data(as_text=True)
    again = twilio_post("/sms", form).get_data(as_text=True)
    assert first == again
    assert len([e for e in all_rows(app, ConsentEvent) if e.action == ConsentAction.OPT_OUT]) == 1


def test_after_delete_nothing_is_kept_to_send_and_join_starts_over(
    app: Flask, twilio_post: TwilioPost
) -> None:
    enroll(twilio_post)
    text(twilio_post, "DELETE")
    assert all_rows(app, Subscriber) == []
    assert "Reply 1 if pregnant" in text(twilio_post, "JOIN")[0]
    [person] = all_rows(app, Subscriber)
    assert (person.status, person.due_date) == ("enrolling", None)


def test_delete_from_a_stranger_leaves_only_an_opt_out(app: Flask, twilio_post: TwilioPost) -> None:
    assert "We deleted" in text(twilio_post, "DELETE")[0]
    assert all_rows(app, Subscriber) == []
    [event] = all_rows(app, ConsentEvent)
    assert event.action == ConsentAction.OPT_OUT and event.phone == PHONE


def test_delete_erases_texts_queued_by_phone_and_a_handled_escalations_note(
    app: Flask, twilio_post: TwilioPost
) -> None:
    enroll(twilio_post)
    text(twilio_post, "I fell down the stairs")
    with app.extensions["boneline"].db.Session.begin() as session:
        escalation = session.scalars(sa.select(Escalation)).one()
        escalation.handled_at = dt.datetime(2026, 11, 23, 23, 0)
        escalation.handled_by = "Nurse Ana"
        escalation.note = "Called Maria at home, she is fine"
        session.add(Message(phone=PHONE, direction="outbound", body="tip", status="queued"))
    text(twilio_post, "DELETE")
    [escalation] = all_rows(app, Escalation)
    assert "Maria" not in (escalation.note or "") and escalation.handled_by == "Nurse Ana"
    assert [m.status for m in all_rows(app, Message)] == ["received", "replied"]


def test_stop_still_works_after_delete(app: Flask, twilio_post: TwilioPost) -> None:
    enroll(twilio_post)
    text(twilio_post, "BORRAR")
    assert "no more messages" in text(twilio_post, "STOP")[0]
    assert all_rows(app, Subscriber)[0].status == "stopped"


def test_delete_removes_reminders_planned_for_the_person(
    app: Flask, twilio_post: TwilioPost
) -> None:
    from scheduler.planning import plan
    from service.domain.send_windows import SendWindows
    from service.store.models import PlannedMessage

    enroll(twilio_post)
    boneline = app.extensions["boneline"]
    monday = dt.datetime.combine(
        dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday()), dt.time(9)
    )
    plan(boneline.db, SendWindows.from_settings(boneline.settings), monday)
    assert len(all_rows(app, PlannedMessage)) == 1
    text(twilio_post, "DELETE")
    assert all_rows(app, PlannedMessage) == []


def test_delete_keeps_the_care_teams_record_of_reaching_them_without_number_or_words(
    app: Flask, twilio_post: TwilioPost
) -> None:
    database = app.extensions["boneline"].db
    escalation = add_escalation(database, phone=PHONE)
    nurse = add_staff(database, "Ana")
    with database.Session.begin() as session:
        row_id = messages.log_care_text(session, None, PHONE, "BoneLine care team: hi", utcnow())
        contacts.add(
            session,
            escalation_id=escalation,
            staff_id=nurse,
            kind=ContactKind.TEXT,
            now=utcnow(),
            message_row_id=row_id,
        )
        contacts.add(
            session, escalation_id=escalation, staff_id=nurse, kind=ContactKind.CALL, now=utcnow()
        )
        access_log.record(session, nurse, escalation, utcnow())
    text(twilio_post, "DELETE")
    assert [m for m in all_rows(app, Message) if m.message_id == "care.text"] == []
    made = all_rows(app, CareContact)
    assert [(c.kind, c.message_row_id) for c in made] == [
        (ContactKind.TEXT, None),
        (ContactKind.CALL, None),
    ]
    [entry] = all_rows(app, AccessEntry)
    assert entry.escalation_id == escalation  # who saw it and when stays; the number is gone
    [kept] = all_rows(app, Escalation)
    assert kept.phone == ""
