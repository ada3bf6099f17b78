"""Loop protection through the real store and the signed webhook: an auto-responder is cut off,
a person never is; while replies are held, STOP, DELETE and red flags still work and every text
is logged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from service.domain.clock import utcnow
from service.domain.loop_guard import PAUSED_NOTICE, LoopRule
from service.flows import inbound_text
from service.flows.inbound_text import InboundText, receive_text
from service.store.db import Database
from service.store.models import ConsentEvent, Escalation, Message, Subscriber
from service.vocabulary import ConsentAction, Direction, MessageStatus, Status
from service.web import create_app
from tests.conftest import PUBLIC_BASE_URL, app_config, twilio_signature
from tests.support.sms_helpers import PHONE, new_message_sid, person_today, replies, sms_form

RULE = LoopRule()
START = dt.datetime(2026, 11, 23, 15, 0)
NOTICE_EN = "so BoneLine will not reply for a few minutes"
TEN_QUESTIONS = [
    "how much calcium do I need",
    "what about vitamin d?",
    "is my back pain normal",
    "can I exercise while pregnant",
    "is breast feeding bad for my bones",
    "are my medicines ok for my bones",
    "will my baby get enough calcium",
    "how do I get my bones back after birth",
    "what tests are there for my bones",
    "what is PAO",
]
AUTO_REPLY = "Thank you for the message! I am out of the office. The ticket number is {n}."


# Straight into the flow, at a given moment -----------------------------------------------------


def send(app: Flask, body: str, at: dt.datetime, phone: str = PHONE) -> list[str]:
    """One text into the flow at `at`, under the default rule; the replies."""
    boneline = app.extensions["boneline"]
    inbound = InboundText(phone, body, new_message_sid())
    return receive_text(boneline.db.Session, inbound, boneline.texts, at, RULE)


def seconds(n: float) -> dt.timedelta:
    """A timedelta of `n` seconds."""
    return dt.timedelta(seconds=n)


def count(app: Flask, model: type, *where: sa.ColumnElement[bool]) -> int:
    """How many rows match."""
    with app.extensions["boneline"].db.Session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


def outbound_ids(app: Flask) -> list[str | None]:
    """The catalog id of every text we sent, in order."""
    with app.extensions["boneline"].db.Session() as session:
        return list(
            session.scalars(
                sa.select(Message.message_id)
                .where(Message.direction == Direction.OUTBOUND)
                .order_by(Message.id)
            )
        )


def hold_with_auto_replies(app: Flask, start: dt.datetime = START) -> dt.datetime:
    """An auto-responder repeats itself until it is held; the moment of its last text."""
    at = start
    for n in range(RULE.most_repeats + 1):
        at = start + seconds(10 * n)
        send(app, AUTO_REPLY.format(n=n), at)
    return at


def test_the_same_auto_reply_is_answered_until_the_repeat_limit_then_every_text_is_logged(
    app: Flask,
) -> None:
    answers = [send(app, AUTO_REPLY.format(n=n), START + seconds(10 * n)) for n in range(20)]
    assert all(len(answer) == 1 for answer in answers[: RULE.most_repeats])
    assert len(answers[RULE.most_repeats]) == 1 and NOTICE_EN in answers[RULE.most_repeats][0]
    assert answers[RULE.most_repeats + 1 :] == [[]] * (20 - RULE.most_repeats - 1)
    assert count(app, Message, Message.direction == Direction.INBOUND) == 20
    assert count(app, Message, Message.status == MessageStatus.HELD) == 20 - RULE.most_repeats
    assert outbound_ids(app)[-1] == PAUSED_NOTICE
    assert outbound_ids(app).count(PAUSED_NOTICE) == 1


def test_replies_resume_once_the_number_has_been_quiet_for_the_pause(app: Flask) -> None:
    last = hold_with_auto_replies(app)
    assert send(app, "calcium", last + dt.timedelta(minutes=2)) == []
    resumed = send(app, "calcium", last + dt.timedelta(minutes=2) + RULE.pause)
    # A stranger's question: the answer, then one line on how to join.
    assert len(resumed) == 2 and "calcium" in resumed[0].lower() and "JOIN" in resumed[1]


def test_another_number_is_not_held(app: Flask) -> None:
    last = hold_with_auto_replies(app)
    assert send(app, "calcium", last + seconds(5), phone="+13105550188") != []


def test_a_repeated_red_flag_is_always_recorded_and_the_first_held_gets_safety_and_notice(
    app: Flask,
) -> None:
    flag = "I fell down the stairs and my back hurts so bad"
    answers = [send(app, flag, START + seconds(10 * n)) for n in range(RULE.most_repeats + 2)]
    assert all(len(answer) == 1 for answer in answers[: RULE.most_repeats])
    first_held = answers[RULE.most_repeats]
    assert len(first_held) == 2
    assert "call 911" in first_held[0] and NOTICE_EN in first_held[1]
    assert answers[-1] == []
    assert count(app, Escalation) == RULE.most_repeats + 2


def test_enrollment_does_not_move_on_while_held(app: Flask) -> None:
    send(app, "JOIN", START)
    last = hold_with_auto_replies(app, START + seconds(30))
    send(app, "1", last + seconds(10))
    with app.extensions["boneline"].db.Session() as session:
        person = session.scalars(sa.select(Subscriber)).one()
        assert person.enrollment_step == "stage"


def test_delete_while_held_erases_and_confirms(app: Flask) -> None:
    last = hold_with_auto_replies(app)
    answer = send(app, "DELETE", last + seconds(10))
    assert len(answer) == 1 and "deleted" in answer[0]
    # Only the DELETE and its confirmation stay in the log.
    assert count(app, Message) == 2


# Through the signed webhook, with a clock -------------------------------------------------------


@dataclass
class Clock:
    """The time the text webhook reads; tests move it."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def wait(self, span: float) -> None:
        """Let `span` seconds pass."""
        self.now += seconds(span)


