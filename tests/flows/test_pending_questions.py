"""Replies bound to the question asked, through signed webhooks, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from service.domain.clock import utcnow
from service.store import subscribers
from service.store.db import Database
from service.store.models import Escalation, Subscriber
from service.understanding import SAFETY_TABLE, ReadingKind, SafetyFamily, understand
from service.vocabulary import PendingQuestion, Stage
from service.words.catalog import Catalog
from service.words.segments import sms_form
from tests.conftest import TwilioPost
from tests.support.reminder_helpers import add_subscriber
from tests.support.sms_helpers import PHONE, text


def checked_in(database: Database, language: str, days_ago: float) -> None:
    """An active subscriber whose back-pain check-in went out `days_ago` days ago."""
    person = add_subscriber(database, PHONE, language=language)
    with database.engine.begin() as connection:
        sent = utcnow() - dt.timedelta(days=days_ago)
        subscribers.note_checkin_sent(connection, person, sent)


def escalations(database: Database) -> list[Escalation]:
    """Every escalation recorded."""
    with database.Session() as session:
        return list(session.scalars(sa.select(Escalation)))


def pending(database: Database) -> tuple[PendingQuestion | None, str | None]:
    """The question the subscriber has waiting, and its options."""
    with database.Session() as session:
        person = session.scalars(sa.select(Subscriber)).one()
        return person.pending_question, person.pending_options


@pytest.mark.parametrize(("language", "menu"), [("en", "MENU"), ("es", "TEMAS")])
def test_menu_then_one_after_a_check_in_is_calcium_and_no_alert(
    twilio_post: TwilioPost, database: Database, catalog: Catalog, language: str, menu: str
) -> None:
    checked_in(database, language, days_ago=1)
    assert text(twilio_post, menu) == [sms_form(catalog.text("menu.list", language))]
    (calcium,) = text(twilio_post, "1")
    assert calcium == sms_form(catalog.text("topic.calcium", language))
    assert escalations(database) == []
    assert pending(database) == (None, None)


@pytest.mark.parametrize(("language", "yes"), [("en", "YES"), ("es", "Sí")])
def test_yes_five_days_after_a_check_in_still_counts(
    twilio_post: TwilioPost, database: Database, language: str, yes: str
) -> None:
    checked_in(database, language, days_ago=5)
    (reply,) = text(twilio_post, yes)
    assert "911" in reply
    (escalation,) = escalations(database)
    assert (escalation.reason, escalation.urgency, escalation.language) == (
        "back_pain",
        SAFETY_TABLE[SafetyFamily.BACK_PAIN].urgency,
        language,
    )
    assert pending(database) == (None, None)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_thumbs_up_answers_a_check_in_and_a_thumbs_down_says_no(
    twilio_post: TwilioPost, database: Database, catalog: Catalog, language: str
) -> None:
    checked_in(database, language, days_ago=2)
    assert text(twilio_post, "👎") == [sms_form(catalog.text("checkin_reply.no_pain", language))]
    assert escalations(database) == []
    with database.engine.begin() as connection:
        person = connection.scalar(sa.select(Subscriber.id))
        subscribers.note_checkin_sent(connection, person, utcnow())
    (reply,) = text(twilio_post, "👍")
    assert "911" in reply and len(escalations(database)) == 1


# Messages the model may read as either of two topics; the test uses the first it is unsure of.
UNSURE = {
    "en": ["calcium vitamin", "supplements", "what about pills for my bones", "vitamins"],
    "es": ["calcio vitamina", "suplementos", "pastillas para los huesos", "vitaminas"],
}


def unsure_message(language: str) -> tuple[str, str]:
    """A message the model is unsure about, and the second topic it offers."""
    for body in UNSURE[language]:
        reading = understand(body, stage=Stage.PREGNANT, language=language)
        if reading.kind is ReadingKind.UNSURE_TOPIC and (reading.runner_up or "").startswith(
            "topic."
        ):
            return body, (reading.runner_up or "").removeprefix("topic.")
    raise AssertionError(f"no {language} message reads as two possible topics")


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_unsure_topic_then_two_answers_with_the_second_topic(
    twilio_post: TwilioPost, database: Database, catalog: Catalog, language: str
) -> None:
    checked_in(database, language, days_ago=1)
    body, second = unsure_message(language)
    (which,) = text(twilio_post, body)
    assert "1)" in which and "2)" in which
    question, options = pending(database)
    assert question is PendingQuestion.WHICH_TOPIC and options and options.endswith(second)
    assert text(twilio_post, "2") == [sms_form(catalog.text(f"topic.{second}", language))]
    assert escalations(database) == []
