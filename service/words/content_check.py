"""The catalog checks itself: length, encoding, reading level, both languages, required items."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from textstat.textstat import textstatistics

from service.words.catalog import DEFAULT_LANGUAGE, LANGUAGES, Catalog, placeholders
from service.words.keywords import TOPIC_PREFIX
from service.words.segments import GSM7, count_segments, non_gsm7_characters, sms_form

# Segment budget by the id's first part; None = spoken on the phone line, not texted.
# Scheduled texts (reminders, check-ins, life changes the scheduler sends) fit one segment.
SEGMENT_BUDGETS: Mapping[str, int | None] = {"reminder": 1, "checkin": 1, "life": 1, "voice": None}
DEFAULT_SEGMENT_BUDGET = 2

# At least this many different reminder texts per language, so nobody hears a recording on
# repeat (the schedule sends none twice within 28 days).
MIN_REMINDER_TEXTS = 40
# Every text of these kinds is also said on calls: `voice.<id>` must exist.
SPOKEN_KINDS = ("reminder.", "checkin.")
VOICE_PREFIX = "voice."

MAX_ENGLISH_GRADE = 6.0  # Flesch-Kincaid grade
MIN_SPANISH_EASE = 80.0  # Fernandez-Huerta

# A long date, so texts are counted at their longest realistic length.
SAMPLE_DATE = dt.date(2027, 9, 30)

_PROGRAM = ("program name", r"\{program\}")
_SENDER = ("who sends it", r"\{organization\}")
_SUPPORT = ("support contact", r"\{support\}")
_EMERGENCY = ("call 911", r"\b911\b")
_EN_FREQUENCY = ("frequency", r"\b\d+ msgs?/(week|month)\b")
_EN_RATES = ("Msg & data rates may apply", r"Msg & data rates may apply")
_EN_HELP = ("HELP", r"\bHELP\b")
_EN_STOP = ("STOP", r"\bSTOP\b")
_ES_FREQUENCY = ("frequency", r"\b\d+ (msjs|mensajes)/(semana|mes)\b")
_ES_RATES = ("Msg & data rates may apply", r"(?i)pueden aplicar tarifas de (msjs|mensajes) y datos")
_ES_HELP = ("AYUDA", r"\bAYUDA\b")
_ES_STOP = ("PARAR", r"\bPARAR\b")
_EN_DISCLOSURE = (_PROGRAM, _SENDER, _EN_FREQUENCY, _EN_RATES, _EN_HELP, _EN_STOP)
_ES_DISCLOSURE = (_PROGRAM, _SENDER, _ES_FREQUENCY, _ES_RATES, _ES_HELP, _ES_STOP)
_EN_HELP_REPLY = (
    _PROGRAM,
    _SUPPORT,
    _EN_FREQUENCY,
    _EN_RATES,
    _EN_STOP,
    ("not medical advice", r"(?i)\bnot medical advice\b"),
    _EMERGENCY,
)
_ES_HELP_REPLY = (
    _PROGRAM,
    _SUPPORT,
    _ES_FREQUENCY,
    _ES_RATES,
    _ES_STOP,
    ("not medical advice", r"(?i)\bno es consejo m[eé]dico\b"),
    _EMERGENCY,
)

# What the opt-in disclosures and the HELP reply must carry (CTIA; messaging-rules.md).
REQUIRED_ITEMS: Mapping[str, Mapping[str, tuple[tuple[str, str], ...]]] = {
    "enroll.confirm": {"en": _EN_DISCLOSURE, "es": _ES_DISCLOSURE},
    "optin.welcome_back": {"en": _EN_DISCLOSURE, "es": _ES_DISCLOSURE},
    "help.reply": {"en": _EN_HELP_REPLY, "es": _ES_HELP_REPLY},
}


@dataclass(frozen=True)
class TextReport:
    """One text (or one pool of texts) as the checker measured it."""

    message_id: str
    language: str
    characters: int
    encoding: str
    segments: int
    budget: int | None
    score: float
    problems: tuple[str, ...] = ()


@dataclass
class ContentReport:
    """Every measured text and every problem found."""

    rows: list[TextReport] = field(default_factory=list)
    catalog_problems: list[str] = field(default_factory=list)
    # Distinct reminder texts per language, and the catalog's version.
    reminder_texts: dict[str, int] = field(default_factory=dict)
    catalog_version: str = ""

    @property
    def problems(self) -> list[str]:
        """Every problem, catalog-wide ones first."""
        found = list(self.catalog_problems)
        for row in self.rows:
            found.extend(f"{row.message_id} [{row.language}]: {p}" for p in row.problems)
        return found

    @property
    def ok(self) -> bool:
        """Whether the catalog passes every rule."""
        return not self.problems


class ReadingScores:
    """Flesch-Kincaid grade for English, Fernandez-Huerta for Spanish.

    Each language gets its own textstat object: `textstat.set_lang` on the shared module-level
    instance is global state that another caller could change under us.
    """

    def __init__(self) -> None:
        self._english = textstatistics()
        self._english.set_lang("en_US")
        self._spanish = textstatistics()
        self._spanish.set_lang("es")

    def score(self, text: str, language: str) -> float:
        """The language's reading score for `text`."""
        if language == "es":
            return float(self._spanish.fernandez_huerta(text))
        return float(self._english.flesch_kincaid_grade(text))

    @staticmethod
    def passes(score: float, language: str) -> bool:
        """Whether a score is plain enough for that language."""
        if language == "es":
            return score >= MIN_SPANISH_EASE
        return score <= MAX_ENGLISH_GRADE

    @staticmethod
    def rule(language: str) -> str:
        """The rule in words, for problem messages."""
        if language == "es":
            return f"Fernandez-Huerta below {MIN_SPANISH_EASE:g}"
        return f"Flesch-Kincaid grade above {MAX_ENGLISH_GRADE:g}"


