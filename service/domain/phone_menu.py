"""The phone menu for people who call in, as a table of nodes: (state, keypress or words) -> plan.

No Flask, no database, no Twilio: `service.flows.call_step` records the plan's effects and the
gateway renders it. Where the caller is lives in the action URL's query string, so a call needs
no table of its own. Every spoken answer is read by `service.understanding` first: a warning
sign said anywhere gets the spoken safety message (and an escalation), then the menu again; a
topic said at any menu plays that topic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

from service.domain.call_plan import (
    Ask,
    ChangeChannel,
    ChangeDate,
    Effect,
    Escalate,
    KeepSelfCare,
    Line,
    OptOut,
    Pause,
    Plan,
    ReportLoss,
    Resume,
    SendText,
    SetDayPart,
    SetFeeding,
    Subscribe,
    Weaned,
)
from service.domain.dates import (
    DateProblem,
    birth_date_problem,
    due_date_problem,
    read_birth_date,
    read_due_date,
)
from service.domain.reading import read
from service.understanding import ReadingKind, Understanding
from service.words.keywords import TOPIC_PREFIX, normalize

MENU_PATH = "/voice/menu"
LANGUAGES = ("en", "es")
REPEAT_KEY = "9"
MAIN_MENU_KEY = "*"
LAST_REMINDER_KEY = "5"
CHECKIN_PREFIX = "checkin."
# Said after a check-in played back from the menu.
CHECKIN_PLAYBACK = "voice.last_reminder.back_pain"
# A reminder or check-in id, as the last one a caller got travels in the URL.
REMINDER_ID = re.compile(r"^(reminder|checkin)\.[a-z0-9_]+(\.[a-z0-9_]+)*$")
# Two simpler reprompts after the first try, then the offer of a text, then goodbye.
REPROMPTS = 2

SpeechWords = Mapping[str, Mapping[str, tuple[str, ...]]]


@dataclass(frozen=True)
class Option:
    """What one key (or its spoken words) does in a node."""

    intent: str
    goto: str | None = None
    action: str | None = None
    # State to set when this option is chosen (language, stage, channel).
    sets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Node:
    """One prompt of the phone menu."""

    prompt: str
    simple: str
    text_id: str
    options: Mapping[str, Option] = field(default_factory=dict)
    # Said on arrival and on a repeat, not on a reprompt (a tip, the back pain facts).
    lead: str | None = None
    # A menu counts toward the depth limit; a question is one step of a task (signing up).
    kind: Literal["menu", "question"] = "menu"
    # The name of a reader in READERS for free answers (a date), instead of keys.
    reader: str | None = None
    # After a text offer fails the call ends; nowhere else.
    ends_on_failure: bool = False


@dataclass(frozen=True)
class CallState:
    """Where a caller is, as carried in the action URL."""

    node: str = "language"
    language: str = ""
    tries: int = 0
    stage: str = ""
    date: dt.date | None = None
    channel: str = ""
    about: str = ""
    # "change": a member changing a date on the change menu, not signing up.
    mode: str = ""
    # The reminder being played back (its catalog id), on the "hear your last reminder" node.
    message: str = ""

    @property
    def speaks(self) -> tuple[str, ...]:
        """The languages to speak in: both until the caller has chosen."""
        return (self.language,) if self.language in LANGUAGES else LANGUAGES

    @property
    def voice_language(self) -> str:
        """The language speech is recognized in."""
        return self.language if self.language in LANGUAGES else "en"

    def to_query(self) -> dict[str, str]:
        """The query parameters that carry this state."""
        values = {
            "lang": self.language,
            "node": self.node,
            "tries": str(self.tries),
            "stage": self.stage,
            "date": self.date.isoformat() if self.date else "",
            "channel": self.channel,
            "about": self.about,
            "mode": self.mode,
            "message": self.message,
        }
        return {key: value for key, value in values.items() if value}

    @property
    def url(self) -> str:
        """The action URL that brings the caller back in this state."""
        return f"{MENU_PATH}?{urlencode(self.to_query())}"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> CallState:
        """Read the state back; anything unknown or malformed starts at the language choice."""
        node = query.get("node", "language")
        language = query.get("lang", "")
        if node not in NODES or (node not in BEFORE_LANGUAGE and language not in LANGUAGES):
            return cls()
        try:
            tries = max(0, int(query.get("tries", "0")))
            date = dt.date.fromisoformat(query["date"]) if query.get("date") else None
        except ValueError:
            return cls(node="main", language=language) if language in LANGUAGES else cls()
        if node == "sub_date_confirm" and date is None:
            # Nothing to confirm: ask for the stage again rather than guess.
            node = "sub_stage"
        return cls(
            node=node,
            language=language if language in LANGUAGES else "",
            tries=min(tries, REPROMPTS + 1),
            stage=query.get("stage", "") if query.get("stage") in STAGES else "",
            date=date,
            channel=query.get("channel", "") if query.get("channel") in CHANNELS else "",
            about=query.get("about", "") if query.get("about") in NODES else "",
            mode="change" if query.get("mode") == "change" else "",
            message=message if REMINDER_ID.match(message := query.get("message", "")) else "",
        )


@dataclass(frozen=True)
class Said:
    """What the caller pressed or said; both empty means silence."""

    digits: str = ""
    speech: str = ""

    @property
    def evidence(self) -> str:
        """How the caller answered, for the consent log."""
        return f"keypress {self.digits}" if self.digits else f"speech: {self.speech}"


@dataclass(frozen=True)
class Turn:
    """Everything one decision needs."""

    state: CallState
    said: Said
    today: dt.date
    words: SpeechWords
    # The catalog id of the last reminder or check-in sent to the caller, if any.
    last_reminder: str | None = None


STAGES = ("pregnant", "postpartum")
# Topics said at a menu: the node that plays each (the keyed tips, else its own node).
KEYED_TOPICS = {
    "calcium": "tip_calcium",
    "vitamin_d": "tip_vitamin_d",
    "activity": "tip_activity",
    "breastfeeding": "tip_breastfeeding",
    "back_pain": "back_pain",
}
SPOKEN_ONLY_TOPICS = ("medicines", "baby", "recovery", "tests", "smoking", "teens", "pao")
TOPIC_NODES = {
    **KEYED_TOPICS,
    **{topic: f"topic_{topic}" for topic in SPOKEN_ONLY_TOPICS},
}
# Nodes a caller can reach before choosing a language (the text offer after silence).
BEFORE_LANGUAGE = ("language", "offer")
CHANNELS = ("sms", "voice")

REPEAT_INTENT = "voice_repeat"
MAIN_MENU_INTENT = "voice_main_menu"
# Spoken key names ("one", "uno"), then the words for repeat and main menu.
KEY_INTENTS = [
    (key, f"voice_key_{key}") for key in ("1", "2", "3", "4", LAST_REMINDER_KEY, REPEAT_KEY)
] + [
    (REPEAT_KEY, REPEAT_INTENT),
    (MAIN_MENU_KEY, MAIN_MENU_INTENT),
]
GLOBAL_KEYS = (REPEAT_KEY, MAIN_MENU_KEY)

NODES: dict[str, Node] = {
    "language": Node(
        prompt="voice.language.choose",
        simple="voice.language.choose_simple",
        text_id="phone_text.menu",
        options={
            "1": Option("voice_english", goto="main", sets={"language": "en"}),
            "2": Option("voice_spanish", goto="main", sets={"language": "es"}),
        },
    ),
    "main": Node(
        prompt="voice.menu.main",
        simple="voice.menu.main_simple",
        text_id="phone_text.menu",
        options={
            "1": Option("voice_tips", goto="tips"),
            "2": Option("voice_back_pain", goto="back_pain"),
            "3": Option("voice_subscribe", goto="sub_stage"),
            "4": Option("voice_stop", goto="stop"),
            LAST_REMINDER_KEY: Option("voice_last_reminder", action="last_reminder"),
        },
    ),
    # The reminder itself is said first (see `arrive`); 1 texts it, 9 says it again.
    "last_reminder": Node(
        prompt="voice.last_reminder.after",
        simple="voice.last_reminder.after_simple",
        text_id="phone_text.menu",
        options={"1": Option("voice_send_text", goto="main", action="send_text")},
    ),
    "tips": Node(
        prompt="voice.menu.tips",
        simple="voice.menu.tips_simple",
        text_id="phone_text.tips",
        options={
            "1": Option("voice_calcium", goto="tip_calcium"),
            "2": Option("voice_vitamin_d", goto="tip_vitamin_d"),
            "3": Option("voice_activity", goto="tip_activity"),
            "4": Option("voice_breastfeeding", goto="tip_breastfeeding"),
        },
    ),
    **{
        f"tip_{topic}": Node(
            lead=f"voice.tip.{topic}",
            prompt="voice.tip.after",
            simple="voice.tip.after_simple",
            text_id=f"phone_text.{topic}",
            options={
                "1": Option("voice_send_text", goto="tips", action="send_text"),
                "2": Option("voice_more_tips", goto="tips"),
            },
        )
        for topic in ("calcium", "vitamin_d", "activity", "breastfeeding")
    },
    # Topics with no menu key, reached by saying them: the topic's text answer, read out.
    **{
        f"topic_{topic}": Node(
            lead=f"topic.{topic}",
            prompt="voice.tip.after",
            simple="voice.tip.after_simple",
            text_id=f"topic.{topic}",
            options={
                "1": Option("voice_send_text", goto="tips", action="send_text"),
                "2": Option("voice_more_tips", goto="tips"),
            },
        )
        for topic in SPOKEN_ONLY_TOPICS
    },
    "back_pain": Node(
        lead="voice.back_pain.info",
        prompt="voice.back_pain.after",
        simple="voice.back_pain.after_simple",
        text_id="phone_text.back_pain",
        options={"1": Option("voice_send_text", goto="main", action="send_text")},
    ),
    "sub_stage": Node(
        prompt="voice.subscribe.ask_stage",
        simple="voice.subscribe.ask_stage_simple",
        text_id="phone_text.join",
        kind="question",
        options={
            "1": Option("pregnant", goto="sub_due_date", sets={"stage": "pregnant"}),
            "2": Option("had_baby", goto="sub_birth_date", sets={"stage": "postpartum"}),
        },
    ),
    "sub_due_date": Node(
        prompt="voice.subscribe.ask_due_date",
        simple="voice.subscribe.ask_due_date_simple",
        text_id="phone_text.join",
        kind="question",
        reader="due_date",
    ),
    "sub_birth_date": Node(
        prompt="voice.subscribe.ask_birth_date",
        simple="voice.subscribe.ask_birth_date_simple",
        text_id="phone_text.join",
        kind="question",
        reader="birth_date",
    ),
    "sub_date_confirm": Node(
        prompt="voice.subscribe.confirm_date",
        simple="voice.subscribe.confirm_date_simple",
        text_id="phone_text.join",
        kind="question",
        options={
            "1": Option("voice_yes", action="date_right"),
            "2": Option("voice_no", action="reenter_date"),
        },
    ),
    "sub_channel": Node(
        prompt="voice.subscribe.ask_channel",
        simple="voice.subscribe.ask_channel_simple",
        text_id="phone_text.join",
        kind="question",
        options={
            "1": Option("text_channel", goto="sub_consent", sets={"channel": "sms"}),
            "2": Option("call_channel", goto="sub_consent", sets={"channel": "voice"}),
        },
    ),
    "sub_consent": Node(
        prompt="voice.subscribe.disclosure",
        simple="voice.subscribe.disclosure_simple",
        text_id="phone_text.join",
        kind="question",
        options={
            "1": Option("voice_yes", action="subscribe"),
            "2": Option("voice_no", action="decline"),
        },
    ),
    # The change menu, for people already signed up (main menu 3): the same changes as by text.
    "change": Node(
        prompt="voice.change.menu",
        simple="voice.change.menu_simple",
        text_id="phone_text.change",
        options={
            "1": Option("voice_change_date", goto="sub_stage", sets={"mode": "change"}),
            "2": Option("voice_change_channel", goto="chg_channel"),
            "3": Option("voice_change_pause", goto="chg_pause"),
            "4": Option("voice_change_time", goto="chg_time"),
        },
    ),
    "chg_channel": Node(
        prompt="voice.subscribe.ask_channel",
        simple="voice.subscribe.ask_channel_simple",
        text_id="phone_text.change",
        options={
            "1": Option("text_channel", action="change_channel", sets={"channel": "sms"}),
            "2": Option("call_channel", action="change_channel", sets={"channel": "voice"}),
        },
    ),
    "chg_pause": Node(
        prompt="voice.change.pause",
        simple="voice.change.pause_simple",
        text_id="phone_text.change",
        options={
            "1": Option("voice_pause", action="pause"),
            "2": Option("voice_resume", action="resume"),
        },
    ),
    "chg_time": Node(
        prompt="voice.change.time",
        simple="voice.change.time_simple",
        text_id="phone_text.change",
        options={
            "1": Option("voice_morning", action="day_part", sets={"about": "morning"}),
            "2": Option("voice_afternoon", action="day_part", sets={"about": "afternoon"}),
            "3": Option("voice_evening", action="day_part", sets={"about": "evening"}),
        },
    ),
    # After a member says they lost their baby: bone tips just for them, or stop everything.
    "loss_choice": Node(
        prompt="voice.loss.choice",
        simple="voice.loss.choice_simple",
        text_id="phone_text.menu",
        kind="question",
        options={
            "1": Option("voice_yes", action="keep_self_care"),
            "2": Option("voice_no", action="opt_out"),
        },
    ),
    # After a new birth date on the change menu: one skippable question, as by text.
    "feeding": Node(
        prompt="voice.feed.ask",
        simple="voice.feed.ask",
        text_id="phone_text.change",
        kind="question",
        options={
            "1": Option("voice_yes", action="feeding", sets={"about": "yes"}),
            "2": Option("voice_no", action="feeding", sets={"about": "no"}),
        },
    ),
    "stop": Node(
        prompt="voice.stop.ask",
        simple="voice.stop.ask_simple",
        text_id="phone_text.stop",
        options={"1": Option("voice_yes", action="opt_out")},
    ),
    "offer": Node(
        prompt="voice.offer.text",
        simple="voice.offer.text",
        text_id="phone_text.menu",
        options={"1": Option("voice_send_text", action="send_text")},
        ends_on_failure=True,
    ),
}

# Reached only by people already signed up (main menu 3 for a member).
MEMBER_NODES = ("change", "chg_channel", "chg_pause", "chg_time", "loss_choice", "feeding")

# The disclosure a caller agrees to, and the words that confirm a stop: kept in the consent log.
SUBSCRIBE_DISCLOSURE = "voice.subscribe.disclosure"
OPT_OUT_DISCLOSURE = "voice.stop.done"
SMS_WELCOME = "phone_text.welcome"


def answer(
    state: CallState,
    said: Said,
    today: dt.date,
    words: SpeechWords,
    last_reminder: str | None = None,
    member: bool = False,
    reading: Understanding | None = None,
    breastfeeding: bool = False,
) -> Plan:
    """Decide what the caller hears next after pressing a key, speaking, or staying silent.

    A `member` (signed up already) who asks to sign up gets the change menu instead; one who is
    `breastfeeding` can say they stopped. `reading` is what the words mean (read here when not
    given).
    """
    turn = Turn(state, said, today, words, last_reminder)
    node = NODES[state.node]
    if said.speech.strip() and not said.digits.strip():
        reading = reading or read(said.speech, language=state.language or None)
        warning = spoken_warning(turn, reading)
        if warning is not None:
            return warning
    if node.reader is not None:
        return READERS[node.reader](turn)
    if state.node == "main" and said.speech and _said_loss(turn):
        return _loss_heard(turn, member)
    if state.node == "main" and breastfeeding and _said_weaned(reading):
        return _weaned_heard(turn)
    key = chosen_key(turn, node)
    if key == REPEAT_KEY:
        return arrive(state)
    if key == MAIN_MENU_KEY:
        return arrive(CallState(node="main", language=state.language) if state.language else state)
    option = node.options.get(key or "")
    if option is None and state.node == "feeding":
        # Any other key, other words or silence skips the question, as SKIP does by text.
        main = CallState(node="main", language=state.language)
        return arrive(main, _lines("voice.feed.skipped", main))
    if option is None:
        heard = _spoken_check(turn, reading) or _spoken_topic(turn, node, reading)
        if heard is not None:
            return heard
        return failure(turn, wrong_key=bool(said.digits or said.speech))
    chosen = dataclasses.replace(state, tries=0, **option.sets)  # type: ignore[arg-type]
    if option.action is not None:
        return ACTIONS[option.action](dataclasses.replace(turn, state=chosen), option)
    goto = option.goto or "main"
    if goto == "sub_stage" and member and state.node == "main":
        goto = "change"
    return arrive(dataclasses.replace(chosen, node=goto))


def spoken_warning(turn: Turn, reading: Understanding) -> Plan | None:
    """A warning sign said anywhere: its spoken safety message and an escalation, then the menu
    again."""
    rule = reading.safety
    if rule is None or reading.kind is not ReadingKind.SAFETY:
        return None
    state = turn.state
    back = _menu_again(state)
    effects: tuple[Effect, ...] = ()
    if rule.alert:
        language = state.language or reading.language or back.voice_language
        detail = f"said at the phone menu ({state.node}): {turn.said.speech}"
        effects = (Escalate(rule, detail, language),)
    plan = arrive(back, _lines(rule.voice_id, back))
    return dataclasses.replace(plan, effects=effects)


def _menu_again(state: CallState) -> CallState:
    """Where a caller goes after a safety message: the main menu (the language choice before
    one is made)."""
    return CallState(node="main", language=state.language) if state.language else CallState()


def _spoken_check(turn: Turn, reading: Understanding | None) -> Plan | None:
    """Maybe a warning sign, said where no option fits: what to do if it is happening (no
    escalation), then the menu again."""
    if reading is None or reading.kind is not ReadingKind.SAFETY_CHECK or not reading.safety:
        return None
    back = _menu_again(turn.state)
    return arrive(back, _lines(reading.safety.check_id, back))


def _spoken_topic(turn: Turn, node: Node, reading: Understanding | None) -> Plan | None:
    """A topic said at a menu (once a language is chosen): that topic's tip."""
    state = turn.state
    if reading is None or reading.kind is not ReadingKind.TOPIC or node.kind != "menu":
        return None
    target = TOPIC_NODES.get(reading.label.removeprefix(TOPIC_PREFIX))
    if target is None or not state.language:
        return None
    return arrive(dataclasses.replace(state, node=target, tries=0, about=""))


