"""The text conversation as a pure function: (profile, inbound text, today) -> outcome.

No Flask, no database, no Twilio: `service.flows.inbound_text` loads and saves what it decides.
What a message means comes from `service.understanding`: the compliance words exactly first
(STOP and its kin), then safety triage, then commands, answers and topics. Digits never reach
the model: they answer the question we asked last (`Profile.pending`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from service.domain.dates import (
    DateProblem,
    birth_date_problem,
    due_date_problem,
    read_birth_date,
    read_due_date,
)
from service.domain.life import FOLLOW_UP_REASON, LifeEvent, next_status, pause_until
from service.domain.reading import read as read_words
from service.understanding import (
    SAFETY_TABLE,
    ReadingKind,
    SafetyFamily,
    SafetyRule,
    Understanding,
)
from service.vocabulary import (
    Channel,
    ConsentAction,
    DayPart,
    EnrollmentStep,
    PendingQuestion,
    Stage,
    Status,
    Track,
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
ASK_CONFIRM_DATE = EnrollmentStep.CONFIRM_DATE
ASK_CHANNEL = EnrollmentStep.CHANNEL
ASK_CONFIRM = EnrollmentStep.CONFIRM

# What to say to ask (again) the question of each enrollment step.
STEP_QUESTIONS = {
    ASK_STAGE: "enroll.reask_stage",
    ASK_DUE_DATE: "enroll.ask_due_date",
    ASK_BIRTH_DATE: "enroll.ask_birth_date",
    ASK_CONFIRM_DATE: "enroll.reask_due_date_check",
    ASK_CHANNEL: "enroll.reask_channel",
    ASK_CONFIRM: "enroll.confirm",
}

# Keywords that act in every state (after STOP and red flags), checked in this order.
COMMAND_INTENTS = ("erase", "help", "join", "start", "language")

# Re-asks that mean "we did not understand": a topic question in their place is answered too.
NOT_UNDERSTOOD = frozenset(
    {
        "enroll.reask_stage",
        "enroll.unreadable_date",
        "enroll.reask_channel",
        "enroll.reask_confirm",
        "enroll.reask_due_date_check",
    }
)

TOPIC_NAMES = "topic_names"

# Thumbs up and down answer a yes/no question (skin tones and emoji styles aside).
THUMBS_UP = "\N{THUMBS UP SIGN}"
THUMBS_DOWN = "\N{THUMBS DOWN SIGN}"
_EMOJI_DECORATIONS = dict.fromkeys([0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)])
# The statuses that keep a question until it is answered: enrolling people answer their
# enrollment step instead, and a number we never kept has no row to remember it in.
HOLDS_QUESTIONS = frozenset({Status.ACTIVE, Status.PAUSED, Status.STOPPED})
# The statuses in which a person can change dates, channel, pause or time of day by text.
MEMBERS = frozenset({Status.ACTIVE, Status.PAUSED})


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
    # Life changes (`domain.life`): a pause's last day, the part of the day, the day we asked
    # about the birth (or they said NOT YET), the day we assumed it, a loss, breastfeeding.
    paused_until: dt.date | None = None
    day_part: DayPart | None = None
    birth_asked_on: dt.date | None = None
    birth_assumed_on: dt.date | None = None
    loss_on: dt.date | None = None
    breastfeeding: bool | None = None
    weaned_on: dt.date | None = None
    track: Track = Track.BABY

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
    # A non-urgent follow-up for the care team (a loss), by its escalation reason.
    follow_up: str | None = None

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
    if born is None or inbound.profile.loss_on is not None:
        return None
    if inbound.profile.status in (*MEMBERS, Status.ENROLLING):
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
    profile = inbound.profile
    if profile.status in MEMBERS and profile.loss_on is None:
        return _reply(dataclasses.replace(profile, language=language), "enroll.already_active")
    # A new pregnancy starts from nothing: no loss, no pause, no old dates or answers.
    fresh = Profile(
        status=Status.ENROLLING,
        enrollment_step=ASK_STAGE,
        language=language,
        channel=profile.channel,
    )
    return _reply(fresh, "enroll.ask_stage")


def _start(inbound: Inbound, match: Match) -> Outcome:
    """Opt back in: resume reminders when we know enough, else enroll from the start."""
    profile = inbound.profile
    language = match.language_for(profile.language)
    if profile.status in MEMBERS:
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
        parsed = read_birth_date(match.rest, profile.language, inbound.today)
        if parsed is None:
            return _reply(profile, "born.unreadable_date")
        birth_date = parsed
    problem = birth_date_problem(birth_date, inbound.today)
    if problem is DateProblem.BIRTH_FUTURE:
        return _reply(profile, "born.date_future")
    if problem is not None:
        return _reply(profile, DATE_PROBLEM_TEXTS[problem])
    return _birth_on(profile, birth_date)


def _birth_on(profile: Profile, birth_date: dt.date) -> Outcome:
    """After-birth tips from `birth_date`; a member is asked, once, about breastfeeding."""
    updated = dataclasses.replace(
        profile, stage=Stage.POSTPARTUM, birth_date=birth_date, birth_assumed_on=None
    )
    if profile.status is Status.ENROLLING:
        updated = dataclasses.replace(updated, enrollment_step=ASK_CHANNEL)
        return _reply(updated, "enroll.ask_channel", date=birth_date)
    if profile.stage is Stage.POSTPARTUM and profile.birth_assumed_on is None:
        # A corrected birth date: the breastfeeding question was asked already.
        return _reply(updated.asked(None), "born.recorded", date=birth_date)
    asked = updated.asked(PendingQuestion.FEEDING)
    return Outcome(asked, (Reply("born.recorded", {"date": birth_date}), Reply("feed.ask")))


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
    """A due date, or how far along: from two weeks ago up to 10 months ahead.

    A date worked out from weeks or months, or one already past, is said back for a yes.
    """
    profile = inbound.profile
    reading = read_due_date(inbound.text, profile.language, inbound.today)
    if reading is None:
        return _reply(profile, "enroll.unreadable_date")
    problem = due_date_problem(reading.date, inbound.today)
    if problem:
        return _reply(profile, DATE_PROBLEM_TEXTS[problem])
    if not reading.needs_read_back(inbound.today):
        return _date_accepted(profile, "due_date", reading.date)
    checking = dataclasses.replace(profile, due_date=reading.date, enrollment_step=ASK_CONFIRM_DATE)
    past = reading.date < inbound.today
    return _reply(checking, DUE_DATE_CHECKS[past], date=reading.date)


# How a due date is said back: worked out from weeks or months, or already past.
DUE_DATE_CHECKS = {False: "enroll.due_date_check", True: "enroll.due_date_past_check"}


def _answer_due_date_check(inbound: Inbound) -> Outcome:
    """YES keeps the due date said back; NO asks again; another date is read instead."""
    profile = inbound.profile
    keywords = inbound.keywords
    if keywords.whole(inbound.text, ("affirm",)) and profile.due_date is not None:
        return _date_accepted(profile, "due_date", profile.due_date)
    if keywords.whole(inbound.text, ("deny",)):
        asking = dataclasses.replace(profile, due_date=None, enrollment_step=ASK_DUE_DATE)
        return _reply(asking, "enroll.ask_due_date")
    outcome = _answer_due_date(inbound)
    if outcome.replies[0].message_id == "enroll.unreadable_date":
        return _reply(profile, "enroll.reask_due_date_check")
    return outcome


def _answer_birth_date(inbound: Inbound) -> Outcome:
    """A birth date in the past year: a date, "yesterday", "last Tuesday", "3 weeks ago"."""
    profile = inbound.profile
    date = read_birth_date(inbound.text, profile.language, inbound.today)
    if date is None:
        return _reply(profile, "enroll.unreadable_date")
    problem = birth_date_problem(date, inbound.today)
    if problem:
        return _reply(profile, DATE_PROBLEM_TEXTS[problem])
    return _date_accepted(profile, "birth_date", date)


# What to say when a date makes no sense, by its problem.
DATE_PROBLEM_TEXTS = {
    DateProblem.DUE_PAST: "enroll.due_date_past",
    DateProblem.DUE_TOO_FAR: "enroll.due_date_too_far",
    DateProblem.BIRTH_FUTURE: "enroll.birth_date_future",
    DateProblem.BIRTH_TOO_OLD: "enroll.birth_date_too_old",
}


def _date_accepted(profile: Profile, attribute: str, date: dt.date) -> Outcome:
    """Keep the date and move on to the channel question."""
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
    """A short helpful reply: a word back to thanks or hello, else how to see the menu (never
    "did not understand" to someone whose program ended)."""
    profile, reading = inbound.profile, inbound.reading
    language = _answer_language(profile, _written_in(inbound))
    if profile.status is Status.COMPLETED:
        message = "fallback.completed"
    elif profile.status in (*MEMBERS, Status.ENROLLING):
        chat = CHAT_REPLIES.get(reading.label) if reading.kind is ReadingKind.CHAT else None
        message = chat or _hint(inbound) or "fallback.unknown"
    else:
        message = "fallback.not_subscribed"
    return Outcome(profile, (Reply(message),), reply_language=language)


# A change read with too little confidence to make (or said where it does not apply) gets
# the exact words that make it; a yes or no with no question waiting gets a word back.
# A loss is never hinted at: a wrong guess about a loss would hurt.
HINTS = {
    "life.born": "hint.born",
    "life.not_yet": "hint.not_yet",
    "life.weaned": "hint.weaned",
    "change.due_date": "hint.due_date",
    "change.calls": "hint.calls",
    "change.texts": "hint.texts",
    "change.pause": "hint.pause",
    "change.resume": "hint.resume",
    YES_LABEL: "chat.ok",
    NO_LABEL: "chat.ok",
}


def _hint(inbound: Inbound) -> str | None:
    """The hint for a member's change or answer we did not act on, else None."""
    reading = inbound.reading
    if inbound.profile.status not in MEMBERS:
        return None
    if reading.kind not in (ReadingKind.LIFE, ReadingKind.CHANGE, ReadingKind.ANSWER):
        return None
    return HINTS.get(reading.label)


