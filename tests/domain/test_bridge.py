"""The care team's bridge call: asking for 1, dialing with the program's number, and how a
call is going from its two legs' statuses."""

from __future__ import annotations

import pytest

from service.domain.bridge import (
    BridgeUrls,
    after_dial,
    ask_to_connect,
    call_outcome,
    connect,
    whisper,
)
from service.vocabulary import CallOutcome, MessageStatus

URLS = BridgeUrls("https://boneline.example.org", 7)
PERSON = "+12125550143"
PROGRAM = "+15005550006"


def test_the_urls_name_the_call_and_carry_nothing_else() -> None:
    assert URLS.answered == "https://boneline.example.org/voice/bridge?contact=7"
    assert URLS.connect(1) == "https://boneline.example.org/voice/bridge/connect?contact=7&tries=1"
    assert URLS.status("person").endswith("/voice/bridge/status?contact=7&leg=person")
    assert BridgeUrls("", 7).whisper == "/voice/bridge/whisper?contact=7"


def test_one_dials_the_person_showing_the_programs_number() -> None:
    step = connect(URLS, "1", 0, PERSON, PROGRAM)
    assert step.dial is not None and step.gather is None
    assert (step.dial.number, step.dial.caller_id) == (PERSON, PROGRAM)
    assert step.dial.action == URLS.dialed and step.dial.whisper == URLS.whisper
    assert step.dial.status_callback == URLS.status("person")
    assert [line.message_id for line in step.say] == ["voice.care.bridge_connecting"]


@pytest.mark.parametrize("digits", ["", "2", "*", "11"])
def test_anything_but_one_asks_once_more_then_ends_without_dialing(digits: str) -> None:
    again = connect(URLS, digits, 0, PERSON, PROGRAM)
    assert again.dial is None and again.gather == URLS.connect(1)
    assert [line.message_id for line in again.say] == ["voice.care.bridge_press_one"]
    done = connect(URLS, digits, 1, PERSON, PROGRAM)
    assert done.dial is None and done.gather is None
    assert [line.message_id for line in done.say] == ["voice.care.bridge_not_connected"]


def test_the_staff_member_hears_english_and_the_person_their_own_language() -> None:
    assert ask_to_connect(URLS).say[0].language == "en"
    assert whisper("es").say[0].language == "es"
    assert whisper("es").say[0].message_id == "voice.care.whisper"


@pytest.mark.parametrize(
    ("dial_status", "heard"),
    [
        ("completed", "voice.care.bridge_ended"),
        ("answered", "voice.care.bridge_ended"),
        ("busy", "voice.care.bridge_busy"),
        ("no-answer", "voice.care.bridge_no_answer"),
        ("failed", "voice.care.bridge_failed"),
        ("canceled", "voice.care.bridge_failed"),
        ("", "voice.care.bridge_failed"),
    ],
)
def test_after_the_dial_the_staff_member_hears_how_it_went(dial_status: str, heard: str) -> None:
    step = after_dial(dial_status)
    assert [line.message_id for line in step.say] == [heard] and step.dial is None


S = MessageStatus


@pytest.mark.parametrize(
    ("staff", "person", "error", "outcome"),
    [
        (S.QUEUED, None, "HTTP 503", CallOutcome.NOT_PLACED),
        (None, None, None, CallOutcome.PLACING),
        (S.QUEUED, None, None, CallOutcome.PLACING),
        (S.INITIATED, None, None, CallOutcome.PLACING),
        (S.RINGING, None, None, CallOutcome.RINGING_STAFF),
        (S.IN_PROGRESS, None, None, CallOutcome.STAFF_ANSWERED),
        (S.COMPLETED, None, None, CallOutcome.NOT_CONNECTED),
        (S.NO_ANSWER, None, None, CallOutcome.STAFF_MISSED),
        (S.BUSY, None, None, CallOutcome.STAFF_MISSED),
        (S.IN_PROGRESS, S.RINGING, None, CallOutcome.RINGING_PERSON),
        (S.IN_PROGRESS, S.IN_PROGRESS, None, CallOutcome.TALKING),
        (S.COMPLETED, S.COMPLETED, None, CallOutcome.ANSWERED),
        (S.COMPLETED, S.NO_ANSWER, None, CallOutcome.NO_ANSWER),
        (S.COMPLETED, S.BUSY, None, CallOutcome.BUSY),
        (S.COMPLETED, S.FAILED, None, CallOutcome.FAILED),
        (S.COMPLETED, S.CANCELED, None, CallOutcome.FAILED),
    ],
)
def test_a_calls_outcome_comes_from_both_legs(
    staff: MessageStatus | None,
    person: MessageStatus | None,
    error: str | None,
    outcome: CallOutcome,
) -> None:
    assert call_outcome(staff, person, error) is outcome