def start() -> Plan:
    """The first thing a caller hears: the language choice, in each language."""
    return arrive(CallState())


def arrive(state: CallState, before: tuple[Line, ...] = ()) -> Plan:
    """Speak a node's lead and full prompt and wait for the answer."""
    node = NODES[state.node]
    prompt_lines = _lines(node.prompt, state)
    lead = tuple(line for message_id in _lead(state, node) for line in _lines(message_id, state))
    return Plan(ask=_ask(state, node, before + lead + prompt_lines))


def _lead(state: CallState, node: Node) -> tuple[str, ...]:
    """What a node says before its prompt: its lead, or the reminder being played back (a
    check-in with what to do about back pain, since nobody is asking the question now)."""
    if state.node != "last_reminder":
        return (node.lead,) if node.lead else ()
    if not state.message:
        return ()
    if state.message.startswith(CHECKIN_PREFIX):
        return (f"voice.{state.message}", CHECKIN_PLAYBACK)
    return (f"voice.{state.message}",)


def hidden_number(state: CallState) -> Plan:
    """The caller hides their number: say why we cannot sign up, stop or text, and go on."""
    main = CallState(node="main", language=state.language)
    return arrive(main, _lines("voice.no_caller_id", main))


def failure(turn: Turn, wrong_key: bool) -> Plan:
    """Silence or a wrong key: reprompt more simply, then offer a text, then say goodbye."""
    state = turn.state
    node = NODES[state.node]
    if node.ends_on_failure:
        return goodbye(state)
    if state.tries >= REPROMPTS:
        about = state.about or state.node
        offer = dataclasses.replace(state, node="offer", tries=0, about=about)
        return arrive(offer)
    retry = dataclasses.replace(state, tries=state.tries + 1)
    lead_in = "voice.reprompt.wrong_key" if wrong_key else "voice.reprompt.silence"
    lines = _lines(lead_in, retry) + _lines(node.simple, retry)
    return Plan(ask=_ask(retry, node, lines))