# Life changes after joining: loss, the birth question, DUE, TEXTS/CALLS, PAUSE/RESUME, the
# part of the day, breastfeeding. Status moves come from `domain.life.TRANSITIONS`.


def _loss_news(inbound: Inbound) -> Outcome | None:
    """A loss in the plain words people use ("I lost my baby", "perdí a mi bebé")."""
    if inbound.keywords.phrase(inbound.text, "loss") is None:
        return None
    return _loss(inbound)


def _loss(inbound: Inbound) -> Outcome:
    """A loss: a kind reply; nothing about a baby is ever sent again."""
    profile = inbound.profile
    paused = next_status(profile.status, LifeEvent.LOSS)
    if paused is None:
        return _reply(profile.asked(None), "loss.sorry_short")
    waiting = dataclasses.replace(
        profile,
        status=paused,
        paused_until=None,
        loss_on=inbound.today,
        track=Track.SELF_CARE,
        breastfeeding=None,
    ).asked(PendingQuestion.LOSS_CHOICE)
    outcome = _reply(waiting, "loss.sorry", ConsentAction.LOSS)
    return dataclasses.replace(outcome, follow_up=FOLLOW_UP_REASON)


def _loss_choice(inbound: Inbound) -> Outcome | None:
    """After a loss: 1 keeps bone tips for themselves (no baby words), 2 stops everything."""
    answer = yes_or_no(inbound.text, inbound.keywords)
    if answer is None:
        return None
    profile = inbound.profile.asked(None)
    if not answer:
        stopped = dataclasses.replace(profile, status=Status.STOPPED, paused_until=None)
        return _reply(stopped, "loss.stopped", ConsentAction.OPT_OUT)
    keeping = dataclasses.replace(
        profile, status=next_status(profile.status, LifeEvent.KEEP_SELF_CARE) or profile.status
    )
    outcome = _reply(keeping, "loss.keep", ConsentAction.OPT_IN)
    # They agreed to the offer in the kind reply.
    return dataclasses.replace(outcome, consent_disclosure="loss.sorry")


