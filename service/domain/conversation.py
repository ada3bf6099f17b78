"""The text conversation as a pure function: (profile, inbound text, today) -> outcome.

No Flask, no database, no Twilio: `service.flows.inbound_text` loads and saves what it decides.
What a message means comes from `service.understanding`: the compliance words exactly first
(STOP and its kin), then safety triage, then commands, answers and topics. Digits never reach
the model: they answer the question we asked last (`Profile.pending`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from service.domain.dates import (
    DateProblem,
    birth_date_problem,
    due_date_problem,
    parse_date,
)
from service.domain.reading import read as read_words
from service.domain.vocabulary import (
    Channel,
    ConsentAction,
    EnrollmentStep,
    PendingQuestion,
    Stage,
    Status,
)
from service.understanding import (
    SAFETY_TABLE,
    ReadingKind,
    SafetyFamily,
    SafetyRule,
    Understanding,
)
from service.words.catalog import Term
from service.words.keywords import Keywords, Match

TOPIC_PREFIX = "topic."
# A YES to the back-pain check-in is a report of severe back pain: the triage table's row.
CHECKIN_BACK_PAIN = SAFETY_TABLE[SafetyFamily.BACK_PAIN]
# The model's labels the conversation acts on besides topics and safety.
MENU_LABEL = "command.menu"
JOIN_LABEL = "command.join"
YES_LABEL = "answer.yes"
NO_LABEL = "answer.no"
CHAT_REPLIES = {"chat.thanks": "chat.thanks", "chat.greeting": "chat.greeting"}

ASK_STAGE = EnrollmentStep.STAGE
ASK_DUE_DATE = EnrollmentStep.DUE_DATE
ASK_BIRTH_DATE = EnrollmentStep.BIRTH_DATE
ASK_CHANNEL = EnrollmentStep.CHANNEL
ASK_CONFIRM = EnrollmentStep.CONFIRM

# What to say to ask (again) the question of each enrollment step.
STEP_QUESTIONS = {
    ASK_STAGE: "enroll.reask_stage",
    ASK_DUE_DATE: "enroll.ask_due_date",
    ASK_BIRTH_DATE: "enroll.ask_birth_date",
    ASK_CHANNEL: "enroll.reask_channel",
    ASK_CONFIRM: "enroll.confirm",
}

# Keywords that act in every state (after STOP and red flags), checked in this order.
COMMAND_INTENTS = ("erase", "help", "join", "start", "language")

# Re-asks that mean "we did not understand": a topic question in their place is answered too.
NOT_UNDERSTOOD = frozenset(
    {"enroll.reask_stage", "enroll.unreadable_date", "enroll.reask_channel", "enroll.reask_confirm"}
)

TOPIC_NAMES = "topic_names"

# Thumbs up and down answer a yes/no question (skin tones and emoji styles aside).
THUMBS_UP = "\N{THUMBS UP SIGN}"
THUMBS_DOWN = "\N{THUMBS DOWN SIGN}"
_EMOJI_DECORATIONS = dict.fromkeys([0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)])
# The statuses that keep a question until it is answered: enrolling people answer their
# enrollment step instead, and a number we never kept has no row to remember it in.
HOLDS_QUESTIONS = frozenset({Status.ACTIVE, Status.STOPPED})


@dataclass(frozen=True)
class Profile:
    """What we know of one phone number; status None means we have never heard from it."""

    status: Status | None = None
    language: str = "en"
    enrollment_step: EnrollmentStep | None = None
    stage: Stage | None = None
    due_date: dt.date | None = None
    birth_date: dt.date | None = None
    channel: Channel = Channel.SMS
    # The last question we asked outside enrollment, and the topics it offered (WHICH_TOPIC):
    # a bare "1" or "YES" answers it, however late, until another question replaces it.
    pending: PendingQuestion | None = None
    pending_options: tuple[str, ...] = ()

    @property
    def has_complete_enrollment(self) -> bool:
        """Whether stage and its date are known, so reminders can resume without asking."""
        if self.stage is Stage.PREGNANT:
            return self.due_date is not None
        return self.stage is Stage.POSTPARTUM and self.birth_date is not None

    @property
    def holds_questions(self) -> bool:
        """Whether a question asked now is remembered until it is answered."""
        return self.status in HOLDS_QUESTIONS

    def asked(self, question: PendingQuestion | None, options: tuple[str, ...] = ()) -> Profile:
        """This profile after we asked `question` (None: nothing is waiting for an answer)."""
        if question is not None and not self.holds_questions:
            return self
        return dataclasses.replace(self, pending=question, pending_options=options)


@dataclass(frozen=True)
class Reply:
    """One text to send back, by catalog id, with the values for its placeholders."""

    message_id: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """The new profile, the replies, and what must be recorded."""

    profile: Profile
    replies: tuple[Reply, ...]
    consent: ConsentAction | None = None
    consent_disclosure: str | None = None
    # A warning sign for the care team: its family and urgency, from the one triage table.
    escalation: SafetyRule | None = None
    reply_language: str | None = None
    # The person asked us to erase their data (DELETE / BORRAR): only the consent log stays.
    erase: bool = False

    @property
    def language(self) -> str:
        """The language the replies are written in (the profile's unless a keyword chose)."""
        return self.reply_language or self.profile.language


@dataclass(frozen=True)
class Inbound:
    """One inbound text with the context a decision needs, and what it was understood to mean."""

    profile: Profile
    text: str
    today: dt.date
    keywords: Keywords
    reading: Understanding


def respond(
    profile: Profile,
    text: str,
    today: dt.date,
    keywords: Keywords,
    reading: Understanding | None = None,
) -> Outcome:
    """Decide the replies and state changes for one inbound text."""
    text = text or ""
    if reading is None:
        reading = read(profile, text)
    inbound = Inbound(profile, text, today, keywords, reading)
    for decide in DECISIONS:
        outcome = decide(inbound)
        if outcome is not None:
            return outcome
    return _fallback(inbound)


def read(profile: Profile, text: str) -> Understanding:
    """What a text means, for this person (their stage decides some warning signs)."""
    known = profile.language if profile.status is not None else None
    return read_words(text, stage=profile.stage, language=known)


def _opt_out(inbound: Inbound) -> Outcome | None:
    """STOP and its kin, or a plain request to stop: first, always, by exact keyword."""
    keywords, text = inbound.keywords, inbound.text
    match = keywords.whole(text, ("stop",)) or keywords.phrase(text, "stop")
    return _stop(inbound, match) if match else None


def _safety(inbound: Inbound) -> Outcome | None:
    """A warning sign reported now: what to do and a record for the care team, before anything
    but STOP, in any state."""
    reading = inbound.reading
    rule = reading.safety
    if rule is None or reading.kind is not ReadingKind.SAFETY:
        return None
    profile = inbound.profile
    language = _written_in(inbound)
    if rule.family is SafetyFamily.BACK_PAIN and profile.pending is PendingQuestion.CHECKIN:
        # "yes, my back hurts so bad" answers the check-in too.
        profile = profile.asked(None)
    return Outcome(
        profile,
        (Reply(rule.reply_id),),
        escalation=rule if rule.alert else None,
        reply_language=language,
    )


def _safety_check(inbound: Inbound) -> Outcome | None:
    """Maybe a warning sign (a question about one, a past or denied one): what to do if it is
    happening now, and no alert. It comes after the answers to our own questions, so a date or
    a YES we asked for is read as that answer."""
    reading = inbound.reading
    rule = reading.safety
    if rule is None or reading.kind is not ReadingKind.SAFETY_CHECK:
        return None
    return Outcome(inbound.profile, (Reply(rule.check_id),), reply_language=_written_in(inbound))


def _written_in(inbound: Inbound) -> str:
    """The language to answer free words in: the message's when it clearly is one."""
    return inbound.reading.language or inbound.profile.language


def _command(inbound: Inbound) -> Outcome | None:
    """DELETE, HELP, JOIN, START or a language name as the whole message, in every state."""
    command = inbound.keywords.whole(inbound.text, COMMAND_INTENTS)
    return COMMANDS[command.intent](inbound, command) if command else None


def _yes_after_stop(inbound: Inbound) -> Outcome | None:
    """YES from someone who stopped opts them back in."""
    profile = inbound.profile
    if profile.status is Status.STOPPED and inbound.keywords.whole(inbound.text, ("affirm",)):
        return _start(inbound, Match("start", frozenset({profile.language})))
    return None


def _birth_news(inbound: Inbound) -> Outcome | None:
    """BORN (with or without a date) from someone enrolled or enrolling."""
    born = inbound.keywords.leading(inbound.text, "born")
    if born is not None and inbound.profile.status in (Status.ACTIVE, Status.ENROLLING):
        return _born(inbound, born)
    return None


def _enrollment_answer(inbound: Inbound) -> Outcome | None:
    """The answer to the current enrollment question; a topic question gets its answer too."""
    profile = inbound.profile
    if profile.status is not Status.ENROLLING or profile.enrollment_step not in STEP_ANSWERS:
        return None
    outcome = STEP_ANSWERS[profile.enrollment_step](inbound)
    if outcome.replies[0].message_id not in NOT_UNDERSTOOD or inbound.text.strip().isdigit():
        # Numbers answer the enrollment question, never the menu, while enrolling.
        return outcome
    # Only a sure reading is worth adding to the question asked again: not "which one?".
    asked = _safety_check(inbound) or _topic_question(inbound, sure_only=True)
    if asked is None:
        return outcome
    return dataclasses.replace(asked, replies=asked.replies + outcome.replies)


def _topic_question(inbound: Inbound, sure_only: bool = False) -> Outcome | None:
    """MENU (or asking what they can ask), a menu number, or a question about a topic (or two
    likely topics: "Did you mean 1) X or 2) Y?", unless `sure_only`)."""
    profile, reading = inbound.profile, inbound.reading
    menu = inbound.keywords.whole(inbound.text, ("menu",))
    if menu is not None:
        language = _answer_language(profile, menu.language_for(profile.language))
        return _menu(profile, language)
    if reading.kind is ReadingKind.COMMAND and reading.label == MENU_LABEL:
        return _menu(profile, _answer_language(profile, _written_in(inbound)))
    number = _menu_number(inbound)
    if number is not None:
        return Outcome(profile, (_topic(number),))
    language = _answer_language(profile, _written_in(inbound))
    if reading.kind is ReadingKind.TOPIC:
        replies = (_topic(_topic_name(reading.label)), *_join_hint(profile))
        return Outcome(profile, replies, reply_language=language)
    if reading.kind is ReadingKind.UNSURE_TOPIC and not sure_only:
        first, second = _topic_name(reading.label), _topic_name(reading.runner_up or "")
        if first and second and first != second:
            return _which_topic(inbound, first, second, language)
        return _menu(profile, language)
    return None


def _topic_name(label: str) -> str:
    """The catalog's topic name of a model label ("topic.calcium" -> "calcium"), else ''."""
    return label.removeprefix(TOPIC_PREFIX) if label.startswith(TOPIC_PREFIX) else ""


def _menu_number(inbound: Inbound) -> str | None:
    """The topic a bare menu number names (with nothing else asked, numbers are the menu's)."""
    return inbound.keywords.topic_named_by_number(inbound.text.strip().rstrip(".)"))


def _join_hint(profile: Profile) -> tuple[Reply, ...]:
    """One line on how to join, after answering someone who never joined."""
    return (Reply("join.hint"),) if profile.status is None else ()


def _menu(profile: Profile, language: str) -> Outcome:
    """The topic list: a number answers it."""
    menu = profile.asked(PendingQuestion.MENU)
    return Outcome(menu, (Reply("menu.list"),), reply_language=language)


def _topic(name: str) -> Reply:
    """A topic's answer."""
    return Reply(TOPIC_PREFIX + name)


def _asked_in_words(inbound: Inbound) -> Outcome | None:
    """Signing up asked for in words ("how do I sign up?") by someone not signed up."""
    reading, profile = inbound.reading, inbound.profile
    if reading.kind is not ReadingKind.COMMAND or reading.label != JOIN_LABEL:
        return None
    if profile.status is Status.ENROLLING:
        return None
    language = _written_in(inbound)
    return _join(inbound, Match("join", frozenset({language})))


def _which_topic(inbound: Inbound, first: str, second: str, language: str) -> Outcome:
    """Two topics fit: ask which, so a 1 or a 2 answers (menu numbers where nothing is kept)."""
    profile = inbound.profile
    names = {"first": Term(TOPIC_NAMES, first), "second": Term(TOPIC_NAMES, second)}
    if profile.holds_questions:
        asked = profile.asked(PendingQuestion.WHICH_TOPIC, (first, second))
        return Outcome(asked, (Reply("menu.which_topic", names),), reply_language=language)
    keywords = inbound.keywords
    reply = Reply(
        "menu.which_one",
        {
            **names,
            "first_number": keywords.topic_number(first),
            "second_number": keywords.topic_number(second),
        },
    )
    return Outcome(profile, (reply,), reply_language=language)


def _answer_language(profile: Profile, keyword_language: str) -> str:
    """A known person hears back in their language; a stranger in the words they used."""
    return keyword_language if profile.status is None else profile.language


def _reply(
    profile: Profile,
    message_id: str,
    consent: ConsentAction | None = None,
    **params: object,
) -> Outcome:
    """An outcome with one reply; an opt-in or opt-out names that reply as its disclosure."""
    return Outcome(
        profile=profile,
        replies=(Reply(message_id, params),),
        consent=consent,
        consent_disclosure=message_id if consent else None,
    )


def _stop(inbound: Inbound, match: Match) -> Outcome:
    """Opt out at once, in any state, with exactly one confirmation."""
    language = match.language_for(inbound.profile.language)
    profile = dataclasses.replace(
        inbound.profile, status=Status.STOPPED, enrollment_step=None, language=language
    ).asked(None)
    return _reply(profile, "optout.confirm", ConsentAction.OPT_OUT)


def _erase(inbound: Inbound, match: Match) -> Outcome:
    """Forget the person (DELETE / BORRAR): an opt-out that also erases what we know of them."""
    language = match.language_for(inbound.profile.language)
    stopped = Profile(status=Status.STOPPED, language=language)
    outcome = _reply(stopped, "erase.confirm", ConsentAction.OPT_OUT)
    return dataclasses.replace(outcome, erase=True)


def _help(inbound: Inbound, match: Match) -> Outcome:
    """The HELP text, in the keyword's language; nothing else changes."""
    language = match.language_for(inbound.profile.language)
    return Outcome(inbound.profile, (Reply("help.reply"),), reply_language=language)


def _join(inbound: Inbound, match: Match) -> Outcome:
    """Start (or restart) enrollment in the keyword's language."""
    language = match.language_for(inbound.profile.language)
    if inbound.profile.status is Status.ACTIVE:
        return _reply(
            dataclasses.replace(inbound.profile, language=language), "enroll.already_active"
        )
    profile = dataclasses.replace(
        inbound.profile,
        status=Status.ENROLLING,
        enrollment_step=ASK_STAGE,
        language=language,
        pending=None,
        pending_options=(),
    )
    return _reply(profile, "enroll.ask_stage")


def _start(inbound: Inbound, match: Match) -> Outcome:
    """Opt back in: resume reminders when we know enough, else enroll from the start."""
    profile = inbound.profile
    language = match.language_for(profile.language)
    if profile.status is Status.ACTIVE:
        return _reply(dataclasses.replace(profile, language=language), "enroll.already_active")
    if profile.status is Status.ENROLLING:
        return _ask_again(profile)
    if profile.status is Status.STOPPED and profile.has_complete_enrollment:
        resumed = dataclasses.replace(
            profile, status=Status.ACTIVE, enrollment_step=None, language=language
        )
        return _reply(resumed, "optin.welcome_back", ConsentAction.OPT_IN)
    return _join(inbound, match)


def _switch_language(inbound: Inbound, match: Match) -> Outcome:
    """Switch to the keyword's language and, mid-enrollment, ask the current question again."""
    language = sorted(match.languages)[0]
    profile = dataclasses.replace(inbound.profile, language=language)
    replies = [Reply("language.switched")]
    if profile.status is Status.ENROLLING and profile.enrollment_step in STEP_QUESTIONS:
        replies.append(Reply(STEP_QUESTIONS[profile.enrollment_step]))
    return Outcome(profile, tuple(replies))


def _ask_again(profile: Profile) -> Outcome:
    """Repeat the current enrollment question."""
    step = profile.enrollment_step
    return _reply(profile, STEP_QUESTIONS[step] if step else "enroll.ask_stage")


def _born(inbound: Inbound, match: Match) -> Outcome:
    """Record the birth (today when no date is given) and move to the postpartum stage."""
    profile = inbound.profile
    birth_date = inbound.today
    if match.rest:
        parsed = parse_date(match.rest, profile.language, inbound.today, "past")
        if parsed is None:
            return _reply(profile, "born.unreadable_date")
        birth_date = parsed
    problem = birth_date_problem(birth_date, inbound.today)
    if problem is DateProblem.BIRTH_FUTURE:
        return _reply(profile, "born.date_future")
    if problem is not None:
        return _reply(profile, DATE_PROBLEM_TEXTS[problem])
    updated = dataclasses.replace(profile, stage=Stage.POSTPARTUM, birth_date=birth_date)
    if profile.status is Status.ENROLLING:
        updated = dataclasses.replace(updated, enrollment_step=ASK_CHANNEL)
        return _reply(updated, "enroll.ask_channel", date=birth_date)
    return _reply(updated, "born.recorded", date=birth_date)


def _answer_stage(inbound: Inbound) -> Outcome:
    """1 (or "pregnant"): ask the due date; 2 (or "had my baby"): ask the birth date."""
    text = inbound.text.strip()
    keywords = inbound.keywords
    if text == "1" or keywords.whole(text, ("pregnant",)):
        step, stage = ASK_DUE_DATE, Stage.PREGNANT
    elif text == "2" or keywords.whole(text, ("had_baby",)):
        step, stage = ASK_BIRTH_DATE, Stage.POSTPARTUM
    else:
        return _reply(inbound.profile, "enroll.reask_stage")
    profile = dataclasses.replace(inbound.profile, enrollment_step=step, stage=stage)
    return _reply(profile, STEP_QUESTIONS[step])


def _answer_due_date(inbound: Inbound) -> Outcome:
    """A due date from today up to 10 months ahead."""
    return _answer_date(inbound, "future", "due_date", due_date_problem)


def _answer_birth_date(inbound: Inbound) -> Outcome:
    """A birth date in the past year."""
    return _answer_date(inbound, "past", "birth_date", birth_date_problem)


# What to say when a date makes no sense, by its problem.
DATE_PROBLEM_TEXTS = {
    DateProblem.DUE_PAST: "enroll.due_date_past",
    DateProblem.DUE_TOO_FAR: "enroll.due_date_too_far",
    DateProblem.BIRTH_FUTURE: "enroll.birth_date_future",
    DateProblem.BIRTH_TOO_OLD: "enroll.birth_date_too_old",
}


def _answer_date(
    inbound: Inbound,
    prefer: Literal["future", "past"],
    attribute: str,
    problem_with: Callable[[dt.date, dt.date], DateProblem | None],
) -> Outcome:
    """Read a date, re-ask clearly when it makes no sense, else move on to the channel."""
    profile = inbound.profile
    date = parse_date(inbound.text, profile.language, inbound.today, prefer)
    if date is None:
        return _reply(profile, "enroll.unreadable_date")
    problem = problem_with(date, inbound.today)
    if problem:
        return _reply(profile, DATE_PROBLEM_TEXTS[problem])
    changes: dict[str, object] = {attribute: date, "enrollment_step": ASK_CHANNEL}
    updated = dataclasses.replace(profile, **changes)  # type: ignore[arg-type]
    return _reply(updated, "enroll.ask_channel", date=date)


def _answer_channel(inbound: Inbound) -> Outcome:
    """1 (or "text"): reminders by SMS; 2 (or "call"): by phone call. Then the disclosure."""
    text = inbound.text.strip()
    keywords = inbound.keywords
    if text == "1" or keywords.whole(text, ("text_channel",)):
        channel = Channel.SMS
    elif text == "2" or keywords.whole(text, ("call_channel",)):
        channel = Channel.VOICE
    else:
        return _reply(inbound.profile, "enroll.reask_channel")
    profile = dataclasses.replace(inbound.profile, channel=channel, enrollment_step=ASK_CONFIRM)
    return _reply(profile, "enroll.confirm")


def _answer_confirm(inbound: Inbound) -> Outcome:
    """YES (or SI) makes the person active: the double opt-in."""
    if not inbound.keywords.whole(inbound.text, ("affirm",)):
        return _reply(inbound.profile, "enroll.reask_confirm")
    profile = dataclasses.replace(inbound.profile, status=Status.ACTIVE, enrollment_step=None)
    outcome = _reply(profile, "enroll.welcome", ConsentAction.OPT_IN)
    # The person agreed to the disclosure they were shown, not to the welcome text.
    return dataclasses.replace(outcome, consent_disclosure="enroll.confirm")


def _pending_answer(inbound: Inbound) -> Outcome | None:
    """A bare answer to the last question we asked means what that question offered."""
    profile = inbound.profile
    if profile.pending is None or not profile.holds_questions:
        return None
    return PENDING_ANSWERS[profile.pending](inbound)


def _checkin_answer(inbound: Inbound) -> Outcome | None:
    """YES (1, SI, a thumbs up) to the back-pain check-in: the safety reply and an escalation."""
    answer = yes_or_no(inbound.text, inbound.keywords, inbound.reading)
    if answer is None or inbound.profile.status is not Status.ACTIVE:
        return None
    answered = inbound.profile.asked(None)
    if answer:
        outcome = _reply(answered, "checkin_reply.pain")
        return dataclasses.replace(outcome, escalation=CHECKIN_BACK_PAIN)
    return _reply(answered, "checkin_reply.no_pain")


def yes_or_no(text: str, keywords: Keywords, reading: Understanding | None = None) -> bool | None:
    """True for yes (YES, 1, SI, "yes I do", a thumbs up), False for no (NO, 2, "nope", a
    thumbs down), else None."""
    emoji = text.strip().translate(_EMOJI_DECORATIONS)
    if emoji and emoji == THUMBS_UP * len(emoji):
        return True
    if emoji and emoji == THUMBS_DOWN * len(emoji):
        return False
    answer = keywords.whole(text, ("checkin_yes", "checkin_no"))
    if answer is not None:
        return answer.intent == "checkin_yes"
    if reading is not None and reading.kind is ReadingKind.ANSWER:
        return {YES_LABEL: True, NO_LABEL: False}.get(reading.label)
    return None


def _menu_answer(inbound: Inbound) -> Outcome | None:
    """A menu number after the menu: that topic."""
    name = _menu_number(inbound)
    if name is None:
        return None
    return Outcome(inbound.profile.asked(None), (_topic(name),))


def _which_topic_answer(inbound: Inbound) -> Outcome | None:
    """1 or 2 after "Did you mean 1) X or 2) Y?": that topic."""
    options = inbound.profile.pending_options
    choice = inbound.text.strip().rstrip(".)")
    if choice not in ("1", "2") or len(options) < int(choice):
        return None
    return Outcome(inbound.profile.asked(None), (_topic(options[int(choice) - 1]),))


def _fallback(inbound: Inbound) -> Outcome:
    """A short helpful reply: a word back to thanks or hello, else how to see the menu."""
    profile, reading = inbound.profile, inbound.reading
    language = _answer_language(profile, _written_in(inbound))
    if profile.status in (Status.ACTIVE, Status.ENROLLING):
        chat = CHAT_REPLIES.get(reading.label) if reading.kind is ReadingKind.CHAT else None
        message = chat or "fallback.unknown"
    else:
        message = "fallback.not_subscribed"
    return Outcome(profile, (Reply(message),), reply_language=language)


COMMANDS: dict[str, Callable[[Inbound, Match], Outcome]] = {
    "stop": _stop,
    "erase": _erase,
    "help": _help,
    "join": _join,
    "start": _start,
    "language": _switch_language,
}

PENDING_ANSWERS: dict[PendingQuestion, Callable[[Inbound], Outcome | None]] = {
    PendingQuestion.CHECKIN: _checkin_answer,
    PendingQuestion.MENU: _menu_answer,
    PendingQuestion.WHICH_TOPIC: _which_topic_answer,
}

STEP_ANSWERS: dict[str, Callable[[Inbound], Outcome]] = {
    ASK_STAGE: _answer_stage,
    ASK_DUE_DATE: _answer_due_date,
    ASK_BIRTH_DATE: _answer_birth_date,
    ASK_CHANNEL: _answer_channel,
    ASK_CONFIRM: _answer_confirm,
}

# Each inbound text goes down this list; the first decision that applies answers it.
DECISIONS: tuple[Callable[[Inbound], Outcome | None], ...] = (
    _opt_out,
    _safety,
    _command,
    _pending_answer,
    _yes_after_stop,
    _birth_news,
    _enrollment_answer,
    _safety_check,
    _topic_question,
    _asked_in_words,
)
