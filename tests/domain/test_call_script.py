"""Reminder and check-in calls we place, as pure decisions: (call, answer) -> plan."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from service.domain import call_script, phone_menu
from service.domain.call_plan import (
    AnswerCheckin,
    Escalate,
    OptOut,
    ReportBirth,
    RetryCall,
    SetFeeding,
)
from service.domain.call_script import ReminderCall, UnknownMessageError, greet, respond
from service.domain.life import LifeStep
from service.domain.schedule import CHECK_IN_TEXTS, POOLS
from service.understanding import SAFETY_TABLE, SafetyFamily
from service.words.catalog import Catalog

BACK_PAIN = SAFETY_TABLE[SafetyFamily.BACK_PAIN]

WORDS = {
    "en": {"voice_yes": ("YES",), "voice_no": ("NO",), "voice_stop": ("STOP",)},
    "es": {"voice_yes": ("SI",), "voice_no": ("NO",), "voice_stop": ("PARAR",)},
}
SERVICE = Path(__file__).resolve().parents[2] / "service" / "domain"
RETRY = dt.timedelta(hours=2)


def has_no_voice_versions(message_id: str) -> bool:
    """A catalog without the voice version of the called message (one planned before an
    update that renamed it)."""
    return message_id.startswith(("voice.reminder.calcium.amount", "voice.checkin.back_pain"))


def test_the_call_url_names_the_message_and_language() -> None:
    call = ReminderCall.from_query({"message": "checkin.week6", "lang": "es"})
    assert (call.message_id, call.language, call.is_checkin) == ("checkin.week6", "es", True)
    assert ReminderCall.from_query({"message": "reminder.calcium.1", "lang": "fr"}).language == "en"
    for bad in ("", "help.reply", "reminder.", "checkin.week6/../x", "voice.goodbye"):
        with pytest.raises(UnknownMessageError):
            ReminderCall.from_query({"message": bad, "lang": "en"})


def test_a_message_the_catalog_no_longer_has_is_said_as_a_known_one_of_its_kind() -> None:
    reminder = greet(
        ReminderCall("reminder.calcium.1", "en"), "human", has_no_voice_versions, RETRY
    )
    checkin = greet(ReminderCall("checkin.week6", "en"), "", has_no_voice_versions, RETRY)
    assert reminder.ask is not None and checkin.ask is not None
    assert [line.message_id for line in reminder.ask.lines[:2]] == [
        "voice.reminder.hello",
        "voice.reminder.calcium.amount",
    ]
    assert [line.message_id for line in checkin.ask.lines] == [
        "voice.checkin.hello",
        "voice.checkin.back_pain",
        "voice.checkin.question",
    ]


def test_a_reminder_call_says_who_calls_then_the_reminders_own_voice_text() -> None:
    plan = greet(ReminderCall("reminder.calcium.greens", "es"), "human", lambda _: True, RETRY)
    assert plan.ask is not None
    assert [line.message_id for line in plan.ask.lines] == [
        "voice.reminder.hello",
        "voice.reminder.calcium.greens",
        "voice.reminder.options",
    ]
    assert {line.language for line in plan.ask.lines} == {"es"}


@pytest.mark.parametrize("answered_by", sorted(call_script.VOICEMAIL_ANSWERS))
def test_a_machine_gets_the_voicemail_and_a_check_in_is_tried_again_later(
    answered_by: str,
) -> None:
    checkin = greet(ReminderCall("checkin.week6", "en"), answered_by, lambda _: True, RETRY)
    assert checkin.hangs_up and [line.message_id for line in checkin.say] == ["voice.voicemail"]
    assert checkin.effects == (RetryCall(RETRY),)
    reminder = greet(ReminderCall("reminder.walk", "en"), answered_by, lambda _: True, RETRY)
    assert reminder.hangs_up and reminder.effects == ()


@pytest.mark.parametrize(("digits", "speech"), [("9", ""), ("", "Stop calling me"), ("", "")])
def test_nine_or_stop_ends_every_call_with_an_opt_out(digits: str, speech: str) -> None:
    call = ReminderCall("reminder.calcium.1", "en", tries=2 if not (digits or speech) else 0)
    plan = respond(call, digits, speech, WORDS, has_no_voice_versions)
    assert plan.hangs_up
    if digits or speech:
        assert plan.effects == (
            OptOut("en", "voice.stop.done", "keypress 9 on reminder.calcium.1"),
        )
    else:
        assert not plan.effects


def test_yes_to_back_pain_is_escalated_and_no_is_not_and_both_answers_are_logged() -> None:
    call = ReminderCall("checkin.week6", "es")
    yes = respond(call, "", "Sí", WORDS, has_no_voice_versions)
    assert yes.effects == (
        Escalate(BACK_PAIN, "checkin.week6: answered yes", "es"),
        AnswerCheckin("checkin_reply.pain"),
    )
    assert yes.say[0].message_id == "voice.safety.back_pain"
    no = respond(call, "2", "", WORDS, has_no_voice_versions)
    assert no.effects == (AnswerCheckin("checkin_reply.no_pain"),)
    assert no.say[0].message_id == "voice.checkin.no_pain"


def test_one_repeats_a_reminder_but_answers_yes_on_a_check_in() -> None:
    reminder = respond(ReminderCall("reminder.x", "en"), "1", "", WORDS, has_no_voice_versions)
    assert reminder.ask is not None
    assert reminder.ask.lines[1].message_id == "voice.reminder.calcium.amount"
    checkin = respond(ReminderCall("checkin.x", "en"), "1", "", WORDS, has_no_voice_versions)
    assert checkin.hangs_up


def test_every_voice_and_phone_text_in_the_catalog_is_used_and_every_used_one_exists(
    catalog: Catalog,
) -> None:
    files = ("phone_menu.py", "call_script.py", "bridge.py")
    source = "".join((SERVICE / name).read_text() for name in files)
    used = set(re.findall(r'"((?:voice|phone_text)\.[a-z_.]+[a-z])"', source))
    for node in phone_menu.NODES.values():
        used |= {node.prompt, node.simple, node.text_id} | ({node.lead} if node.lead else set())
    # Each reminder's and check-in's own voice text is said by its id (`voice.<id>`).
    used |= {f"voice.{i}" for i in catalog.ids("en") if i.startswith(("reminder.", "checkin."))}
    # What the `life` job sends by call: the voice version of each step's message.
    used |= {f"voice.{step.value}" for step in LifeStep}
    # The triage table's spoken replies (the phone line says them for what a caller says).
    used |= {rule.voice_id for rule in SAFETY_TABLE.values()}
    used = {i for i in used if i.startswith(("voice.", "phone_text."))}
    shipped = {i for i in catalog.ids("en") if i.startswith(("voice.", "phone_text."))}
    assert used - shipped == set()
    assert shipped - used == set()


def test_every_speech_intent_the_calls_listen_for_has_words_in_both_languages(
    catalog: Catalog,
) -> None:
    intents = {intent for _, intent in phone_menu.KEY_INTENTS}
    for keys in (
        call_script.REMINDER_KEYS,
        call_script.CHECKIN_KEYS,
        call_script.BIRTH_KEYS,
        call_script.BIRTH_CONFIRM_KEYS,
        call_script.FEEDING_KEYS,
    ):
        intents |= {intent for intent, _ in keys.options.values()}
    for language in ("en", "es"):
        assert intents <= set(catalog.keywords(language)), language


def test_every_scheduled_reminder_and_check_in_is_said_in_its_own_words(
    catalog: Catalog,
) -> None:
    scheduled = [*(mid for pool in POOLS for mid in pool.message_ids), *CHECK_IN_TEXTS]
    for language in ("en", "es"):
        has_text = catalog.ids(language).__contains__
        for message_id in scheduled:
            call = ReminderCall(message_id, language)
            assert call_script.spoken_message_id(call, has_text) == f"voice.{message_id}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_birth_told_on_the_birth_call_is_recorded_then_breastfeeding_is_asked(
    language: str,
) -> None:
    born = dt.date(2026, 11, 22)
    call = ReminderCall("life.ask_birth", language, step="confirm", date=born)
    plan = respond(call, "1", "", WORDS, lambda _: True, dt.date(2026, 11, 23))
    assert plan.effects == (ReportBirth(born, language),)
    assert plan.ask is not None and plan.ask.lines[-1].message_id == "voice.feed.ask"
    assert "step=feeding" in plan.ask.action and "date=" not in plan.ask.action


@pytest.mark.parametrize(
    ("language", "digits", "speech", "effects", "said"),
    [
        ("en", "1", "", (SetFeeding(True, "en"),), "voice.feed.yes"),
        ("es", "", "No", (SetFeeding(False, "es"),), "voice.feed.no"),
        ("es", "", "Si", (SetFeeding(True, "es"),), "voice.feed.yes"),
        ("en", "7", "", (), "voice.feed.skipped"),
        ("es", "", "", (), "voice.feed.skipped"),
    ],
)
def test_the_breastfeeding_question_by_phone_takes_one_or_two_and_anything_else_skips(
    language: str, digits: str, speech: str, effects: tuple[SetFeeding, ...], said: str
) -> None:
    call = ReminderCall.from_query(
        {"message": "life.ask_birth", "lang": language, "step": "feeding"}
    )
    plan = respond(call, digits, speech, WORDS, lambda _: True, dt.date(2026, 11, 23))
    assert plan.effects == effects and plan.ask is None
    assert [line.message_id for line in plan.say] == [said, "voice.reminder.goodbye"]