def _birth_question_answer(inbound: Inbound) -> Outcome | None:
    """ "Has your baby arrived?": YES asks the day, NO means not yet, a date is the day."""
    profile = inbound.profile
    answer = yes_or_no(inbound.text, inbound.keywords)
    if answer is True:
        return _reply(profile, "life.born_when")
    if answer is False:
        return _not_yet(inbound)
    date = read_birth_date(inbound.text, profile.language, inbound.today)
    if date is None or birth_date_problem(date, inbound.today) is not None:
        return None
    return _birth_on(profile.asked(None), date)


def _not_yet(inbound: Inbound) -> Outcome:
    """Not born yet: pregnancy tips go on, and we wait a week more before assuming the birth."""
    profile = inbound.profile
    if profile.status not in MEMBERS or profile.stage is not Stage.PREGNANT:
        return _reply(profile.asked(None), "fallback.unknown")
    waiting = dataclasses.replace(profile, birth_asked_on=inbound.today).asked(None)
    return _reply(waiting, "life.not_yet")


def _feeding_answer(inbound: Inbound) -> Outcome | None:
    """ "Are you breastfeeding?": 1 yes, 2 no, SKIP; anything else goes on as usual."""
    profile = inbound.profile
    if inbound.keywords.whole(inbound.text, ("skip",)):
        return _reply(profile.asked(None), "feed.skipped")
    answer = yes_or_no(inbound.text, inbound.keywords)
    if answer is None:
        return None
    answered = dataclasses.replace(profile, breastfeeding=answer).asked(None)
    return _reply(answered, "feed.yes" if answer else "feed.no")


