"""A terminal phone for trying BoneLine: texts, calls and a clock you can move forward.

Everything runs through the real code paths on a real database: `receive_text` answers texts,
`call_step` answers calls (the flows the voice webhooks call), and the scheduler's own
`plan_job` and `send_job` plan and send at the simulated time. Only the sender is ours: it
shows each text and call on screen instead of reaching Twilio.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from scheduler.jobs import housekeeping_job, life_job, plan_job, send_job
from service.domain.call_script import ANSWER_PATH, UnknownMessageError
from service.domain.clock import utcnow
from service.domain.phone_menu import MENU_PATH
from service.domain.phones import InvalidPhoneNumber, local_time_zone, mask, to_e164
from service.flows import call_step
from service.flows.deployment import Deployment
from service.flows.inbound_text import InboundText, receive_text
from service.gateway.sender import PrintingSender
from service.gateway.twiml import render_twiml
from service.store import planned, subscribers

DEFAULT_PHONE = "+12125550123"
UNITS = {"m": dt.timedelta(minutes=1), "h": dt.timedelta(hours=1), "d": dt.timedelta(days=1)}
UNITS["w"] = 7 * UNITS["d"]
DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
# `:advance` refuses more than this at once (a year and a bit covers a whole program).
LONGEST_ADVANCE = dt.timedelta(weeks=60)
# `:next` gives up after this long without a message.
NEXT_LIMIT = dt.timedelta(weeks=60)
KEYS = re.compile(r"^[0-9*#]+$")

HELP = """\
Type a line to text it to BoneLine as the chosen number. Commands:
  :call             call the phone line (then type keys like 1, 9, * or words like: say calcium)
  :hangup           end the call
  :advance 7d       move the clock forward (m, h, d or w) and get what the scheduler sends
  :next             move the clock to the next text or call BoneLine sends
  :lang es          text the word that switches to a language (en or es)
  :now              show the simulated time
  :as +12125550123  use another phone number
  :help             this list
  :quit             leave (or end the input)"""


@dataclass(frozen=True)
class Spoken:
    """What one TwiML document says, and where the answer goes (None: the call hangs up)."""

    lines: tuple[str, ...]
    action: str | None


def _quiet(_line: str) -> None:
    """The simulator shows sends itself, on the person's clock."""


def new_sid(prefix: str) -> str:
    """A SID shaped like Twilio's, unique even when a later session reuses the database."""
    return prefix + uuid.uuid4().hex


def read_twiml(document: str) -> Spoken:
    """The words a TwiML document speaks, and its <Gather> action."""
    root = ElementTree.fromstring(document)
    lines: list[str] = []
    action = None
    for element in root:
        if element.tag == "Say":
            lines.append("".join(element.itertext()))
        elif element.tag == "Gather":
            action = element.get("action")
            lines.extend("".join(say.itertext()) for say in element.iter("Say"))
    return Spoken(tuple(lines), action)


def parse_duration(text: str) -> dt.timedelta | None:
    """`7d`, `3h`, `2w` or `30m` as a time span (None when unreadable)."""
    found = DURATION.match(text.strip().lower())
    if not found:
        return None
    return int(found.group(1)) * UNITS[found.group(2)]


@dataclass
class Call:
    """The call in progress: who is on it and where their next answer goes."""

    phone: str
    sid: str
    action: str


