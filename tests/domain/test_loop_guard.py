"""Loop protection as pure functions: a person is always answered, an auto-responder is not."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import pytest

from service.config import load_settings
from service.domain.conversation import Profile, respond
from service.domain.loop_guard import (
    PAUSED_NOTICE,
    History,
    Judgement,
    LoopRule,
    Past,
    gist,
    judge,
    nearly_same,
    quick_reply_streak,
    while_held,
)
from service.understanding import SAFETY_TABLE, SafetyFamily
from service.vocabulary import (
    ConsentAction,
    Direction,
    LoopSignal,
    LoopVerdict,
    Stage,
    Status,
)
from service.words.catalog import default_catalog
from service.words.keywords import Keywords

START = dt.datetime(2026, 11, 23, 15, 0)
TODAY = START.date()
RULE = LoopRule()
ACTIVE = Profile(status=Status.ACTIVE, stage=Stage.PREGNANT, due_date=dt.date(2027, 3, 1))
TEN_QUESTIONS = [
    "how much calcium do I need",
    "what about vitamin d?",
    "is my back pain normal",
    "can I exercise while pregnant",
    "is breast feeding bad for my bones",
    "are my medicines ok for my bones",
    "will my baby get enough calcium",
    "how do I get my bones back after birth",
    "what tests are there for my bones",
    "what is PAO",
]
AUTO_REPLY = "Thanks for your message! I am away until Monday. Ticket #{n} opened at 10:{n:02d}."


@dataclass
class Phone:
    """One number's texts logged in memory the way the store logs them, judged by the guard:
    what `store.messages.what_we_know` would give the guard before each text."""

    rule: LoopRule = RULE
    # (at, order, direction, body, held), in the order they were logged.
    log: list[tuple[dt.datetime, int, Direction, str, bool]] = field(default_factory=list)

    def history(self, now: dt.datetime) -> History:
        """The history as the store gives it when a text arrives at `now`."""
        since = now - self.rule.lookback
        rows = sorted((row for row in self.log if row[0] >= since), reverse=True)
        inbound = [row for row in rows if row[2] is Direction.INBOUND]
        return History(
            texts_in_window=sum(1 for row in inbound if row[0] >= now - self.rule.window),
            recent=[
                Past(at, direction, body if direction is Direction.INBOUND else "", held)
                for at, _, direction, body, held in rows[: self.rule.history_rows]
            ],
        )

    def ours(self, at: dt.datetime) -> None:
        """We text them (a reminder)."""
        self.log.append((at, len(self.log), Direction.OUTBOUND, "", False))

    def text(self, body: str, at: dt.datetime) -> Judgement:
        """They text us; we answer (one reply), start a pause (the notice) or hold."""
        judgement = judge(self.history(at), body, at, self.rule)
        self.log.append((at, len(self.log), Direction.INBOUND, body, judgement.held))
        if judgement.verdict is not LoopVerdict.HOLD:
            self.ours(at)
        return judgement


def every(seconds: float, count: int, start: dt.datetime = START) -> list[dt.datetime]:
    """`count` moments `seconds` apart."""
    return [start + dt.timedelta(seconds=seconds * n) for n in range(count)]


def verdicts(phone: Phone, bodies: list[str], times: list[dt.datetime]) -> list[LoopVerdict]:
    """Text each body at its time; the verdicts."""
    return [phone.text(body, at).verdict for body, at in zip(bodies, times, strict=True)]


def ids(outcome: object) -> list[str]:
    """The catalog ids of an outcome's replies."""
    return [reply.message_id for reply in outcome.replies]  # type: ignore[attr-defined]


# What counts as the same text ------------------------------------------------------------------


def test_the_gist_ignores_case_accents_spacing_punctuation_and_changing_numbers() -> None:
    assert gist("  Gracias por su MENSAJE!!  ") == gist("gracias   por su mensaje")
    assert gist("Llegaré tarde, lo siento") == gist("LLEGARE TARDE LO SIENTO")
    assert gist("Ticket 4521 opened at 10:41") == gist("Ticket 977 opened at 9:05")


def test_a_text_that_is_only_a_number_keeps_it_so_menu_choices_differ() -> None:
    assert gist("1") != gist("2")
    assert gist(" 12 ") == "12"


def test_nearly_the_same_auto_reply_counts_as_the_same() -> None:
    first = gist("I am driving right now and will see your message later")
    assert nearly_same(first, gist("I'm driving right now and will see your message later."))
    assert not nearly_same(first, gist("how much calcium do I need"))
    assert not nearly_same(gist("MENU"), gist("MENUS"))


# People are answered -------------------------------------------------------------------------


def test_ten_different_questions_in_two_minutes_are_all_answered() -> None:
    phone = Phone()
    assert set(verdicts(phone, TEN_QUESTIONS, every(12, 10))) == {LoopVerdict.ANSWER}


def test_menu_then_each_number_for_all_twelve_topics_is_answered_every_time() -> None:
    bodies = [body for number in range(1, 13) for body in ("MENU", str(number))]
    phone = Phone()
    # 24 texts in 4 minutes, MENU twelve times: a person reading every topic.
    assert set(verdicts(phone, bodies, every(10, 24))) == {LoopVerdict.ANSWER}