def _due_check_answer(inbound: Inbound) -> Outcome | None:
    """YES keeps the due date said back; NO asks for it again."""
    profile = inbound.profile
    answer = yes_or_no(inbound.text, inbound.keywords)
    if answer is None or not profile.pending_options:
        return None
    if not answer:
        return _reply(profile.asked(None), "change.due_ask")
    return _new_due_date(profile.asked(None), dt.date.fromisoformat(profile.pending_options[0]))


def _new_due_date(profile: Profile, due: dt.date) -> Outcome:
    """Pregnancy tips counted to the new due date (an assumed birth is undone)."""
    updated = dataclasses.replace(
        profile,
        stage=Stage.PREGNANT,
        due_date=due,
        birth_date=None,
        birth_assumed_on=None,
        birth_asked_on=None,
        breastfeeding=None,
    )
    return _reply(updated, "change.due_recorded", date=due)


def _life_command(inbound: Inbound) -> Outcome | None:
    """DUE, NOT YET, TEXTS/CALLS, PAUSE/RESUME, MORNING/AFTERNOON/EVENING, WEANED by members."""
    profile = inbound.profile
    if profile.status not in MEMBERS:
        return None
    keywords, text = inbound.keywords, inbound.text
    for intent in LEADING_CHANGES:
        match = keywords.leading(text, intent)
        if match is not None:
            return LEADING_CHANGES[intent](inbound, match)
    match = keywords.whole(text, tuple(WHOLE_CHANGES))
    return WHOLE_CHANGES[match.intent](inbound, match) if match else None