def goodbye(
    state: CallState, before: tuple[Line, ...] = (), effects: tuple[Effect, ...] = ()
) -> Plan:
    """A polite goodbye, then the call ends."""
    return Plan(say=before + _lines("voice.goodbye", state), effects=effects)


def chosen_key(turn: Turn, node: Node) -> str | None:
    """The key pressed, or the key whose words the caller said."""
    digits = turn.said.digits.strip()
    if digits:
        return digits
    spoken = normalize(turn.said.speech)
    if not spoken:
        return None
    if spoken in GLOBAL_KEYS or spoken in node.options:
        return spoken
    candidates = [(key, option.intent) for key, option in node.options.items()]
    candidates += KEY_INTENTS
    return _spoken_key(turn, candidates)


def spoken_command(turn: Turn) -> str | None:
    """REPEAT or MAIN MENU said in words, where keys mean something else (a date)."""
    return _spoken_key(turn, [(REPEAT_KEY, REPEAT_INTENT), (MAIN_MENU_KEY, MAIN_MENU_INTENT)])


def _spoken_key(turn: Turn, candidates: list[tuple[str, str]]) -> str | None:
    """The first candidate key whose words appear in what the caller said."""
    spoken = f" {normalize(turn.said.speech)} "
    for key, intent in candidates:
        for language in turn.state.speaks:
            vocabulary = turn.words.get(language, {})
            if any(f" {word} " in spoken for word in vocabulary.get(intent, ()) if word):
                return key
    return None