def test_a_person_answering_fast_a_few_times_is_answered() -> None:
    phone = Phone()
    bodies = ["MENU", "1", "MENU", "2", "MENU", "3"]
    # Three quick answers in a row, then a person's pace again.
    times = every(1.5, 4) + every(20, 2, START + dt.timedelta(seconds=30))
    assert set(verdicts(phone, bodies, times)) == {LoopVerdict.ANSWER}


# Auto-responders are cut off -------------------------------------------------------------------


def test_the_same_auto_reply_twenty_times_is_cut_off_after_the_repeat_limit() -> None:
    phone = Phone()
    bodies = [AUTO_REPLY.format(n=n) for n in range(20)]
    # Ten seconds apart: too slow to be a quick reply, too few to be a flood.
    result = verdicts(phone, bodies, every(10, 20))
    assert result[: RULE.most_repeats] == [LoopVerdict.ANSWER] * RULE.most_repeats
    assert result[RULE.most_repeats] is LoopVerdict.PAUSE
    assert set(result[RULE.most_repeats + 1 :]) == {LoopVerdict.HOLD}


def test_the_repeat_signal_names_itself() -> None:
    phone = Phone()
    verdicts(phone, [AUTO_REPLY.format(n=n) for n in range(12)], every(10, 12))
    judgement = phone.text(AUTO_REPLY.format(n=99), START + dt.timedelta(minutes=2, seconds=1))
    assert judgement == Judgement(LoopVerdict.PAUSE, LoopSignal.REPEATED_TEXT)


def test_a_reply_bot_that_answers_each_of_our_texts_within_a_second_is_cut_off() -> None:
    phone = Phone()
    phone.ours(START)  # a reminder starts it
    # Different words each time, so only its speed gives it away.
    bodies = [f"Auto reply {word}" for word in ("one", "two", "three", "four", "five", "six")]
    result = verdicts(phone, bodies, every(1, 6, START + dt.timedelta(seconds=1)))
    assert result[: RULE.quick_replies] == [LoopVerdict.ANSWER] * RULE.quick_replies
    assert result[RULE.quick_replies] is LoopVerdict.PAUSE
    assert result[RULE.quick_replies + 1] is LoopVerdict.HOLD


def test_the_quick_reply_streak_counts_our_texts_answered_within_the_limit() -> None:
    recent = [
        Past(START + dt.timedelta(seconds=3), Direction.OUTBOUND),
        Past(START + dt.timedelta(seconds=3), Direction.OUTBOUND),  # a reply in two parts
        Past(START + dt.timedelta(seconds=3), Direction.INBOUND, "b"),
        Past(START + dt.timedelta(seconds=2), Direction.OUTBOUND),
        Past(START + dt.timedelta(seconds=2), Direction.INBOUND, "a"),
        Past(START - dt.timedelta(seconds=30), Direction.OUTBOUND),
    ]
    assert quick_reply_streak(recent, START + dt.timedelta(seconds=4), RULE) == 2
    assert quick_reply_streak(recent, START + dt.timedelta(seconds=6), RULE) == 0


def test_a_flood_of_different_texts_is_cut_off_after_the_rate_limit() -> None:
    phone = Phone()
    bodies = [f"message {word}" for word in TEN_QUESTIONS * 4]
    result = verdicts(phone, bodies, every(5, 40))
    assert result[: RULE.most_texts] == [LoopVerdict.ANSWER] * RULE.most_texts
    assert phone.text("one more", START + dt.timedelta(seconds=5 * 40)).verdict is (
        LoopVerdict.HOLD
    )
    first_held = result.index(LoopVerdict.PAUSE)
    assert first_held == RULE.most_texts


def test_a_quick_reply_signal_of_zero_is_off() -> None:
    phone = Phone(LoopRule(quick_replies=0))
    phone.ours(START)
    result = verdicts(phone, [f"bot {n}" for n in range(8)], every(1, 8, START))
    assert set(result) == {LoopVerdict.ANSWER}


# The pause ------------------------------------------------------------------------------------


def test_the_pause_lasts_while_texts_keep_coming_and_ends_after_a_quiet_pause() -> None:
    phone = Phone()
    verdicts(phone, [AUTO_REPLY.format(n=n) for n in range(13)], every(10, 13))
    later = START + dt.timedelta(seconds=130)
    # Every four minutes, for an hour: always inside the pause, so never a second notice.
    result = verdicts(phone, ["still here"] * 15, every(240, 15, later + dt.timedelta(minutes=4)))
    assert set(result) == {LoopVerdict.HOLD}
    quiet = later + dt.timedelta(minutes=4 * 15 + 5)
    assert phone.text("calcium", quiet).verdict is LoopVerdict.ANSWER


def test_inside_a_pause_the_verdict_is_hold_whatever_the_text() -> None:
    history = History(recent=[Past(START, Direction.INBOUND, "auto reply", held=True)])
    assert judge(history, "calcium", START + dt.timedelta(minutes=4), RULE) == Judgement(
        LoopVerdict.HOLD, LoopSignal.PAUSED
    )
    assert judge(history, "calcium", START + dt.timedelta(minutes=5), RULE).verdict is (
        LoopVerdict.ANSWER
    )