def _due(inbound: Inbound, match: Match, check: bool = False) -> Outcome:
    """DUE <date or weeks>: a new due date, said back for a yes when worked out or past (or
    when `check`: read from someone's own words, never taken without a yes)."""
    profile = inbound.profile
    if profile.loss_on is not None:
        return _reply(profile, "change.not_signed_up")
    reading = read_due_date(match.rest, profile.language, inbound.today) if match.rest else None
    if reading is None:
        return _reply(profile, "change.due_unreadable")
    if due_date_problem(reading.date, inbound.today) is not None:
        return _reply(profile, "change.due_problem")
    if not (check or reading.needs_read_back(inbound.today)):
        return _new_due_date(profile.asked(None), reading.date)
    checking = profile.asked(PendingQuestion.DUE_CHECK, (reading.date.isoformat(),))
    past = reading.date < inbound.today
    return _reply(
        checking, "change.due_past_check" if past else "change.due_check", date=reading.date
    )


def _channel(inbound: Inbound, match: Match) -> Outcome:
    """TEXTS / MENSAJES or CALLS / LLAMADAS: how tips come from now on."""
    channel = Channel.SMS if match.intent == "text_channel" else Channel.VOICE
    updated = dataclasses.replace(inbound.profile, channel=channel)
    message_id = "change.texts" if channel is Channel.SMS else "change.calls"
    return _reply(updated, message_id, ConsentAction.CHANNEL)


def _pause(inbound: Inbound, match: Match) -> Outcome:
    """PAUSE [weeks] / PAUSA [semanas]: nothing scheduled until then (2 weeks if not said)."""
    profile = inbound.profile
    weeks = match.rest.split()[0] if match.rest.split() else ""
    status = next_status(profile.status, LifeEvent.PAUSE)
    if status is None or (weeks and not weeks.isdigit()):
        return _reply(profile, "fallback.unknown")
    until = pause_until(inbound.today, int(weeks) if weeks else None)
    paused = dataclasses.replace(profile, status=status, paused_until=until)
    return _reply(paused, "change.paused", ConsentAction.PAUSE, date=until)


def _resume(inbound: Inbound, match: Match) -> Outcome:
    """RESUME / SEGUIR: tips start again now."""
    profile = inbound.profile
    status = next_status(profile.status, LifeEvent.RESUME)
    if status is None:
        return _reply(profile, "change.not_paused")
    if profile.loss_on is not None and profile.pending is PendingQuestion.LOSS_CHOICE:
        # After a loss, starting again means bone tips for themselves.
        return _loss_choice(dataclasses.replace(inbound, text="1")) or _reply(profile, "loss.keep")
    resumed = dataclasses.replace(profile, status=status, paused_until=None)
    return _reply(resumed, "change.resumed", ConsentAction.RESUME)


def _day_part(inbound: Inbound, match: Match) -> Outcome:
    """MORNING / AFTERNOON / EVENING (MANANA / TARDE / NOCHE), inside the legal window."""
    part = DayPart(match.intent)
    updated = dataclasses.replace(inbound.profile, day_part=part)
    return _reply(updated, "change.day_part", part=Term(DAY_PARTS, part.value))


def _weaned(inbound: Inbound, match: Match) -> Outcome:
    """WEANED / DESTETE [date]: breastfeeding ends; the program runs 6 months more."""
    profile = inbound.profile
    if profile.stage is not Stage.POSTPARTUM or profile.loss_on is not None:
        return _reply(profile, "fallback.unknown")
    day = inbound.today
    if match.rest:
        day = read_birth_date(match.rest, profile.language, inbound.today) or inbound.today
    weaned = dataclasses.replace(profile, breastfeeding=False, weaned_on=min(day, inbound.today))
    return _reply(weaned.asked(None), "feed.weaned")


def _life_words(inbound: Inbound) -> Outcome | None:
    """A loss, a birth, a weaning or a change said in the person's own words (the reading)."""
    profile = inbound.profile
    if profile.status not in (*MEMBERS, Status.ENROLLING) or not inbound.text.strip():
        return None
    reading = inbound.reading
    if reading.kind not in (ReadingKind.LIFE, ReadingKind.CHANGE):
        return None
    if reading.confidence < LIFE_WORDS_CONFIDENCE:
        return None
    if reading.label == "life.loss":
        return _loss(inbound)
    said = LIFE_WORDS.get(reading.label)
    if said is None or profile.status not in MEMBERS:
        return None
    return said(inbound, Match(reading.label, frozenset({profile.language}), inbound.text))