def _lines(message_id: str | None, state: CallState) -> tuple[Line, ...]:
    """A text in each language the caller hears, with the date being confirmed if any."""
    if message_id is None:
        return ()
    params = prompt_params(state)
    return tuple(Line(message_id, language, params) for language in state.speaks)


def _ask(state: CallState, node: Node, lines: tuple[Line, ...]) -> Ask:
    """Wait for the answer to a node's prompt."""
    intents = (
        *(option.intent for option in node.options.values()),
        REPEAT_INTENT,
        MAIN_MENU_INTENT,
    )
    return Ask(
        lines=lines,
        action=state.url,
        language=state.voice_language,
        hint_intents=intents,
        single_key=node.reader is None,
    )


def _send_text(turn: Turn, option: Option) -> Plan:
    """Text the caller what this part of the menu says, then go on (or end a failed call)."""
    state = turn.state
    about = state.about or state.node
    text_id = NODES[about].text_id
    if about == "last_reminder" and state.message:
        # A reminder is texted as itself; a check-in as the back-pain facts (a texted question
        # would wait for an answer nobody asked for).
        is_checkin = state.message.startswith(CHECKIN_PREFIX)
        text_id = NODES["back_pain"].text_id if is_checkin else state.message
    languages = state.speaks
    effects: tuple[Effect, ...] = tuple(SendText(text_id, language) for language in languages)
    sent = _lines("voice.text_sent", state)
    if option.goto is None:
        return goodbye(state, sent, effects)
    plan = arrive(dataclasses.replace(state, node=option.goto, about="", message=""), sent)
    return dataclasses.replace(plan, effects=effects)