def segment_budget(message_id: str) -> int | None:
    """The most SMS segments a text of this kind may take (None: spoken, not texted)."""
    kind = message_id.split(".", 1)[0]
    return SEGMENT_BUDGETS.get(kind, DEFAULT_SEGMENT_BUDGET)


def sample_values(
    catalog: Catalog, language: str, deployment: Mapping[str, str]
) -> dict[str, object]:
    """Realistic, long-ish values for every placeholder the service fills."""
    names = [str(name) for name in (catalog.words(language).get("topic_names") or {}).values()]
    longest = max(names, key=len, default="")
    return {
        **deployment,
        "date": SAMPLE_DATE,
        "first": longest,
        "second": longest,
        "first_number": "11",
        "second_number": "12",
        # The care-team alert names a person by the last four digits of their number only.
        "last_digits": "0143",
        "part": max(map(str, (catalog.words(language).get("day_parts") or {}).values()), key=len),
    }


def check_catalog(catalog: Catalog, deployment: Mapping[str, Mapping[str, str]]) -> ContentReport:
    """Measure every text in every language and list what breaks a rule.

    `deployment` holds the names each language shows (`texts.deployment_params`).
    """
    report = ContentReport(
        catalog_problems=[
            *_catalog_problems(catalog),
            *_voice_problems(catalog),
            *_setting_problems(catalog, deployment),
        ],
        catalog_version=catalog.catalog_version,
    )
    scores = ReadingScores()
    for language in LANGUAGES:
        values = sample_values(catalog, language, deployment.get(language, {}))
        rendered: dict[str, str] = {}
        for message_id in sorted(catalog.ids(language)):
            text, problems = _render(catalog, message_id, language, values)
            rendered[message_id] = text
            template = catalog.template(message_id, language)
            problems.extend(_missing_required_items(message_id, language, template, text))
            report.rows.append(_measure(message_id, language, text, problems, scores))
        report.rows.extend(_pooled(catalog, language, rendered, scores))
        reminders = {text for mid, text in rendered.items() if mid.startswith("reminder.")}
        report.reminder_texts[language] = len(reminders)
        if len(reminders) < MIN_REMINDER_TEXTS:
            report.catalog_problems.append(
                f"{language}: {len(reminders)} distinct reminder texts; at least"
                f" {MIN_REMINDER_TEXTS} are needed"
            )
    return report


