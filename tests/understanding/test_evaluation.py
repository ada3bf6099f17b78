"""The evaluation's figures and its choice of thresholds, on small made-up sets."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from service.understanding.corpus import Example
from service.understanding.evaluation import (
    ALARM,
    CHECK,
    NO_REPLY,
    choose_sure_topic,
    choose_thresholds,
    verdicts_for,
)
from service.understanding.triage import THRESHOLDS, Triage, decide

VERDICT = {Triage.NONE: NO_REPLY, Triage.CHECK: CHECK, Triage.ALARM: ALARM}
probability = st.floats(min_value=0.0, max_value=1.0)


@settings(max_examples=60, deadline=None)
@given(safety=probability, other=probability, cued=st.booleans())
def test_the_vectorized_verdicts_equal_decide(safety: float, other: float, cued: bool) -> None:
    many = verdicts_for(np.array([safety]), np.array([other]), np.array([cued]), THRESHOLDS)
    assert many[0] == VERDICT[decide(safety, other, cued, True)]


def test_thresholds_are_chosen_so_no_red_flag_is_missed() -> None:
    labels = ["none", "safety.fall", "topic.calcium"]
    examples = [
        Example("i fell", "safety.fall", "en"),
        Example("i fell again", "safety.fall", "en"),
        Example("calcium", "topic.calcium", "en"),
        Example("hello", "none", "en"),
    ]
    probabilities = np.array(
        [[0.5, 0.45, 0.05], [0.1, 0.9, 0.0], [0.0, 0.01, 0.99], [0.97, 0.03, 0.0]]
    )
    best = choose_thresholds(examples, probabilities, labels)[0]
    assert best.missed == 0
    assert best.needless_alarms == 0
    assert best.thresholds.check <= 0.45


def test_a_sure_topic_threshold_trades_wrong_answers_for_questions() -> None:
    labels = ["topic.calcium", "topic.vitamin_d"]
    examples = [Example("x", "topic.calcium", "en"), Example("y", "topic.vitamin_d", "en")]
    probabilities = np.array([[0.9, 0.1], [0.55, 0.45]])
    threshold, cost, wrong, asked = choose_sure_topic(examples, probabilities, labels)[0]
    assert (wrong, asked) == (0, 1)
    assert 0.55 < threshold <= 0.9
    assert cost == 1