def test_the_rule_comes_from_the_settings() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "sqlite://",
            "LOOP_WINDOW_MINUTES": 7,
            "LOOP_LIMIT_MESSAGES": 40,
            "LOOP_REPEAT_LIMIT": 9,
            "LOOP_QUICK_REPLY_SECONDS": 3,
            "LOOP_QUICK_REPLY_COUNT": 6,
            "LOOP_PAUSE_MINUTES": 10,
        },
        environ={},
    )
    assert LoopRule.from_settings(settings) == LoopRule(
        window=dt.timedelta(minutes=7),
        most_texts=40,
        most_repeats=9,
        quick_reply=dt.timedelta(seconds=3),
        quick_replies=6,
        pause=dt.timedelta(minutes=10),
    )
    defaults = load_settings({"DATABASE_URL": "sqlite://"}, environ={})
    assert LoopRule.from_settings(defaults) == LoopRule()


# What a held text still gets -------------------------------------------------------------------

PAUSE = Judgement(LoopVerdict.PAUSE, LoopSignal.REPEATED_TEXT)
HOLD = Judgement(LoopVerdict.HOLD, LoopSignal.PAUSED)


def test_the_first_held_text_says_once_that_replies_are_paused(keywords: Keywords) -> None:
    outcome = respond(ACTIVE, "calcium", TODAY, keywords)
    assert ids(while_held(outcome, ACTIVE, PAUSE)) == [PAUSED_NOTICE]
    assert ids(while_held(outcome, ACTIVE, HOLD)) == []


def test_the_notice_is_in_the_language_of_the_text(keywords: Keywords) -> None:
    stranger = Profile()
    outcome = respond(stranger, "dolor de espalda", TODAY, keywords)
    assert while_held(outcome, stranger, PAUSE).language == "es"


@pytest.mark.parametrize("judgement", [PAUSE, HOLD])
def test_stop_while_held_stops_with_its_one_confirmation(
    keywords: Keywords, judgement: Judgement
) -> None:
    held = while_held(respond(ACTIVE, "STOP", TODAY, keywords), ACTIVE, judgement)
    assert held.profile.status is Status.STOPPED
    assert held.consent is ConsentAction.OPT_OUT
    assert ids(held) == ["optout.confirm"]


def test_a_repeated_stop_while_held_is_recorded_but_not_confirmed_again(
    keywords: Keywords,
) -> None:
    stopped = dataclasses.replace(ACTIVE, status=Status.STOPPED)
    held = while_held(respond(stopped, "STOP", TODAY, keywords), stopped, HOLD)
    assert held.consent is ConsentAction.OPT_OUT and ids(held) == []


def test_delete_while_held_erases_with_its_confirmation(keywords: Keywords) -> None:
    held = while_held(respond(ACTIVE, "DELETE", TODAY, keywords), ACTIVE, HOLD)
    assert held.erase and ids(held) == ["erase.confirm"]


def test_a_red_flag_while_held_is_recorded_and_the_first_gets_the_safety_reply_too(
    keywords: Keywords,
) -> None:
    outcome = respond(ACTIVE, "I fell down the stairs", TODAY, keywords)
    first = while_held(outcome, ACTIVE, PAUSE)
    assert first.escalation is SAFETY_TABLE[SafetyFamily.FALL]
    assert ids(first) == ["safety.fall", PAUSED_NOTICE]
    later = while_held(outcome, ACTIVE, HOLD)
    assert later.escalation is SAFETY_TABLE[SafetyFamily.FALL] and ids(later) == []


def test_a_held_text_changes_nothing_else(keywords: Keywords) -> None:
    enrolling = Profile(status=Status.ENROLLING, enrollment_step="stage")
    held = while_held(respond(enrolling, "1", TODAY, keywords), enrolling, PAUSE)
    assert held.profile == enrolling
    assert held.consent is None and held.escalation is None


def test_the_notice_echoed_back_is_no_keyword_alarm_or_topic(keywords: Keywords) -> None:
    for language in ("en", "es"):
        notice = default_catalog().text(PAUSED_NOTICE, language, program="BoneLine")
        echoed = respond(ACTIVE, notice, TODAY, keywords)
        assert echoed.escalation is None and echoed.consent is None
        # It names 911, so at most it gets what to do if a warning sign is happening.
        (reply,) = ids(echoed)
        assert reply == "fallback.unknown" or reply.startswith("safety_check."), reply


def test_a_pause_is_over_once_a_later_text_was_answered() -> None:
    history = History(
        recent=[
            Past(START + dt.timedelta(minutes=6), Direction.OUTBOUND),
            Past(START + dt.timedelta(minutes=6), Direction.INBOUND, "calcium"),
            Past(START, Direction.INBOUND, "auto reply", held=True),
        ]
    )
    assert not history.in_pause(START + dt.timedelta(minutes=7), RULE.pause)