def _voice_problems(catalog: Catalog) -> Iterator[str]:
    """Every reminder and check-in has a voice version, in each language."""
    for language in LANGUAGES:
        ids = catalog.ids(language)
        for message_id in sorted(ids):
            if message_id.startswith(SPOKEN_KINDS) and VOICE_PREFIX + message_id not in ids:
                yield f"{message_id}: no {language} voice text '{VOICE_PREFIX}{message_id}'"


def _setting_problems(
    catalog: Catalog, deployment: Mapping[str, Mapping[str, str]]
) -> Iterator[str]:
    """Each language shows its own names: never another language's default words."""
    english = catalog.words(DEFAULT_LANGUAGE).get("setting_defaults") or {}
    for language in LANGUAGES:
        own = catalog.words(language).get("setting_defaults") or {}
        if language != DEFAULT_LANGUAGE and set(own) != set(english):
            yield f"words.setting_defaults [{language}]: not the same names as in English"
        if language == DEFAULT_LANGUAGE:
            continue
        for placeholder, value in deployment.get(language, {}).items():
            if value and value == english.get(placeholder) != own.get(placeholder):
                yield (
                    f"setting {{{placeholder}}} [{language}]: shows the English words"
                    f" {value!r}; set it for {language}"
                )


def _render(
    catalog: Catalog, message_id: str, language: str, values: Mapping[str, object]
) -> tuple[str, list[str]]:
    """The text with sample values filled in, and the placeholders nobody fills."""
    template = catalog.template(message_id, language)
    unknown = placeholders(template) - values.keys()
    problems = [f"no value is known for {{{name}}}" for name in sorted(unknown)]
    filler = {name: f"<{name}>" for name in unknown}
    return catalog.text(message_id, language, **values, **filler), problems


def _measure(
    message_id: str,
    language: str,
    text: str,
    problems: list[str],
    scores: ReadingScores,
) -> TextReport:
    """Count, score and judge one rendered text (segments as sent, the score as written)."""
    budget = segment_budget(message_id)
    sent = sms_form(text) if budget is not None else text
    count = count_segments(sent)
    problems = list(problems)
    if budget is not None and count.segments > budget:
        problems.append(f"{count.segments} segments ({count.encoding}); the limit is {budget}")
    if budget is not None and count.encoding != GSM7:
        shown = " ".join(f"U+{ord(char):04X}" for char in non_gsm7_characters(sent))
        problems.append(f"sent as {count.encoding}, not GSM-7: {shown}")
    if budget is not None and language == "en":
        # English is written in GSM-7 itself: a curly quote or a dash is a slip to fix.
        forcing = non_gsm7_characters(text)
        if forcing:
            shown = " ".join(f"U+{ord(char):04X}" for char in forcing)
            problems.append(f"characters that force UCS-2 in English: {shown}")
    score = scores.score(text, language)
    if not ReadingScores.passes(score, language):
        problems.append(f"reading score {score:.1f}: {ReadingScores.rule(language)}")
    return TextReport(
        message_id,
        language,
        len(text),
        count.encoding,
        count.segments,
        budget,
        score,
        tuple(problems),
    )


def _missing_required_items(
    message_id: str, language: str, template: str, text: str
) -> Iterator[str]:
    """The required items a disclosure or HELP text lacks (a placeholder counts as present)."""
    for label, pattern in REQUIRED_ITEMS.get(message_id, {}).get(language, ()):
        if not (re.search(pattern, template) or re.search(pattern, text)):
            yield f"missing required item: {label}"