def _born_in_words(inbound: Inbound, match: Match) -> Outcome | None:
    """ "My baby was born yesterday": the birth, on the day the words name (else today)."""
    profile = inbound.profile
    if profile.loss_on is not None:
        return None
    day = read_birth_date(match.rest, profile.language, inbound.today) or inbound.today
    if birth_date_problem(day, inbound.today) is not None:
        day = inbound.today
    return _birth_on(profile.asked(None), day)


def _pause_in_words(inbound: Inbound, match: Match) -> Outcome:
    """ "Please pause for 3 weeks": a pause of the weeks named (else 2)."""
    weeks = re.search(r"\b(\d{1,2})\s*(?:weeks?|semanas?)\b", match.rest.lower())
    return _pause(inbound, dataclasses.replace(match, rest=weeks.group(1) if weeks else ""))


def _not_yet_command(inbound: Inbound, match: Match) -> Outcome:
    """NOT YET / NO TODAVIA, the answer to "Has your baby arrived?"."""
    return _not_yet(inbound)


DAY_PARTS = "day_parts"
# How sure the understanding layer must be before words change someone's program.
LIFE_WORDS_CONFIDENCE = 0.7

# Keywords followed by more words (a date, a number of weeks), then whole-message keywords.
LEADING_CHANGES: dict[str, Callable[[Inbound, Match], Outcome]] = {
    "due": _due,
    "pause": _pause,
    "weaned": _weaned,
}
# The understanding layer's labels, and what each does for a member (a loss: `_loss`).
LIFE_WORDS: dict[str, Callable[[Inbound, Match], Outcome | None]] = {
    "life.born": _born_in_words,
    "life.not_yet": lambda inbound, match: _not_yet(inbound),
    "life.weaned": lambda inbound, match: _weaned(inbound, dataclasses.replace(match, rest="")),
    "change.due_date": lambda inbound, match: _due(inbound, match, check=True),
    "change.texts": lambda inbound, match: _channel(
        inbound, Match("text_channel", match.languages)
    ),
    "change.calls": lambda inbound, match: _channel(
        inbound, Match("call_channel", match.languages)
    ),
    "change.pause": _pause_in_words,
    "change.resume": lambda inbound, match: _resume(inbound, match),
}
WHOLE_CHANGES: dict[str, Callable[[Inbound, Match], Outcome]] = {
    "not_yet": _not_yet_command,
    "resume": _resume,
    "text_channel": _channel,
    "call_channel": _channel,
    "morning": _day_part,
    "afternoon": _day_part,
    "evening": _day_part,
}


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
    PendingQuestion.BIRTH: _birth_question_answer,
    PendingQuestion.FEEDING: _feeding_answer,
    PendingQuestion.LOSS_CHOICE: _loss_choice,
    PendingQuestion.DUE_CHECK: _due_check_answer,
}

STEP_ANSWERS: dict[str, Callable[[Inbound], Outcome]] = {
    ASK_STAGE: _answer_stage,
    ASK_DUE_DATE: _answer_due_date,
    ASK_BIRTH_DATE: _answer_birth_date,
    ASK_CONFIRM_DATE: _answer_due_date_check,
    ASK_CHANNEL: _answer_channel,
    ASK_CONFIRM: _answer_confirm,
}

# Each inbound text goes down this list; the first decision that applies answers it.
DECISIONS: tuple[Callable[[Inbound], Outcome | None], ...] = (
    _opt_out,
    _safety,
    _command,
    _loss_news,
    _pending_answer,
    _yes_after_stop,
    _birth_news,
    _life_command,
    _life_words,
    _enrollment_answer,
    _safety_check,
    _topic_question,
    _asked_in_words,
)
