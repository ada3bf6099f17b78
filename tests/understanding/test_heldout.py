"""The figures on the held-out split and the benign set, which are never trained on (issue 12)."""

from __future__ import annotations

import pytest

from service.understanding import Model
from service.understanding.corpus import BENIGN, HELDOUT, TRAIN, read_split
from service.understanding.evaluation import (
    TARGET_FALSE_ALARMS,
    TARGET_RED_FLAG_RECALL,
    TARGET_TOPIC_ACCURACY,
    Report,
    evaluate,
)


@pytest.fixture(scope="module")
def heldout(model: Model) -> Report:
    """The held-out split, read by the session's model."""
    return evaluate(HELDOUT, read_split(HELDOUT), model)


@pytest.fixture(scope="module")
def benign(model: Model) -> Report:
    """The benign look-alikes, read by the session's model."""
    return evaluate(BENIGN, read_split(BENIGN), model)


def test_the_sets_are_big_enough(heldout: Report, benign: Report) -> None:
    assert heldout.size >= 1000
    assert benign.size >= 150
    per_language = {(o.example.language, o.example.label) for o in heldout.outcomes}
    assert {language for language, _ in per_language} == {"en", "es"}


def test_topic_questions_get_the_right_topic(heldout: Report) -> None:
    assert heldout.topic_accuracy >= TARGET_TOPIC_ACCURACY


def test_every_red_flag_gets_a_safety_reply(heldout: Report) -> None:
    missed = [(o.example.label, o.example.text) for o in heldout.missed_red_flags()]
    assert heldout.red_flag_recall >= TARGET_RED_FLAG_RECALL, missed


def test_harmless_held_out_messages_rarely_raise_an_alarm(heldout: Report) -> None:
    assert heldout.false_alarm_rate <= TARGET_FALSE_ALARMS


def test_benign_look_alikes_rarely_raise_an_alarm(benign: Report) -> None:
    alarms = [o.example.text for o in benign.false_alarms()]
    assert benign.false_alarm_rate <= TARGET_FALSE_ALARMS, alarms


def test_training_and_held_out_sets_share_no_message() -> None:
    train = {e.text.lower() for e in read_split(TRAIN)}
    assert not train & {e.text.lower() for e in read_split(HELDOUT)}
    assert not train & {e.text.lower() for e in read_split(BENIGN)}