def _reenter_date(turn: Turn, option: Option) -> Plan:
    """Ask for the date again."""
    node = "sub_birth_date" if turn.state.stage == "postpartum" else "sub_due_date"
    return arrive(dataclasses.replace(turn.state, node=node, date=None))


def _subscribe(turn: Turn, option: Option) -> Plan:
    """The caller agreed: sign them up with what they chose, and log the consent."""
    state = turn.state
    if not (state.stage and state.date and state.channel):
        # A hand-made URL skipped a step: start the sign-up again rather than guess.
        return arrive(CallState(node="sub_stage", language=state.language))
    effect = Subscribe(
        language=state.language,
        stage=state.stage,
        date=state.date,
        channel=state.channel,
        disclosure_id=SUBSCRIBE_DISCLOSURE,
        evidence=turn.said.evidence,
    )
    effects: tuple[Effect, ...] = (effect,)
    if state.channel == "sms":
        # Texts start only with a confirmation text that says how to get help and how to stop.
        effects += (SendText(SMS_WELCOME, state.language),)
    return goodbye(state, _lines("voice.subscribe.done", state), effects)


def _decline(turn: Turn, option: Option) -> Plan:
    """The caller did not agree: nothing is saved; back to the main menu."""
    main = CallState(node="main", language=turn.state.language)
    return arrive(main, _lines("voice.subscribe.declined", main))