@dataclass
class Webhook:
    """The app with loop protection as shipped, and the clock its text webhook reads."""

    app: Flask
    client: FlaskClient
    clock: Clock

    def text(self, body: str, phone: str = PHONE) -> list[str]:
        """Post one signed text now; the replies."""
        form = sms_form(body, phone)
        signature = twilio_signature(PUBLIC_BASE_URL + "/sms", form)
        response = self.client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
        return replies(response)


def shipped_loop_settings(**overrides: object) -> dict[str, object]:
    """The loop settings as shipped (app_config turns the quick-reply signal off)."""
    return {"LOOP_QUICK_REPLY_COUNT": RULE.quick_replies, **overrides}


@pytest.fixture
def webhook(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    """The app with the shipped loop settings and a clock that only moves when told."""
    app = create_app(app_config(database.url, **shipped_loop_settings()))
    clock = Clock(utcnow().replace(microsecond=0))
    monkeypatch.setattr(inbound_text, "utcnow", clock)
    yield Webhook(app, app.test_client(), clock)
    app.extensions["boneline"].db.dispose()


def enroll(webhook: Webhook) -> None:
    """Sign up as a person would, a few seconds between answers."""
    due = person_today() + dt.timedelta(days=90)
    for body in ["JOIN", "1", due.strftime("%B %d"), "1", "YES"]:
        assert webhook.text(body)
        webhook.clock.wait(8)


def test_ten_different_questions_in_two_minutes_are_all_answered(webhook: Webhook) -> None:
    enroll(webhook)
    answers = []
    for question in TEN_QUESTIONS:
        answers.append(webhook.text(question))
        webhook.clock.wait(12)
    assert all(len(answer) == 1 for answer in answers)
    assert not any(NOTICE_EN in answer[0] for answer in answers)
    assert count(webhook.app, Message, Message.status == MessageStatus.HELD) == 0


def test_menu_then_each_number_is_answered_every_time(webhook: Webhook) -> None:
    # The example, carried on through all twelve topics: 24 texts, MENU twelve times.
    answers = []
    for number in range(1, 13):
        for body in ("MENU", str(number)):
            answers.append(webhook.text(body))
            webhook.clock.wait(5)
    assert all(len(answer) == 1 and NOTICE_EN not in answer[0] for answer in answers)


def test_the_same_auto_reply_twenty_times_is_cut_off(webhook: Webhook) -> None:
    answers = []
    for n in range(20):
        answers.append(webhook.text(AUTO_REPLY.format(n=1000 + n)))
        webhook.clock.wait(10)
    answered = sum(1 for answer in answers if answer and NOTICE_EN not in answer[0])
    assert answered == RULE.most_repeats
    assert NOTICE_EN in answers[RULE.most_repeats][0]
    assert answers[-1] == []
    assert count(webhook.app, Message, Message.direction == Direction.INBOUND) == 20


def test_a_reply_bot_answering_each_of_our_texts_within_a_second_is_cut_off(
    webhook: Webhook,
) -> None:
    # An echo bot: it sends back whatever we sent, one second later, for as long as we answer.
    sent = webhook.text("Hello")
    bot_texts = 1
    while sent and bot_texts < 50:
        webhook.clock.wait(1)
        sent = webhook.text(sent[-1])
        bot_texts += 1
    assert sent == [] and bot_texts < 50
    ours = outbound_ids(webhook.app)
    # It answered our first reply, then RULE.quick_replies more; the one after that was held.
    assert len(ours) == RULE.quick_replies + 2 and ours[-1] == PAUSED_NOTICE


def test_stop_and_a_red_flag_inside_a_held_period_still_work(webhook: Webhook) -> None:
    enroll(webhook)
    for n in range(RULE.most_repeats + 1):
        webhook.text(AUTO_REPLY.format(n=n))
        webhook.clock.wait(10)
    assert webhook.text("hello?") == []
    assert webhook.text("I fell down the stairs") == []
    assert count(webhook.app, Escalation) == 1
    stop = webhook.text("STOP")
    assert len(stop) == 1 and "no more messages" in stop[0]
    with webhook.app.extensions["boneline"].db.Session() as session:
        assert session.scalars(sa.select(Subscriber.status)).one() is Status.STOPPED
    assert count(webhook.app, ConsentEvent, ConsentEvent.action == ConsentAction.OPT_OUT) == 1
    # One confirmation: a second STOP inside the pause is recorded, not answered again.
    assert webhook.text("STOP") == []
    assert count(webhook.app, ConsentEvent, ConsentEvent.action == ConsentAction.OPT_OUT) == 2


@dataclass(frozen=True)
class AutoResponder:
    """A machine on the other end: it answers each of our texts `answers_after` seconds later
    with its away message, and sends that message on its own every `every` seconds."""

    answers_after: float
    every: float

    def away_message(self, n: int) -> str:
        """Its canned text, with a ticket number that changes each time."""
        return AUTO_REPLY.format(n=4000 + n)


def replay_an_hour(webhook: Webhook, bot: AutoResponder) -> int:
    """Run the bot against the webhook for an hour of the clock; how many texts it sent."""
    end = webhook.clock.now + dt.timedelta(hours=1)
    own_turn = webhook.clock.now
    answer_at: dt.datetime | None = None
    sent = 0
    while True:
        due = min(own_turn, answer_at) if answer_at else own_turn
        if due >= end:
            return sent
        webhook.clock.now = due
        if due == own_turn:
            own_turn += seconds(bot.every)
        else:
            answer_at = None
        sent += 1
        if webhook.text(bot.away_message(sent)):
            answer_at = due + seconds(bot.answers_after)


@pytest.mark.parametrize(
    ("bot", "bound", "signal"),
    [
        # Fast: the quick-reply signal stops it after RULE.quick_replies + 1 answers.
        (AutoResponder(answers_after=1, every=20), RULE.quick_replies + 1, "quick_replies"),
        # Slower than a quick reply: its repeated away message stops it after the repeat limit.
        (AutoResponder(answers_after=5, every=45), RULE.most_repeats, "repeated_text"),
    ],
    ids=["answers-in-1s", "answers-in-5s"],
)
def test_an_hour_of_an_auto_responder_gets_a_bounded_number_of_texts(
    webhook: Webhook,
    bot: AutoResponder,
    bound: int,
    signal: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    texts_from_it = replay_an_hour(webhook, bot)
    ours = outbound_ids(webhook.app)
    # Answers until a signal fires, then one notice; it never stays quiet for a whole pause,
    # so the pause lasts the hour. Without the guard we would have answered every one.
    assert ours.count(PAUSED_NOTICE) == 1
    assert len(ours) == bound + 1
    assert texts_from_it > 3600 / bot.every
    assert f"pause, {signal}" in caplog.text


@pytest.mark.parametrize("limit", [2, 4])
def test_the_webhook_uses_the_configured_rate_limit(
    database: Database, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    app = create_app(app_config(database.url, **shipped_loop_settings(LOOP_LIMIT_MESSAGES=limit)))
    clock = Clock(utcnow().replace(microsecond=0))
    monkeypatch.setattr(inbound_text, "utcnow", clock)
    hook = Webhook(app, app.test_client(), clock)
    answers = []
    for question in TEN_QUESTIONS[: limit + 2]:
        answers.append(hook.text(question))
        clock.wait(10)
    assert [bool(answer) for answer in answers] == [True] * (limit + 1) + [False]
    assert NOTICE_EN in answers[limit][0]
    app.extensions["boneline"].db.dispose()


def test_the_notice_is_in_the_persons_language(app: Flask) -> None:
    send(app, "UNIRSE", START)
    for n in range(RULE.most_repeats + 1):
        answer = send(app, f"Gracias por su mensaje, número {n}", START + seconds(10 + 10 * n))
    assert answer and "no va a responder por unos minutos" in answer[0]
