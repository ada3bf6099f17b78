"""Reminder and check-in calls we place, as pure decisions: (call, answer) -> plan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.domain import call_script, phone_menu
from service.domain.call_plan import AnswerCheckin, Escalate, OptOut
from service.domain.call_script import ReminderCall, UnknownMessageError, greet, respond
from service.understanding import SAFETY_TABLE, SafetyFamily
from service.words.catalog import Catalog

BACK_PAIN = SAFETY_TABLE[SafetyFamily.BACK_PAIN]

WORDS = {
    "en": {"voice_yes": ("YES",), "voice_no": ("NO",), "voice_stop": ("STOP",)},
    "es": {"voice_yes": ("SI",), "voice_no": ("NO",), "voice_stop": ("PARAR",)},
}
SERVICE = Path(__file__).resolve().parents[2] / "service" / "domain"


def has_no_voice_versions(message_id: str) -> bool:
    """A catalog with only the generic voice texts."""
    return message_id in ("voice.reminder.generic", "voice.checkin.generic")


def test_the_call_url_names_the_message_and_language() -> None:
    call = ReminderCall.from_query({"message": "checkin.week6", "lang": "es"})
    assert (call.message_id, call.language, call.is_checkin) == ("checkin.week6", "es", True)
    assert ReminderCall.from_query({"message": "reminder.calcium.1", "lang": "fr"}).language == "en"
    for bad in ("", "help.reply", "reminder.", "checkin.week6/../x", "voice.goodbye"):
        with pytest.raises(UnknownMessageError):
            ReminderCall.from_query({"message": bad, "lang": "en"})


def test_a_message_without_a_voice_version_falls_back_to_the_generic_one() -> None:
    reminder = greet(ReminderCall("reminder.calcium.1", "en"), "human", has_no_voice_versions)
    checkin = greet(ReminderCall("checkin.week6", "en"), "", has_no_voice_versions)
    assert reminder.ask is not None and checkin.ask is not None
    assert reminder.ask.lines[0].message_id == "voice.reminder.generic"
    assert checkin.ask.lines[0].message_id == "voice.checkin.generic"


def test_a_voice_version_of_the_message_is_preferred() -> None:
    plan = greet(ReminderCall("reminder.calcium.1", "en"), "human", lambda _: True)
    assert plan.ask is not None and plan.ask.lines[0].message_id == "voice.reminder.calcium.1"


@pytest.mark.parametrize("answered_by", sorted(call_script.VOICEMAIL_ANSWERS))
def test_a_machine_gets_the_voicemail_and_the_call_ends(answered_by: str) -> None:
    plan = greet(ReminderCall("checkin.week6", "en"), answered_by, has_no_voice_versions)
    assert plan.hangs_up and [line.message_id for line in plan.say] == ["voice.voicemail"]


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
    assert reminder.ask is not None and reminder.ask.lines[0].message_id == "voice.reminder.generic"
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
    used |= {"voice.reminder.generic", "voice.checkin.generic"}
    # Every warning sign's spoken message (the triage table names them).
    used |= {rule.voice_id for rule in SAFETY_TABLE.values()}
    used = {i for i in used if i.startswith(("voice.", "phone_text."))}
    shipped = {i for i in catalog.ids("en") if i.startswith(("voice.", "phone_text."))}
    assert used - shipped == set()
    assert shipped - used == set()


def test_every_speech_intent_the_calls_listen_for_has_words_in_both_languages(
    catalog: Catalog,
) -> None:
    intents = {intent for _, intent in phone_menu.KEY_INTENTS}
    for keys in (call_script.REMINDER_KEYS, call_script.CHECKIN_KEYS):
        intents |= {intent for intent, _ in keys.options.values()}
    for language in ("en", "es"):
        assert intents <= set(catalog.keywords(language)), language