@dataclass
class Simulator:
    """A terminal phone on the real code paths; `handle` takes one typed line."""

    boneline: Deployment
    phone: str = DEFAULT_PHONE
    now: dt.datetime = field(default_factory=lambda: utcnow().replace(second=0, microsecond=0))
    sender: PrintingSender = field(default_factory=lambda: PrintingSender(_quiet))
    call: Call | None = None
    done: bool = False

    def handle(self, line: str) -> list[str]:
        """Act on one typed line and return what to print."""
        line = line.strip()
        if line.startswith(":"):
            name, _, argument = line.partition(" ")
            command = COMMANDS.get(name.lower())
            if command is None:
                return [f"unknown command {name}; type :help"]
            return command(self, argument.strip())
        if self.call is not None:
            return self.press(line)
        if not line:
            return []
        return self.text(line)

    # Texts ------------------------------------------------------------------------------------

    def text(self, body: str) -> list[str]:
        """Text BoneLine as the chosen number; print its replies and anything sent at once."""
        database = self.boneline.db
        inbound = InboundText(self.phone, body, new_sid("SM"))
        # The clock stands still while you type, so every text would look like an instant answer
        # to our last one: loop protection here leaves the quick-reply signal out.
        loop_rule = dataclasses.replace(self.boneline.loop_rule, quick_replies=0)
        replies = receive_text(
            database.Session,
            inbound,
            self.boneline.texts,
            self.now,
            loop_rule,
            loss_follow_up=bool(self.boneline.settings.CARE_TEAM_LOSS_FOLLOW_UP),
        )
        output = [f"< {reply}" for reply in replies] or ["(no reply)"]
        return output + self.send_pass()

    # Calls ------------------------------------------------------------------------------------

    def start_call(self, _argument: str) -> list[str]:
        """Call the phone line as the chosen number."""
        if self.call is not None:
            return ["you are already on a call; type :hangup first"]
        sid = new_sid("CA")
        turn = call_step.CallTurn(phone=self.phone, call_sid=sid)
        twiml = render_twiml(call_step.start_menu(turn), self.boneline.texts)
        return [f"(calling from {mask(self.phone)})", *self._hear(twiml, self.phone, sid)]

    def press(self, line: str) -> list[str]:
        """Answer the call: keys (1, 9, *), `say words`, plain words, or nothing (silence)."""
        assert self.call is not None
        call = self.call
        digits, speech = "", ""
        if line.lower().startswith("say "):
            speech = line[4:].strip()
        elif KEYS.match(line):
            digits = line
        else:
            speech = line
        turn = call_step.CallTurn(call.phone, call.sid, digits=digits, speech=speech)
        path, query = _split(call.action)
        answer = CALL_ANSWERS.get(path)
        if answer is None:
            self.call = None
            return [f"(the call went to {path}, which the simulator does not know; hung up)"]
        try:
            twiml = answer(self, turn, query)
        except UnknownMessageError:
            self.call = None
            return ["(the call could not go on; hung up)"]
        heard = self._hear(twiml, call.phone, call.sid)
        # A text the caller asked for arrives while they listen, before the next prompt's hint.
        return heard[:-1] + self.send_pass() + heard[-1:]

    def hang_up(self, _argument: str) -> list[str]:
        """End the call."""
        if self.call is None:
            return ["you are not on a call"]
        self.call = None
        return ["(you hung up)", *self.send_pass()]

    def _answer_menu(self, turn: call_step.CallTurn, query: dict[str, str]) -> str:
        """The phone menu's next step, as `POST /voice/menu` gives it."""
        boneline = self.boneline
        plan = call_step.answer_menu(boneline.db.Session, boneline.texts, turn, query, self.now)
        return render_twiml(plan, boneline.texts)

    def _answer_reminder(self, turn: call_step.CallTurn, query: dict[str, str]) -> str:
        """The answer on a reminder call, as `POST /voice/reminder/answer` gives it."""
        boneline = self.boneline
        plan = call_step.answer_reminder_keys(
            boneline.db.Session, boneline.texts, turn, query, self.now
        )
        return render_twiml(plan, boneline.texts)

    def _hear(self, twiml: str, phone: str, sid: str) -> list[str]:
        """Print what the call says; keep it going when it waits for an answer."""
        spoken = read_twiml(twiml)
        output = [f"  BoneLine says: {line}" for line in spoken.lines]
        if spoken.action is None:
            self.call = None
            return [*output, "(BoneLine hung up)"]
        self.call = Call(phone, sid, spoken.action)
        return [*output, "(press keys, or say words; :hangup to end the call)"]

    # The clock --------------------------------------------------------------------------------

    def advance(self, argument: str) -> list[str]:
        """Move the clock forward, running the planner every hour and the sender when due."""
        span = parse_duration(argument)
        if span is None or span <= dt.timedelta(0):
            return ["say how far: :advance 30m, 3h, 7d or 2w"]
        if span > LONGEST_ADVANCE:
            return ["that is too far at once; the longest is 60w"]
        if self.call is not None:
            return ["hang up first (:hangup): the clock waits while you are on a call"]
        output = self._run_until(self.now + span, stop_at_first=False)
        return [*output, f"(it is now {self.local_time(self.now)})"]

    def next_message(self, _argument: str) -> list[str]:
        """Move the clock to the next text or call BoneLine sends."""
        if self.call is not None:
            return ["hang up first (:hangup): the clock waits while you are on a call"]
        output = self._run_until(self.now + NEXT_LIMIT, stop_at_first=True)
        if not output:
            return ["(nothing more is scheduled for this number)"]
        return output

    def _run_until(self, target: dt.datetime, stop_at_first: bool) -> list[str]:
        """Each hour: plan; each planned send time on the way: a send pass at that time."""
        database, settings = self.boneline.db, self.boneline.settings
        output: list[str] = []
        while self.now < target:
            plan_job(database, settings, self.now)
            life_job(database, settings, self.now)
            hour_end = min(self.now.replace(minute=0) + dt.timedelta(hours=1), target)
            for send_at in self._send_times(hour_end):
                self.now = max(self.now, send_at)
                housekeeping_job(database, settings, self.now)
                output += self.send_pass()
                if self.call is not None or (stop_at_first and output):
                    return output
            self.now = hour_end
        return output

    def _send_times(self, until: dt.datetime) -> list[dt.datetime]:
        """The planned send times up to `until`, earliest first."""
        return planned.planned_send_times(self.boneline.db, until)

    def send_pass(self) -> list[str]:
        """Run the scheduler's send job now, and show what reached a phone."""
        boneline = self.boneline
        send_job(boneline.db, boneline.settings, boneline.texts, self.sender, self.now)
        output: list[str] = []
        for kind, to, content in self.sender.take():
            output += self._arrived(kind, to, content)
        return output

    def _arrived(self, kind: str, to: str, content: str) -> list[str]:
        """One text or call reaching a phone."""
        when = self.local_time(self.now, to)
        who = "" if to == self.phone else f" to {mask(to)}"
        if to == self.boneline.settings.CARE_TEAM_PHONE:
            who = " to the care team"
        if kind == "sms":
            return [f"[{when}] text{who}: {content}"]
        sid = new_sid("CA")
        _, query = _split(content)
        turn = call_step.CallTurn(phone=to, call_sid=sid)
        boneline = self.boneline
        twiml = render_twiml(
            call_step.answer_reminder(
                boneline.db.Session,
                boneline.texts,
                turn,
                query,
                "human",
                dt.timedelta(hours=boneline.settings.CALL_RETRY_HOURS),
                self.now,
            ),
            boneline.texts,
        )
        output = [f"[{when}] call{who} ({query.get('message', '?')}), answered:"]
        if to != self.phone:
            spoken = read_twiml(twiml)
            return output + [f"  BoneLine says: {line}" for line in spoken.lines]
        return output + self._hear(twiml, to, sid)

    def local_time(self, moment: dt.datetime, phone: str | None = None) -> str:
        """A UTC moment on the person's clock, like `Mon 2027-03-01 10:15 EST`."""
        local = moment.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(self.time_zone(phone)))
        return local.strftime("%a %Y-%m-%d %H:%M %Z")

    def time_zone(self, phone: str | None = None) -> str:
        """The zone the planner uses for a number (its row's, or the area code's)."""
        phone = phone or self.phone
        with self.boneline.db.engine.connect() as connection:
            person = subscribers.find_by_phone(connection, phone)
        return person.time_zone if person is not None else local_time_zone(phone)

    # Other commands ---------------------------------------------------------------------------

    def switch_language(self, argument: str) -> list[str]:
        """Text the word that switches to a language, as a person would."""
        language = argument.lower()
        if language not in self.boneline.texts.catalog.languages:
            known = ", ".join(sorted(self.boneline.texts.catalog.languages))
            return [f"say which language: {known}"]
        word = str(self.boneline.texts.catalog.keywords(language)["language"][0])
        return [f"> {word}", *self.text(word)]

    def show_now(self, _argument: str) -> list[str]:
        """The simulated time, on the person's clock and in UTC."""
        return [f"{self.local_time(self.now)} ({self.now:%Y-%m-%d %H:%M} UTC)"]

    def switch_phone(self, argument: str) -> list[str]:
        """Use another number from now on."""
        try:
            phone = to_e164(argument, self.boneline.settings.DEFAULT_REGION)
        except InvalidPhoneNumber:
            return [f"not a phone number: {argument}"]
        if self.call is not None:
            return ["hang up first (:hangup)"]
        self.phone = phone
        return [f"(now texting as {phone})"]

    def show_help(self, _argument: str) -> list[str]:
        """The commands."""
        return HELP.splitlines()

    def quit(self, _argument: str) -> list[str]:
        """Leave the simulator."""
        self.done = True
        return ["bye"]


def _split(url: str) -> tuple[str, dict[str, str]]:
    """A URL's path and its query as a dict."""
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query))


COMMANDS: dict[str, Callable[[Simulator, str], list[str]]] = {
    ":call": Simulator.start_call,
    ":hangup": Simulator.hang_up,
    ":advance": Simulator.advance,
    ":next": Simulator.next_message,
    ":lang": Simulator.switch_language,
    ":now": Simulator.show_now,
    ":as": Simulator.switch_phone,
    ":help": Simulator.show_help,
    ":quit": Simulator.quit,
}

# Where a call's answer goes, by the path of its <Gather> action (as the voice blueprint routes).
CALL_ANSWERS: dict[str, Callable[[Simulator, call_step.CallTurn, dict[str, str]], str]] = {
    MENU_PATH: Simulator._answer_menu,
    ANSWER_PATH: Simulator._answer_reminder,
}
