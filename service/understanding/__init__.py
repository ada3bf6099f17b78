"""Understanding what people write and say: compliance words, safety triage, then a trained
classifier for commands, answers and topics (pure: no Flask, no database)."""

from service.understanding.model import Model, load_model
from service.understanding.reading import ReadingKind, Understanding, detect_language, understand
from service.understanding.text import normalize
from service.understanding.triage import (
    SAFETY_TABLE,
    THRESHOLDS,
    SafetyFamily,
    SafetyRule,
    Thresholds,
    Urgency,
)

__all__ = [
    "SAFETY_TABLE",
    "THRESHOLDS",
    "Model",
    "ReadingKind",
    "SafetyFamily",
    "SafetyRule",
    "Thresholds",
    "Understanding",
    "Urgency",
    "detect_language",
    "load_model",
    "normalize",
    "understand",
]