def _opt_out(turn: Turn, option: Option) -> Plan:
    """Stop everything for this number at once, with a consent log entry."""
    state = turn.state
    effect = OptOut(state.language, OPT_OUT_DISCLOSURE, turn.said.evidence)
    return goodbye(state, _lines(OPT_OUT_DISCLOSURE, state), (effect,))


def _last_reminder(turn: Turn, option: Option) -> Plan:
    """Play the last reminder or check-in we sent the caller, or say there is none yet."""
    state = turn.state
    if turn.last_reminder is None or not REMINDER_ID.match(turn.last_reminder):
        main = CallState(node="main", language=state.language)
        return arrive(main, _lines("voice.last_reminder.none", main))
    return arrive(dataclasses.replace(state, node="last_reminder", message=turn.last_reminder))


def _said_loss(turn: Turn) -> bool:
    """Whether the caller said they lost their baby ("I lost my baby", "perdí a mi bebé")."""
    spoken = f" {normalize(turn.said.speech)} "
    return any(
        f" {phrase} " in spoken
        for language in LANGUAGES
        for phrase in turn.words.get(language, {}).get("loss_phrases", ())
        if phrase
    )


def _loss_heard(turn: Turn, member: bool) -> Plan:
    """A loss: kind words; a member's baby messages stop at once and they choose what next."""
    state = turn.state
    main = CallState(node="main", language=state.language)
    if not member:
        return arrive(main, _lines("voice.loss.sorry_short", main))
    choosing = CallState(node="loss_choice", language=state.language)
    plan = arrive(choosing, _lines("voice.loss.sorry", choosing))
    return dataclasses.replace(plan, effects=(ReportLoss(state.language, turn.said.evidence),))


