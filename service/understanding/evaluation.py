"""How well the understanding layer reads a labelled set: per-label precision and recall, the
confusions, red-flag recall and false alarms; and the choice of the safety thresholds."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from service.understanding import text
from service.understanding.corpus import Example
from service.understanding.model import Model
from service.understanding.reading import (
    ReadingKind,
    Understanding,
    before_model,
    interpret,
    understand,
)
from service.understanding.triage import (
    MISSED_RED_FLAG_COST,
    MISSING_ALERT_COST,
    NEEDLESS_ALARM_COST,
    NEEDLESS_CHECK_COST,
    SAFETY_PREFIX,
    Thresholds,
    not_a_report,
)

SAFETY_KINDS = frozenset({ReadingKind.SAFETY, ReadingKind.SAFETY_CHECK})


@dataclass(frozen=True)
class Outcome:
    """One example and how it was read."""

    example: Example
    reading: Understanding

    @property
    def predicted(self) -> str:
        """The label the reading acts on (an unsure topic counts as its first topic)."""
        return self.reading.label

    @property
    def is_red_flag(self) -> bool:
        """Whether the example is labelled a warning sign."""
        return self.example.label.startswith(SAFETY_PREFIX)


@dataclass
class Report:
    """Figures for one labelled set."""

    name: str
    outcomes: list[Outcome] = field(default_factory=list)

    def _share(self, hits: Iterable[bool]) -> float:
        """The share of True in `hits` (1.0 when there are none: nothing was missed)."""
        values = list(hits)
        return sum(values) / len(values) if values else 1.0

    @property
    def size(self) -> int:
        """How many examples."""
        return len(self.outcomes)

    @property
    def accuracy(self) -> float:
        """Share of examples read with their own label (a safety label by family)."""
        return self._share(o.predicted == o.example.label for o in self.outcomes)

    @property
    def topic_accuracy(self) -> float:
        """Share of topic questions answered with the right topic (sure, not "did you mean")."""
        return self._share(
            o.reading.kind is ReadingKind.TOPIC and o.predicted == o.example.label
            for o in self.outcomes
            if o.example.label.startswith("topic.")
        )

    @property
    def topic_offered(self) -> float:
        """Share of topic questions answered right or offered as one of two choices."""
        return self._share(
            (o.reading.kind is ReadingKind.TOPIC and o.predicted == o.example.label)
            or (
                o.reading.kind is ReadingKind.UNSURE_TOPIC
                and o.example.label in (o.predicted, o.reading.runner_up)
            )
            for o in self.outcomes
            if o.example.label.startswith("topic.")
        )

    @property
    def red_flag_recall(self) -> float:
        """Share of warning signs that got a safety reply (an alarm or a check)."""
        return self._share(o.reading.kind in SAFETY_KINDS for o in self.outcomes if o.is_red_flag)

    @property
    def alarm_recall(self) -> float:
        """Share of warning signs that got an alarm (reply and alert)."""
        return self._share(
            o.reading.kind is ReadingKind.SAFETY for o in self.outcomes if o.is_red_flag
        )

    @property
    def false_alarm_rate(self) -> float:
        """Share of harmless messages that got an alarm."""
        return 1.0 - self._share(
            o.reading.kind is not ReadingKind.SAFETY for o in self.outcomes if not o.is_red_flag
        )

    @property
    def check_rate(self) -> float:
        """Share of harmless messages that got a check ("if this is happening now...")."""
        return 1.0 - self._share(
            o.reading.kind is not ReadingKind.SAFETY_CHECK
            for o in self.outcomes
            if not o.is_red_flag
        )

    def missed_red_flags(self) -> list[Outcome]:
        """Warning signs that got no safety reply."""
        return [o for o in self.outcomes if o.is_red_flag and o.reading.kind not in SAFETY_KINDS]

    def false_alarms(self) -> list[Outcome]:
        """Harmless messages that got an alarm."""
        return [
            o for o in self.outcomes if not o.is_red_flag and o.reading.kind is ReadingKind.SAFETY
        ]

    def per_label(self) -> list[tuple[str, int, float, float]]:
        """(label, examples, precision, recall) for every label seen."""
        expected = Counter(o.example.label for o in self.outcomes)
        predicted = Counter(o.predicted for o in self.outcomes)
        right = Counter(o.example.label for o in self.outcomes if o.predicted == o.example.label)
        rows = []
        for label in sorted(set(expected) | set(predicted)):
            precision = right[label] / predicted[label] if predicted[label] else 0.0
            recall = right[label] / expected[label] if expected[label] else 0.0
            rows.append((label, expected[label], precision, recall))
        return rows

    def confusions(self, top: int = 15) -> list[tuple[str, str, int]]:
        """The most common (expected, read as, count) mistakes."""
        counts = Counter(
            (o.example.label, o.predicted) for o in self.outcomes if o.predicted != o.example.label
        )
        return [(expected, got, n) for (expected, got), n in counts.most_common(top)]


def evaluate(name: str, examples: Sequence[Example], model: Model) -> Report:
    """Read every example (no stage known, as for a stranger) and collect the figures."""
    report = Report(name)
    for example in examples:
        report.outcomes.append(Outcome(example, understand(example.text, model=model)))
    return report


def evaluate_probabilities(
    name: str,
    examples: Sequence[Example],
    labels: Sequence[str],
    probabilities: npt.NDArray[np.float64],
) -> Report:
    """The same figures from given probabilities (out-of-fold predictions)."""
    report = Report(name)
    for row, example in enumerate(examples):
        reading = before_model(example.text) or interpret(
            tuple(labels), probabilities[row], example.text
        )
        report.outcomes.append(Outcome(example, reading))
    return report


# What the test suite asserts on the held-out split (issue 12).
TARGET_TOPIC_ACCURACY = 0.95
TARGET_RED_FLAG_RECALL = 1.0
TARGET_FALSE_ALARMS = 0.02


def meets_targets(heldout: Report, benign: Report) -> bool:
    """Whether the held-out and benign figures meet the targets."""
    return (
        heldout.topic_accuracy >= TARGET_TOPIC_ACCURACY
        and heldout.red_flag_recall >= TARGET_RED_FLAG_RECALL
        and heldout.false_alarm_rate <= TARGET_FALSE_ALARMS
        and benign.false_alarm_rate <= TARGET_FALSE_ALARMS
    )


def format_summary(report: Report) -> list[str]:
    """The headline figures of one set, one line each."""
    lines = [f"== {report.name}: {report.size} messages"]
    if any(o.example.label.startswith("topic.") for o in report.outcomes):
        lines.append(
            f"  topic accuracy          {report.topic_accuracy:7.2%}"
            f"   (right topic among two offered: {report.topic_offered:.2%})"
        )
        lines.append(f"  accuracy (all labels)   {report.accuracy:7.2%}")
    if any(o.is_red_flag for o in report.outcomes):
        lines.append(f"  red-flag recall         {report.red_flag_recall:7.2%}   (alarm or check)")
        lines.append(f"  alarm recall            {report.alarm_recall:7.2%}")
    lines.append(f"  false alarms            {report.false_alarm_rate:7.2%}   (harmless -> alarm)")
    lines.append(f"  check rate              {report.check_rate:7.2%}   (harmless -> check)")
    return lines


def format_details(report: Report, confusions: int = 15) -> list[str]:
    """Per-label precision and recall, the top confusions, misses and false alarms."""
    lines = [
        f"-- {report.name}: per label",
        f"  {'label':26} {'n':>4} {'precision':>9} {'recall':>7}",
    ]
    for label, count, precision, recall in report.per_label():
        lines.append(f"  {label:26} {count:4d} {precision:9.2%} {recall:7.2%}")
    lines.append(f"-- {report.name}: top confusions (expected -> read as)")
    for expected, got, count in report.confusions(confusions):
        lines.append(f"  {count:4d}  {expected} -> {got}")
    for outcome in report.missed_red_flags():
        lines.append(
            f"  MISSED {outcome.example.label} as {outcome.reading.kind} {outcome.predicted}"
        )
    for outcome in report.false_alarms():
        lines.append(f"  FALSE ALARM {outcome.predicted} for a {outcome.example.label} message")
    return lines


@dataclass(frozen=True)
class Choice:
    """A set of thresholds and what it costs on out-of-fold predictions."""

    thresholds: Thresholds
    cost: float
    missed: int
    needless_alarms: int
    needless_checks: int
    unalerted: int


NO_REPLY, CHECK, ALARM = 0, 1, 2


def verdicts_for(
    safety: npt.NDArray[np.float64],
    best_other: npt.NDArray[np.float64],
    cued: npt.NDArray[np.bool_],
    thresholds: Thresholds,
) -> npt.NDArray[np.int_]:
    """`triage.decide` for many messages at once (every alarm allowed): 0, 1 (check), 2 (alarm)."""
    alarm_at = np.where(cued, thresholds.alarm_cued, thresholds.alarm)
    check_at = np.where(cued, thresholds.check_cued, thresholds.check)
    alarm = safety >= alarm_at
    lead_at = np.where(cued, thresholds.lead_cued, thresholds.lead)
    check = ~alarm & (safety >= check_at) & ((best_other < lead_at) | (safety >= alarm_at))
    return np.where(alarm, ALARM, np.where(check, CHECK, NO_REPLY))


def choose_thresholds(
    examples: Sequence[Example],
    probabilities: npt.NDArray[np.float64],
    labels: Sequence[str],
    include: Sequence[Thresholds] = (),
) -> list[Choice]:
    """Every candidate set of thresholds (a grid, and `include`), cheapest first, on
    out-of-fold probabilities.

    A missed warning sign costs MISSED_RED_FLAG_COST, a needless alarm NEEDLESS_ALARM_COST, a
    needless check NEEDLESS_CHECK_COST, and a warning sign that got only a check (what to do,
    but no alert) MISSING_ALERT_COST. Candidates whose false alarms (harmless messages that
    got an alarm) stay within TARGET_FALSE_ALARMS come first.
    """
    safety_columns = [i for i, label in enumerate(labels) if label.startswith(SAFETY_PREFIX)]
    other_columns = [i for i, label in enumerate(labels) if not label.startswith(SAFETY_PREFIX)]
    safety = probabilities[:, safety_columns].max(axis=1)
    best_other = probabilities[:, other_columns].max(axis=1)
    cued = np.array([not_a_report(text.normalize(example.text)) for example in examples])
    red = np.array([example.label.startswith(SAFETY_PREFIX) for example in examples])
    choices = []
    grid = itertools.product(
        (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7),  # alarm
        (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),  # alarm_cued
        (0.01, 0.02, 0.03, 0.05, 0.08, 0.1),  # check
        (0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3),  # check_cued
        (0.6, 0.7, 0.8, 0.9, 1.0),  # lead
        (0.5, 0.6, 0.7, 0.8, 0.9, 1.0),  # lead_cued
    )
    candidates = [Thresholds(*values) for values in grid]
    for thresholds in dict.fromkeys([*include, *candidates]):
        if (
            thresholds.alarm_cued < thresholds.alarm
            or thresholds.check_cued < thresholds.check
            or thresholds.lead_cued > thresholds.lead
        ):
            continue
        verdicts = verdicts_for(safety, best_other, cued, thresholds)
        missed = int((red & (verdicts == NO_REPLY)).sum())
        unalerted = int((red & (verdicts == CHECK)).sum())
        alarms = int((~red & (verdicts == ALARM)).sum())
        checks = int((~red & (verdicts == CHECK)).sum())
        cost = (
            MISSED_RED_FLAG_COST * missed
            + NEEDLESS_ALARM_COST * alarms
            + NEEDLESS_CHECK_COST * checks
            + MISSING_ALERT_COST * unalerted
        )
        choices.append(Choice(thresholds, cost, missed, alarms, checks, unalerted))
    # The false-alarm target is a limit, not a price: candidates within it come first.
    harmless = max(1, int((~red).sum()))
    choices.sort(
        key=lambda choice: (choice.needless_alarms / harmless > TARGET_FALSE_ALARMS, choice.cost)
    )
    return choices


# Choosing how sure a topic must be to be answered: a wrong answer costs WRONG_TOPIC_COST, a
# "Did you mean 1) or 2)?" to a topic question costs 1.
WRONG_TOPIC_COST = 3.0


def choose_sure_topic(
    examples: Sequence[Example], probabilities: npt.NDArray[np.float64], labels: Sequence[str]
) -> list[tuple[float, float, int, int]]:
    """(threshold, cost, wrong answers, questions asked) for each candidate, cheapest first."""
    names = np.array(labels)
    best = probabilities.argmax(axis=1)
    top = probabilities.max(axis=1)
    predicted = names[best]
    expected = np.array([example.label for example in examples])
    is_topic = np.char.startswith(predicted.astype(str), "topic.")
    asked_topic = np.char.startswith(expected.astype(str), "topic.")
    rows = []
    for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
        sure = is_topic & (top >= threshold)
        wrong = int((sure & (predicted != expected)).sum())
        asked = int((asked_topic & ~sure).sum())
        rows.append((threshold, WRONG_TOPIC_COST * wrong + asked, wrong, asked))
    rows.sort(key=lambda row: row[1])
    return rows
