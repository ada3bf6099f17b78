"""`understand`: one message in, what it is (with a confidence and the runner-up) out.

In this order: compliance words exactly (STOP and every opt-out word, START, HELP, and their
Spanish forms: never a model); digits are left to the question they answer; a message that is
exactly a command keyword (MENU, JOIN, UNIRSE, YES, BORN...) is that; then safety triage; then
the model's commands, answers, topics and the rest.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.understanding import text
from service.understanding.model import Model, load_model
from service.understanding.triage import (
    SAFETY_PREFIX,
    SAFETY_TABLE,
    SafetyFamily,
    SafetyRule,
    Triage,
    can_alarm,
    decide,
    named_severe_sign,
    not_a_report,
)
from service.vocabulary import Stage
from service.words.catalog import default_catalog
from service.words.keywords import Keywords

TOPIC_PREFIX = "topic."
NONE_LABEL = "none"
# A topic this sure is answered; less sure (down to UNSURE_TOPIC) gets "Did you mean 1) or 2)?".
SURE_TOPIC = 0.4
UNSURE_TOPIC = 0.15
# Any other label needs this much, else the message is unclear.
SURE_OTHER = 0.4

# Whole-message keywords, exact (from the catalog's keyword lists), and their labels.
COMPLIANCE_KEYWORDS = {"stop": "command.stop", "start": "command.start", "help": "command.help"}
COMMAND_KEYWORDS = {
    "erase": "command.erase",
    "join": "command.join",
    "language": "command.language",
    "menu": "command.menu",
}
OTHER_KEYWORDS = {"affirm": "answer.yes", "deny": "answer.no", "born": "life.born"}
_DIGITS = re.compile(r"^[\s\d.,#*)(-]+$")


class ReadingKind(enum.StrEnum):
    """What kind of message it is, in the order the conversation acts on them."""

    COMPLIANCE = "compliance"
    SAFETY = "safety"
    SAFETY_CHECK = "safety_check"
    COMMAND = "command"
    ANSWER = "answer"
    TOPIC = "topic"
    UNSURE_TOPIC = "unsure_topic"
    LIFE = "life"
    CHANGE = "change"
    CHAT = "chat"
    UNCLEAR = "unclear"


_KIND_BY_PREFIX = {
    "command": ReadingKind.COMMAND,
    "answer": ReadingKind.ANSWER,
    "topic": ReadingKind.TOPIC,
    "life": ReadingKind.LIFE,
    "change": ReadingKind.CHANGE,
    "chat": ReadingKind.CHAT,
}


@dataclass(frozen=True)
class Understanding:
    """What a message is: its kind, label and confidence, the runner-up, the safety rule."""

    kind: ReadingKind
    label: str
    confidence: float
    runner_up: str | None = None
    runner_up_confidence: float = 0.0
    safety: SafetyRule | None = None
    language: str | None = None


def understand(
    message: str,
    *,
    stage: Stage | None = None,
    language: str | None = None,
    model: Model | None = None,
) -> Understanding:
    """Read one message (a text, or a phone line's speech transcript).

    `language` is the person's own, when known: a keyword both languages share keeps it.
    """
    early = before_model(message, language)
    if early is not None:
        return early
    model = model or load_model()
    probabilities = model.probabilities(text.normalize(message))
    return interpret(model.labels, probabilities, message, stage, language)


def before_model(message: str, language: str | None = None) -> Understanding | None:
    """Compliance words (exact), and messages the model never reads (empty, only digits)."""
    keyword = _keyword(message, tuple(COMPLIANCE_KEYWORDS), COMPLIANCE_KEYWORDS, language)
    if keyword is not None:
        label, keyword_language = keyword
        return Understanding(ReadingKind.COMPLIANCE, label, 1.0, language=keyword_language)
    normalized = text.normalize(message)
    if not normalized or _DIGITS.match(message):
        return Understanding(ReadingKind.UNCLEAR, NONE_LABEL, 1.0)
    return None


def interpret(
    labels: tuple[str, ...],
    probabilities: npt.NDArray[np.float64],
    message: str,
    stage: Stage | None = None,
    language: str | None = None,
) -> Understanding:
    """Whole-message keywords, then safety, then the model's best label."""
    normalized = text.normalize(message)
    detected = detect_language(normalized)
    # A whole message that is a command keyword ("MENU", "UNIRSE") is that command, never a sign.
    keyword = _keyword(
        message, (*COMMAND_KEYWORDS, *OTHER_KEYWORDS), _KEYWORD_LABELS, language or detected
    )
    if keyword is not None:
        label, keyword_language = keyword
        kind = _KIND_BY_PREFIX[label.split(".", 1)[0]]
        return Understanding(kind, label, 1.0, language=keyword_language or detected)
    severe = named_severe_sign(normalized)
    if severe is not None and can_alarm(severe, normalized, stage):
        index = labels.index(SAFETY_PREFIX + severe)
        return Understanding(
            ReadingKind.SAFETY,
            labels[index],
            float(probabilities[index]),
            None,
            0.0,
            SAFETY_TABLE[severe],
            detected,
        )
    order = [int(index) for index in np.argsort(-probabilities, kind="stable")]
    safety_rows = [index for index in order if labels[index].startswith(SAFETY_PREFIX)]
    other_rows = [index for index in order if not labels[index].startswith(SAFETY_PREFIX)]
    if safety_rows:
        top_safety = safety_rows[0]
        safety = float(probabilities[top_safety])
        family = SafetyFamily(labels[top_safety].removeprefix(SAFETY_PREFIX))
        verdict = decide(
            safety,
            float(probabilities[other_rows[0]]) if other_rows else 0.0,
            cued=not_a_report(normalized),
            alarm_allowed=can_alarm(family, normalized, stage),
        )
        if verdict is not Triage.NONE:
            kind = ReadingKind.SAFETY if verdict is Triage.ALARM else ReadingKind.SAFETY_CHECK
            runner = other_rows[0] if other_rows else None
            return Understanding(
                kind,
                labels[top_safety],
                safety,
                labels[runner] if runner is not None else None,
                float(probabilities[runner]) if runner is not None else 0.0,
                SAFETY_TABLE[family],
                detected,
            )
    return _best(labels, probabilities, other_rows, detected)


def _best(
    labels: tuple[str, ...],
    probabilities: npt.NDArray[np.float64],
    rows: list[int],
    detected: str | None,
) -> Understanding:
    """The best non-safety label: a sure topic, two likely topics, another kind, or unclear."""
    topics = [row for row in rows if labels[row].startswith(TOPIC_PREFIX)]
    first = rows[0]
    second = rows[1] if len(rows) > 1 else None
    top = float(probabilities[first])
    if labels[first].startswith(TOPIC_PREFIX) and top >= SURE_TOPIC:
        return _with_runner_up(ReadingKind.TOPIC, labels, probabilities, first, second, detected)
    other = labels[first] != NONE_LABEL and not labels[first].startswith(TOPIC_PREFIX)
    if other and top >= SURE_OTHER:
        kind = _KIND_BY_PREFIX[labels[first].split(".", 1)[0]]
        return _with_runner_up(kind, labels, probabilities, first, second, detected)
    if (
        topics
        and float(probabilities[topics[0]]) >= UNSURE_TOPIC
        and (labels[first].startswith(TOPIC_PREFIX) or top < SURE_OTHER)
    ):
        runner = topics[1] if len(topics) > 1 else None
        return _with_runner_up(
            ReadingKind.UNSURE_TOPIC, labels, probabilities, topics[0], runner, detected
        )
    return _with_runner_up(ReadingKind.UNCLEAR, labels, probabilities, first, second, detected)


def _with_runner_up(
    kind: ReadingKind,
    labels: tuple[str, ...],
    probabilities: npt.NDArray[np.float64],
    first: int,
    second: int | None,
    detected: str | None,
) -> Understanding:
    """An understanding of `first`, with `second` as the runner-up."""
    return Understanding(
        kind,
        labels[first] if kind is not ReadingKind.UNCLEAR else NONE_LABEL,
        float(probabilities[first]),
        labels[second] if second is not None else None,
        float(probabilities[second]) if second is not None else 0.0,
        None,
        detected,
    )


_KEYWORD_LABELS = {**COMMAND_KEYWORDS, **OTHER_KEYWORDS}


@functools.cache
def _keywords() -> Keywords:
    """The catalog's keyword tables, built once per process."""
    return Keywords.from_catalog(default_catalog())


def _keyword(
    message: str, intents: tuple[str, ...], names: dict[str, str], language: str | None
) -> tuple[str, str | None] | None:
    """The label of a whole-message keyword (or an opt-out phrase), and its language: the
    person's when the keyword is theirs too, else the keyword's only one, else None."""
    table = _keywords()
    match = table.whole(message, intents)
    if match is None and "stop" in intents:
        match = table.phrase(message, "stop")
    if match is None:
        return None
    if language in match.languages:
        return names[match.intent], language
    only = next(iter(match.languages)) if len(match.languages) == 1 else None
    return names[match.intent], only


# A few very common words of each language: a text is clearly one when it has at least two of
# that language's and at most half as many of the other's.
_ENGLISH = frozenset(
    " ".join(
        (
            "the i my me is it to and a of in can have what how do you im dont cant baby back",
            "pain hi hello thanks thank yes please will should about for with this that are am",
            "was need much many take pills bones pregnant milk there get got just been after",
            "before week weeks day today does did hurts hurt feel still when why which",
            "want die kill myself fell fall bleeding blood fever head headache water broke",
            "cant walk move stomach belly chest breathe breathing dizzy passed out help",
        )
    ).split()
)
_SPANISH = frozenset(
    " ".join(
        (
            "el la los las mi de que q es por para con una un y puedo tengo estoy bebe hola",
            "gracias si muy duele dolor espalda como cuando del al se le lo pero esta favor",
            "tomar rompio cuanto cuanta necesito calcio vitamina huesos embarazada pastillas",
            "leche hay son tiene tomo puede hago ya bien mal semana semanas dia dias siento",
            "quiero morir matarme vivir nada me no mas caer cai sangre sangrando fiebre cabeza",
            "agua fuente contracciones nacio perdi hijo hija ayuda estomago barriga caminar",
        )
    ).split()
)


def detect_language(normalized: str) -> str | None:
    """ "en" or "es" when the words clearly are one language, else None."""
    tokens = normalized.split()
    english = sum(token in _ENGLISH for token in tokens)
    spanish = sum(token in _SPANISH for token in tokens)
    if english >= 1 and english >= 2 * spanish + 1:
        return "en"
    if spanish >= 1 and spanish >= 2 * english + 1:
        return "es"
    return None