def _said_weaned(reading: Understanding | None) -> bool:
    """Whether the caller said they stopped breastfeeding ("ya no doy pecho")."""
    return reading is not None and reading.label == "life.weaned"


def _weaned_heard(turn: Turn) -> Plan:
    """Weaning, said at the main menu: recorded as the WEANED text, then the menu again."""
    state = turn.state
    main = CallState(node="main", language=state.language)
    plan = arrive(main, _lines("voice.feed.weaned", main))
    return dataclasses.replace(plan, effects=(Weaned(state.language, turn.said.evidence),))


def _feeding(turn: Turn, option: Option) -> Plan:
    """The breastfeeding answer after a new birth date: recorded, then the main menu."""
    state = turn.state
    feeding = state.about == "yes"
    main = CallState(node="main", language=state.language)
    plan = arrive(main, _lines("voice.feed.yes" if feeding else "voice.feed.no", main))
    return dataclasses.replace(plan, effects=(SetFeeding(feeding, state.language),))


def _keep_self_care(turn: Turn, option: Option) -> Plan:
    """After a loss: bone health tips just for them."""
    state = turn.state
    effect = KeepSelfCare(state.language, turn.said.evidence)
    return goodbye(state, _lines("voice.loss.keep", state), (effect,))


def _date_right(turn: Turn, option: Option) -> Plan:
    """The date read back is right: on to the channel, or (changing) the change is made."""
    state = turn.state
    if state.mode != "change":
        return arrive(dataclasses.replace(state, node="sub_channel"))
    if not (state.stage and state.date):
        return arrive(dataclasses.replace(state, node="sub_stage"))
    change = ChangeDate(state.stage, state.date, state.language)
    if state.stage != "postpartum":
        return _changed(state, change)
    # A birth: the change is made, then the breastfeeding question (as the BORN text asks it).
    asking = CallState(node="feeding", language=state.language)
    plan = arrive(asking, _lines("voice.change.done", asking))
    return dataclasses.replace(plan, effects=(change,))


def _changed(state: CallState, effect: Effect) -> Plan:
    """Say the change is made and go back to the main menu."""
    main = CallState(node="main", language=state.language)
    plan = arrive(main, _lines("voice.change.done", main))
    return dataclasses.replace(plan, effects=(effect,))


def _change_channel(turn: Turn, option: Option) -> Plan:
    """Texts or calls from now on."""
    state = turn.state
    return _changed(state, ChangeChannel(state.channel, state.language, turn.said.evidence))


def _pause(turn: Turn, option: Option) -> Plan:
    """Pause for the usual two weeks."""
    state = turn.state
    return _changed(state, Pause(state.language, turn.said.evidence))