def _pooled(
    catalog: Catalog, language: str, rendered: Mapping[str, str], scores: ReadingScores
) -> Iterator[TextReport]:
    """Reading scores of each family's and each topic's texts together (short ones are noisy)."""
    pools: dict[str, list[str]] = {}
    topics = {mid.removeprefix(TOPIC_PREFIX) for mid in rendered if mid.startswith(TOPIC_PREFIX)}
    for message_id in rendered:
        parts = message_id.split(".")
        pools.setdefault(f"{parts[0]}.*", []).append(message_id)
        for topic in topics.intersection(parts):
            pools.setdefault(f"*{topic}*", []).append(message_id)
    for name, members in sorted(pools.items()):
        if len(members) < 2:
            continue
        text = " ".join(rendered[mid] for mid in sorted(members))
        score = scores.score(text, language)
        problems: tuple[str, ...] = ()
        if not ReadingScores.passes(score, language):
            problems = (f"pooled reading score {score:.1f}: {ReadingScores.rule(language)}",)
        yield TextReport(
            f"{name} ({len(members)})", language, len(text), "", 0, None, score, problems
        )


def _catalog_problems(catalog: Catalog) -> Iterator[str]:
    """Rules about the catalog as a whole: both languages, same placeholders, topic menu."""
    english, spanish = (catalog.ids(language) for language in LANGUAGES)
    for message_id in sorted(english ^ spanish):
        missing = "es" if message_id in english else "en"
        yield f"{message_id}: no {missing} text"
    for message_id in sorted(english & spanish):
        en_names = placeholders(catalog.template(message_id, "en"))
        es_names = placeholders(catalog.template(message_id, "es"))
        if en_names != es_names:
            yield f"{message_id}: placeholders differ: en {sorted(en_names)}, es {sorted(es_names)}"
    en_intents, es_intents = (set(catalog.keywords(language)) for language in LANGUAGES)
    for intent in sorted(en_intents ^ es_intents):
        missing = "es" if intent in en_intents else "en"
        yield f"keywords '{intent}': no {missing} list"
    yield from _topic_problems(catalog)


def _topic_problems(catalog: Catalog) -> Iterator[str]:
    """Every topic has a name and one menu number, the same in both languages."""
    for topic_id in sorted(mid for mid in catalog.ids("en") if mid.startswith(TOPIC_PREFIX)):
        numbers: set[tuple[str, ...]] = set()
        for language in LANGUAGES:
            words = [str(word) for word in catalog.keywords(language).get(topic_id, [])]
            if not words:
                yield f"{topic_id}: no {language} keywords"
            numbers.add(tuple(word for word in words if word.isdigit()))
            names = catalog.words(language).get("topic_names") or {}
            if topic_id.removeprefix(TOPIC_PREFIX) not in names:
                yield f"{topic_id}: no {language} name in words.topic_names"
        if len(numbers) != 1 or len(next(iter(numbers))) != 1:
            yield f"{topic_id}: needs exactly one menu number, the same in both languages"


def format_table(report: ContentReport) -> str:
    """The report as a plain-text table, then the problems."""
    header = ("id", "lang", "chars", "encoding", "segments", "score", "result")
    lines = [header]
    for row in report.rows:
        segments = "-" if not row.encoding else f"{row.segments}/{row.budget or '-'}"
        lines.append(
            (
                row.message_id,
                row.language,
                str(row.characters),
                row.encoding or "-",
                segments,
                f"{row.score:.1f}",
                "FAIL" if row.problems else "ok",
            )
        )
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    out = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    problems = report.problems
    out.append("")
    counts = ", ".join(f"{count} in {lang}" for lang, count in report.reminder_texts.items())
    out.append(f"Distinct reminder texts: {counts}. Catalog version {report.catalog_version}.")
    out.append(f"{len(report.rows)} rows checked; {len(problems)} problems.")
    out.extend(f"  - {problem}" for problem in problems)
    return "\n".join(out)