def _resume(turn: Turn, option: Option) -> Plan:
    """Start again now."""
    state = turn.state
    return _changed(state, Resume(state.language, turn.said.evidence))


def _day_part(turn: Turn, option: Option) -> Plan:
    """Morning, afternoon or evening."""
    state = turn.state
    return _changed(dataclasses.replace(state, about=""), SetDayPart(state.about, state.language))


ACTIONS: dict[str, Callable[[Turn, Option], Plan]] = {
    "last_reminder": _last_reminder,
    "date_right": _date_right,
    "keep_self_care": _keep_self_care,
    "feeding": _feeding,
    "change_channel": _change_channel,
    "pause": _pause,
    "resume": _resume,
    "day_part": _day_part,
    "send_text": _send_text,
    "reenter_date": _reenter_date,
    "subscribe": _subscribe,
    "decline": _decline,
    "opt_out": _opt_out,
}


def keypad_date(digits: str, today: dt.date, prefer: Literal["future", "past"]) -> dt.date | None:
    """A date typed as MMDD, MMDDYY or MMDDYYYY; without a year, the nearest one that fits."""
    digits = digits.strip().rstrip("#")
    if not digits.isdigit() or len(digits) not in (4, 6, 8):
        return None
    month, day, year = int(digits[:2]), int(digits[2:4]), digits[4:]
    if year:
        years = [int(year) + (2000 if len(year) == 2 else 0)]
    else:
        step = 1 if prefer == "future" else -1
        years = [today.year, today.year + step]
    for candidate in years:
        try:
            date = dt.date(candidate, month, day)
        except ValueError:
            continue
        fits = date >= today if prefer == "future" else date <= today
        if year or fits:
            return date
    return None


# What to say when a date makes no sense, by its problem.
DATE_PROBLEM_LINES = {
    DateProblem.DUE_PAST: "voice.date.due_past",
    DateProblem.DUE_TOO_FAR: "voice.date.due_too_far",
    DateProblem.BIRTH_FUTURE: "voice.date.birth_future",
    DateProblem.BIRTH_TOO_OLD: "voice.date.birth_too_old",
}


def _read_date(
    turn: Turn,
    prefer: Literal["future", "past"],
    problem_with: Callable[[dt.date, dt.date], DateProblem | None],
    heard: Callable[[str, str, dt.date], dt.date | None],
) -> Plan:
    """Read a typed or spoken date, then read it back; re-ask plainly when it makes no sense.

    Speech goes through the same reader as texts ("30 weeks", "the fifth of June", "ayer").
    """
    state, said = turn.state, turn.said
    node = NODES[state.node]
    if MAIN_MENU_KEY in said.digits:
        return arrive(CallState(node="main", language=state.language))
    key = spoken_command(turn) if said.speech else None
    if key == REPEAT_KEY:
        return arrive(state)
    if key == MAIN_MENU_KEY:
        return arrive(CallState(node="main", language=state.language))
    if said.digits:
        date = keypad_date(said.digits, turn.today, prefer)
    elif said.speech:
        date = heard(said.speech, state.voice_language, turn.today)
    else:
        return failure(turn, wrong_key=False)
    found = None if date is None else problem_with(date, turn.today)
    problem = "voice.date.unreadable" if date is None else found and DATE_PROBLEM_LINES[found]
    if problem is not None or date is None:
        if state.tries >= REPROMPTS:
            return failure(turn, wrong_key=True)
        retry = dataclasses.replace(state, tries=state.tries + 1)
        return Plan(ask=_ask(retry, node, _lines(problem, retry) + _lines(node.simple, retry)))
    confirm = dataclasses.replace(state, node="sub_date_confirm", tries=0, date=date)
    return arrive(confirm)


def _heard_due_date(words: str, language: str, today: dt.date) -> dt.date | None:
    """A due date said as a date or as how far along; it is read back either way."""
    reading = read_due_date(words, language, today)
    return reading.date if reading else None


READERS: dict[str, Callable[[Turn], Plan]] = {
    "due_date": lambda turn: _read_date(turn, "future", due_date_problem, _heard_due_date),
    "birth_date": lambda turn: _read_date(turn, "past", birth_date_problem, read_birth_date),
}


def prompt_params(state: CallState) -> dict[str, object]:
    """Values a node's prompt needs (the date being confirmed)."""
    return {"date": state.date} if state.date else {}
